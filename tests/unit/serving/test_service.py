"""ModelService: batching of concurrent requests, hot swap, deployment records."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    from collections.abc import Callable

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
    promote_model(workspace, "churn", 2, "production")
    assert svc.check_alias() is True
    assert svc.current is not None and svc.current.version == 2
    rollback_model(workspace, "churn", "production")
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
    from rung.registry import promote_model as promote
    from rung.registry import register_model
    from tests.unit.serving.models import PickledOnly

    register_model(workspace, PickledOnly(), name="churn", allow_pickle=True)
    svc = ModelService(
        workspace,
        "churn@production",
        ServeOptions(),
        served=ServedModel.load(workspace, "churn@production"),
    )
    promote(workspace, "churn", 3, "production")
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


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def _move_artifact(workspace: Workspace, version: ModelVersionRecord, to: Path) -> Path:
    """Move a version's artifact out of the store; return where it was."""
    artifact = workspace.runs.get_artifact(version.artifact_id)
    folder = workspace.artifacts.open_folder(artifact.uri)
    shutil.move(folder, to)
    return folder


def test_loader_and_watcher_load_and_publish_a_version_once(
    workspace: Workspace,
    churn: list[ModelVersionRecord],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both threads start loading at once unless one waits for the other: the
    # barrier lets two concurrent loads through, and breaks (after its
    # timeout) when only one load runs at a time.
    both_loading = threading.Barrier(2, timeout=1.0)
    real_load = ServedModel.from_record

    def load_when_both_arrive(*args: Any, **kwargs: Any) -> ServedModel:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_loading.wait()
        return real_load(*args, **kwargs)

    monkeypatch.setattr(ServedModel, "from_record", load_when_both_arrive)
    svc = ModelService(workspace, "churn@production", ServeOptions(poll_interval=0.01))
    seen: list[tuple[int | None, int]] = []
    svc.on_swap(
        lambda old, new: seen.append((old.version if old else None, new.version))
    )

    svc.start()
    _wait_for(lambda: svc.is_ready, "the first version to load")
    time.sleep(0.05)  # a few watcher ticks: none may publish again
    svc.close()

    assert both_loading.broken
    assert (seen, svc.swaps) == ([(None, 1)], 0)


def test_a_version_that_failed_to_load_is_retried_and_served_once_restored(
    workspace: Workspace,
    churn: list[ModelVersionRecord],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stored = _move_artifact(workspace, churn[1], tmp_path / "aside")
    options = ServeOptions(poll_interval=0.01)
    served = ServedModel.load(workspace, "churn@production")
    svc = ModelService(workspace, "churn@production", options, served=served)
    svc.start()
    try:
        promote_model(workspace, "churn", 2, "production")
        _wait_for(
            lambda: "Not switching to churn v2" in caplog.text,
            "the failed load to be logged",
        )
        (failure,) = svc.load_failures
        assert (failure.version, failure.attempts >= 1) == (2, True)
        assert "ArtifactNotFoundError" in failure.error
        assert failure.retry_at > failure.failed_at
        assert svc.current is not None and svc.current.version == 1

        shutil.move(tmp_path / "aside", stored)
        _wait_for(
            lambda: svc.current is not None and svc.current.version == 2,
            "version 2 to be served",
        )
        assert svc.load_failures == []
        assert svc.swaps == 1
    finally:
        svc.close()
