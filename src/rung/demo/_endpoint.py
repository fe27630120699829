"""The demo's deployment: the model service of ``rung serve``, in this process.

It is the service behind ``POST /predict`` and ``POST /feedback`` (request
decoding, batching, the prediction log, the feedback intake, the hot swap
when the alias moves) without the HTTP socket: the demo sends it the same
JSON bodies a client would, so it runs in a second and binds no port.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from rung.serving import ModelService
    from rung.workspace import Workspace

__all__ = ["DemoEndpoint"]

_JSON = "application/json"


class DemoEndpoint:
    """A recorded deployment of ``uri`` that answers predictions and feedback.

    Args:
        workspace: where the model is registered and the log is written.
        uri: ``name@alias``: the endpoint follows the alias.
        name: the deployment's name.
    """

    def __init__(self, workspace: Workspace, uri: str, name: str) -> None:
        self.workspace = workspace
        self.uri = uri
        self.name = name
        self._service: ModelService | None = None
        self.deployment_id = ""

    def start(self) -> None:
        """Load the version behind the alias, record the deployment, start logging."""
        from rung.registry import parse_model_uri
        from rung.serving import ModelService, ServedModel, ServeOptions
        from rung.serving import start_deployment as record

        # The alias is checked when the demo moves it (check_alias), not by a
        # polling thread: the story stays in order.
        options = ServeOptions(name=self.name, poll_interval=3600.0, port=0)
        served = ServedModel.load(self.workspace, parse_model_uri(self.uri))
        deployment = record(self.workspace, served, options)
        self.deployment_id = deployment.id
        self._service = ModelService(
            self.workspace,
            self.uri,
            options,
            served=served,
            deployment_id=deployment.id,
        )
        self._service.start()

    @property
    def version(self) -> int:
        """The version serving now."""
        current = self.service.current
        return 0 if current is None else current.version

    @property
    def service(self) -> ModelService:
        """The running service."""
        if self._service is None:
            raise RuntimeError("DemoEndpoint.start() was not called")
        return self._service

    def predict(self, rows: pd.DataFrame) -> list[str]:
        """POST /predict with these rows; the prediction ids, in order."""
        body = json.dumps({"columns": {c: rows[c].tolist() for c in rows.columns}})
        answer = asyncio.run(self.service.predict(body.encode(), _JSON))
        self.service.log.flush()
        return answer.ids.tolist()

    def feedback(self, ids: Sequence[str], labels: Sequence[Any]) -> int:
        """POST /feedback with a label per prediction id; how many were accepted."""
        items = [
            {"prediction_id": i, "label": int(v)}
            for i, v in zip(ids, labels, strict=True)
        ]
        result = self.service.feedback(json.dumps({"feedback": items}).encode(), _JSON)
        self.service.log.flush()
        return result.accepted

    def follow_alias(self) -> bool:
        """Swap to the version the alias points to now; True if it moved."""
        return self.service.check_alias()

    def stop(self) -> None:
        """Write the rest of the log and mark the deployment stopped."""
        from rung.serving import finish_deployment

        if self._service is not None:
            self._service.close()
            finish_deployment(self.workspace, self.deployment_id)
            self._service = None
