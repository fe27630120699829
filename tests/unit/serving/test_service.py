"""ModelService: batching of concurrent requests, hot swap, deployment records."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import pytest

from rung.errors import InvalidInputError, ModelNotReadyError
from rung.registry import promote_model, rollback_model
from rung.serving import (
    ModelService,
    ServedModel,
    ServeOptions,
    finish_deployment,
    start_deployment,
)
from tests.unit.serving.models import row

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace

JSON = "application/json"


def body(*rows: dict[str, object]) -> bytes:
    return json.dumps({"inputs": list(rows)}).encode()


def test_concurrent_requests_share_one_model_call(service: ModelService) -> None:
    async def go() -> list[list[int]]:
        answers = await asyncio.gather(
            *[service.predict(body(row(tenure=t)), JSON) for t in (1.0, -3.0, 2.0)]
        )
        return [a.outputs.predictions.tolist() for a in answers]

    calls = service._batcher.calls
    assert asyncio.run(go()) == [[1], [0], [1]]
    assert service._batcher.calls == calls + 1


def test_a_refused_request_does_not_fail_its_batch(service: ModelService) -> None:
    async def go() -> list[object]:
        return await asyncio.gather(
            service.predict(body(row()), JSON),
            service.predict(body(row(calls="x")), JSON),
            return_exceptions=True,
        )

    good, bad = asyncio.run(go())
    assert not isinstance(good, BaseException)
    assert isinstance(bad, InvalidInputError)


def test_alias_moves_are_picked_up_and_recorded(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    served = ServedModel.load(workspace, "churn@production")
    options = ServeOptions()
    deployment = start_deployment(workspace, served, options)
    svc = ModelService(
        workspace,
        "churn@production",
        options,
        served=served,
        deployment_id=deployment.id,
    )
    seen: list[tuple[int | None, int]] = []
    svc.on_swap(lambda old, new: seen.append((old and old.version, new.version)))
    assert svc.check_alias() is False
    promote_model("churn", 2, "production", workspace=workspace)
    assert svc.check_alias() is True
    assert svc.current is not None and svc.current.version == 2
    rollback_model("churn", "production", workspace=workspace)
    assert svc.check_alias() is True
    assert (svc.current.version, svc.swaps, seen) == (1, 2, [(1, 2), (2, 1)])
    record = workspace.deployments.get_deployment(deployment.id)
    assert (record.version, record.served_versions) == (1, (1, 2))
    stopped = finish_deployment(workspace, deployment.id)
    assert stopped.status == "stopped" and stopped.stopped_at is not None
    svc.close()


def test_a_version_that_fails_to_load_is_not_served(
    workspace: Workspace,
    churn: list[ModelVersionRecord],
    caplog: pytest.LogCaptureFixture,
) -> None:
    import rung
    from rung.registry import promote_model as promote
    from tests.unit.serving.models import PickledOnly

    rung.register_model(
        PickledOnly(), name="churn", allow_pickle=True, workspace=workspace
    )
    svc = ModelService(
        workspace,
        "churn@production",
        ServeOptions(),
        served=ServedModel.load(workspace, "churn@production"),
    )
    promote("churn", 3, "production", workspace=workspace)
    assert svc.check_alias() is False
    assert svc.check_alias() is False  # not retried every poll
    assert svc.current is not None and svc.current.version == 1
    assert "Not switching to churn v3" in caplog.text
    svc.close()


def test_fixed_version_is_loaded_in_the_background_and_ready(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    svc = ModelService(workspace, "churn/2", ServeOptions(poll_interval=0.05))

    async def early() -> None:
        await svc.predict(body(row()), JSON)

    with pytest.raises(ModelNotReadyError, match="still loading"):
        asyncio.run(early())
    svc.start()
    for _ in range(200):
        if svc.is_ready:
            break
        import time

        time.sleep(0.02)
    assert svc.current is not None and svc.current.version == 2
    assert svc.check_alias() is False
    svc.close()
