"""Checking OpenLineage events with JSON Schema, formats included.

The rules are those of the OpenLineage 2-0-2 spec (``OpenLineage.json``) and of
the facets Rung emits, restated here for the fields Rung writes: required
keys, the ``eventType`` values, and the ``uri``, ``uuid`` and ``date-time``
formats, which a ``FormatChecker`` really checks (``rfc3986-validator`` and
``rfc3339-validator`` are in the dev extra). No package on the registries
this project uses ships the spec files; to check against the official ones
instead, point ``OPENLINEAGE_SPEC_DIR`` at a copy of the spec folder
(``OpenLineage.json`` and ``facets/*.json``): each event is then validated
against its ``schemaURL`` and each facet against its ``_schemaURL``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema

__all__ = ["schema_errors"]

_URI = {"type": "string", "format": "uri"}
_TEXT = {"type": "string"}
_BASE_FACET = {
    "type": "object",
    "properties": {"_producer": _URI, "_schemaURL": _URI},
    "required": ["_producer", "_schemaURL"],
}


def _facet(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    own = {"type": "object", "properties": properties, "required": required}
    return {"allOf": [_BASE_FACET, own]}


_FIELDS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"name": _TEXT, "type": _TEXT, "description": _TEXT},
        "required": ["name"],
    },
}
_TAGS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"key": _TEXT, "value": _TEXT, "source": _TEXT, "field": _TEXT},
        "required": ["key", "value"],
    },
}
_DATASET = {
    "type": "object",
    "properties": {
        "namespace": _TEXT,
        "name": _TEXT,
        "facets": {
            "type": "object",
            "properties": {
                "schema": _facet({"fields": _FIELDS}, []),
                "version": _facet({"datasetVersion": _TEXT}, ["datasetVersion"]),
                "dataSource": _facet({"name": _TEXT, "uri": _URI}, []),
                "tags": _facet({"tags": _TAGS}, []),
            },
            "additionalProperties": _BASE_FACET,
        },
    },
    "required": ["namespace", "name"],
}
RUN_EVENT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "eventType": {
            "enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]
        },
        "eventTime": {"type": "string", "format": "date-time"},
        "producer": _URI,
        "schemaURL": _URI,
        "run": {
            "type": "object",
            "properties": {
                "runId": {"type": "string", "format": "uuid"},
                "facets": {
                    "type": "object",
                    "properties": {
                        "errorMessage": _facet(
                            {"message": _TEXT, "programmingLanguage": _TEXT},
                            ["message", "programmingLanguage"],
                        )
                    },
                    "additionalProperties": _BASE_FACET,
                },
            },
            "required": ["runId"],
        },
        "job": {
            "type": "object",
            "properties": {
                "namespace": _TEXT,
                "name": _TEXT,
                "facets": {
                    "type": "object",
                    "properties": {
                        "jobType": _facet(
                            {
                                "processingType": _TEXT,
                                "integration": _TEXT,
                                "jobType": _TEXT,
                            },
                            ["processingType", "integration"],
                        )
                    },
                    "additionalProperties": _BASE_FACET,
                },
            },
            "required": ["namespace", "name"],
        },
        "inputs": {"type": "array", "items": _DATASET},
        "outputs": {"type": "array", "items": _DATASET},
    },
    "required": ["eventTime", "run", "job", "producer", "schemaURL"],
}
"""The restated RunEvent rules (see the module docstring)."""


def schema_errors(event: dict[str, Any]) -> list[str]:
    """Every JSON Schema violation of ``event``, formats included (empty if valid)."""
    folder = os.environ.get("OPENLINEAGE_SPEC_DIR")
    if folder:
        return _official_errors(event, Path(folder))
    return _messages(_validator(RUN_EVENT), event)


def _official_errors(event: dict[str, Any], folder: Path) -> list[str]:
    from referencing import Registry, Resource

    documents = [json.loads(p.read_text()) for p in sorted(folder.rglob("*.json"))]
    registry: Registry[Any] = Registry().with_resources(
        (d["$id"], Resource.from_contents(d)) for d in documents if "$id" in d
    )
    errors = _messages(_validator({"$ref": event["schemaURL"]}, registry), event)
    holders = [event["run"], event["job"], *event["inputs"], *event["outputs"]]
    for facet in (f for h in holders for f in h.get("facets", {}).values()):
        facet_validator = _validator({"$ref": facet["_schemaURL"]}, registry)
        errors += _messages(facet_validator, facet)
    return errors


def _validator(schema: dict[str, Any], registry: Any = None) -> Any:
    cls = jsonschema.Draft202012Validator
    extra = {} if registry is None else {"registry": registry}
    return cls(schema, format_checker=cls.FORMAT_CHECKER, **extra)


def _messages(validator: Any, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]
