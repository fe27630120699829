"""The top-level shortcuts: which workspace they use, and that they delegate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import rung
from rung import pipeline, step
from rung.registry import list_versions
from rung.workspace import Workspace


@pytest.fixture
def other() -> Iterator[Workspace]:
    """A second workspace, not the default."""
    ws = Workspace.from_urls("memory://", "memory://", project="other", user="bob")
    try:
        yield ws
    finally:
        ws.close()


@step
def make_numbers() -> list[int]:
    return [1, 2, 3]


@step
def register_inside(numbers: list[int]) -> int:
    version = rung.register_model({"weights": numbers}, name="inside")
    assert rung.current_workspace().project == "other"
    return version.version


@pipeline
def registering() -> None:
    register_inside(make_numbers())


def test_shortcuts_use_the_default_workspace(memory_workspace: Workspace) -> None:
    assert rung.current_workspace() is memory_workspace
    version = rung.register_model({"weights": [1.0]}, name="plain")
    assert [v.version for v in list_versions(memory_workspace, "plain")] == [1]
    assert rung.promote_model("plain", version.version, "production").version == 1
    assert rung.load_model("plain@production") == {"weights": [1.0]}
    assert rung.load_artifact(version.artifact_id) == {"weights": [1.0]}
    with rung.start_run("adhoc") as run:
        assert run.workspace is memory_workspace


def test_inside_a_run_the_shortcuts_use_the_run_workspace(
    memory_workspace: Workspace, other: Workspace
) -> None:
    run = registering.run(workspace=other)
    assert run.status == "completed"
    assert [v.version for v in list_versions(other, "inside")] == [1]
    assert memory_workspace.models.list_models(memory_workspace.project) == []


def test_a_run_is_registered_in_its_own_workspace(
    memory_workspace: Workspace, other: Workspace
) -> None:
    run = registering.run(workspace=other)
    version = rung.register_model(run, name="numbers", step="make_numbers")
    assert version.project == "other"
    assert memory_workspace.models.list_models(memory_workspace.project) == []
