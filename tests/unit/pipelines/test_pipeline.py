"""Pipelines through the public API: running, caching, outputs, failures."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Annotated, NamedTuple

import pytest

import rung
from rung import pipeline, step
from rung.errors import (
    MaterializerNotFoundError,
    ParameterError,
    PipelineDefinitionError,
    StepFailedError,
)

if TYPE_CHECKING:
    from rung.workspace import Workspace

calls: list[str] = []


@step
def numbers(n: int) -> list[int]:
    calls.append("numbers")
    return list(range(n))


@step
def scale(values: list[int], factor: float = 1.0) -> list[float]:
    calls.append("scale")
    return [v * factor for v in values]


@step
def total(values: list[float]) -> float:
    calls.append("total")
    rung.log_metric("total", sum(values))
    return sum(values)


@pipeline
def arithmetic(n: int = 4, factor: float = 2.0) -> None:
    total(scale(numbers(n), factor=factor))


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


def test_pipeline_call_runs_steps_and_returns_completed_run(
    workspace: Workspace,
) -> None:
    run = arithmetic(n=3, factor=10.0)
    assert run.status == "completed"
    assert run.output("total") == 30.0
    assert run.params == {"n": 3, "factor": 10.0}
    assert [s.status for s in run.steps.values()] == ["completed"] * 3
    assert run.metrics == {"total": 30.0}


def test_step_called_outside_a_pipeline_is_a_plain_function() -> None:
    assert numbers(2) == [0, 1]


def test_second_run_reuses_every_output_from_cache(workspace: Workspace) -> None:
    first = arithmetic(n=3)
    calls.clear()
    second = arithmetic(n=3)
    assert calls == []
    steps = second.steps
    assert {s.status for s in steps.values()} == {"cached"}
    assert steps["total"].outputs == first.steps["total"].outputs
    source_ids = {s.id for s in first.steps.values()}
    assert {s.cached_from for s in steps.values()} <= source_ids


def test_changed_parameter_reruns_only_dependent_steps(workspace: Workspace) -> None:
    arithmetic(n=3, factor=2.0)
    calls.clear()
    run = arithmetic(n=3, factor=5.0)
    assert calls == ["scale", "total"]
    assert run.steps["numbers"].status == "cached"
    assert run.output("total") == 15.0


def test_no_cache_reruns_every_step(workspace: Workspace) -> None:
    arithmetic(n=2)
    calls.clear()
    run = arithmetic.run(params={"n": 2}, enable_cache=False)
    assert calls == ["numbers", "scale", "total"]
    assert {s.status for s in run.steps.values()} == {"completed"}


@step(cache=False)
def uncached(n: int) -> int:
    calls.append("uncached")
    return n


@pipeline
def with_uncached_step(n: int = 1) -> None:
    uncached(n)


def test_step_with_cache_false_always_runs(workspace: Workspace) -> None:
    with_uncached_step()
    with_uncached_step()
    assert calls == ["uncached", "uncached"]


class Split(NamedTuple):
    low: list[int]
    high: list[int]


@step
def halves(values: list[int]) -> Split:
    middle = len(values) // 2
    return Split(values[:middle], values[middle:])


@step
def pair(values: list[int]) -> tuple[Annotated[int, "first"], Annotated[int, "last"]]:
    return values[0], values[-1]


@step
def count(values: list[int]) -> int:
    return len(values)


@step
def plus_one(x: int) -> int:
    return x + 1


@pipeline
def multi(n: int = 6) -> None:
    low, high = halves(numbers(n))
    count(low)
    count(high)
    ends = pair(high)
    plus_one(ends.first)


def test_multi_output_steps_expose_named_outputs(workspace: Workspace) -> None:
    run = multi(n=6)
    assert run.output("halves", "low") == [0, 1, 2]
    assert run.output("pair", "last") == 5
    assert run.output("count") == 3
    assert run.output("count_2") == 3
    assert run.output("plus_one") == 4


def test_output_asks_for_a_name_when_a_step_has_several(workspace: Workspace) -> None:
    run = multi(n=4)
    with pytest.raises(rung.errors.RunError, match="has 2 outputs; name one of"):
        run.output("halves")


barrier = threading.Barrier(2, timeout=10)


@step
def wait_a() -> str:
    barrier.wait()
    return "a"


@step
def wait_b() -> str:
    barrier.wait()
    return "b"


@step
def join(a: str, b: str) -> str:
    return a + b


@pipeline(enable_cache=False)
def parallel() -> None:
    join(wait_a(), wait_b())


def test_independent_steps_run_at_the_same_time(workspace: Workspace) -> None:
    # Each step waits for the other at a barrier: run one after the other, they
    # would break the barrier (timeout) and fail.
    run = parallel()
    assert run.output("join") == "ab"


@step
def explode(values: list[int]) -> int:
    raise ValueError(f"cannot handle {len(values)} values")


@pipeline
def failing(n: int = 3) -> None:
    values = numbers(n)
    total(scale(values))
    count(values)
    explode(values)


def test_failing_step_fails_the_run_and_keeps_the_traceback(
    workspace: Workspace,
) -> None:
    with pytest.raises(
        StepFailedError, match=r"Step 'explode' failed in run .*cannot handle 3"
    ) as info:
        failing()
    assert isinstance(info.value.__cause__, ValueError)
    client = rung.Client(workspace)
    record = client.list_runs(limit=1)[0]
    assert record.status == "failed"
    assert "explode" in (record.error or "")
    failed = next(s for s in client.step_runs(record.id) if s.name == "explode")
    assert failed.status == "failed"
    assert "ValueError: cannot handle 3 values" in (failed.traceback or "")
    assert 'raise ValueError(f"cannot handle' in (failed.traceback or "")


@step
def chatty() -> int:
    print("hello from the step")
    return 1


@pipeline(enable_cache=False)
def talking() -> None:
    chatty()


def test_step_output_printed_is_captured_per_step(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    run = talking()
    assert run.steps["chatty"].stdout == "hello from the step\n"
    assert "hello from the step" in capsys.readouterr().out


def test_metrics_logged_in_a_step_belong_to_the_run_and_step(
    workspace: Workspace,
) -> None:
    run = arithmetic(n=2, factor=1.0)
    history = run.metric_history("total")
    assert [m.value for m in history] == [1.0]
    assert history[0].step_run_id == run.steps["total"].id


def test_wrong_parameter_type_is_refused_before_anything_runs(
    workspace: Workspace,
) -> None:
    with pytest.raises(
        ParameterError, match=r"parameter 'n' \(from code\): expected int"
    ):
        arithmetic(n="many")
    assert calls == []
    assert workspace.runs.list_runs() == []


def test_unknown_and_missing_parameters_are_all_listed(workspace: Workspace) -> None:
    @pipeline
    def needs(path: str) -> None:
        numbers(1)

    with pytest.raises(
        ParameterError,
        match=r"(?s)unknown parameter 'colour'.*missing required parameter 'path'",
    ):
        needs.run(params={"colour": "red"})


def test_yaml_config_overrides_code_and_cli_overrides_yaml(
    workspace: Workspace, tmp_path: pytest.TempPathFactory
) -> None:
    config = tmp_path / "run.yaml"  # type: ignore[operator]
    config.write_text("parameters:\n  n: 5\n  factor: 3.0\nrun_name: from-yaml\n")
    run = arithmetic.run(
        params={"n": 1, "factor": 1.0}, config=config, cli_params={"factor": "0.5"}
    )
    assert run.params == {"n": 5, "factor": 0.5}
    assert run.name == "from-yaml"


def test_cli_parameter_that_does_not_parse_is_refused(workspace: Workspace) -> None:
    with pytest.raises(
        ParameterError,
        match=r"parameter 'factor' \(from cli\): expected float, got 'abc'",
    ):
        arithmetic.run(cli_params={"factor": "abc"})


def test_bad_config_file_keys_are_refused(
    workspace: Workspace, tmp_path: pytest.TempPathFactory
) -> None:
    config = tmp_path / "bad.yaml"  # type: ignore[operator]
    config.write_text("n: 5\n")
    with pytest.raises(
        rung.errors.ConfigError,
        match=r"unknown key\(s\) \['n'\].*go under `parameters:`",
    ):
        arithmetic.run(config=config)


@step
def wrong_arity() -> tuple[int, int]:
    return (1, 2, 3)  # type: ignore[return-value]


@pipeline
def arity() -> None:
    wrong_arity()


def test_step_returning_the_wrong_number_of_outputs_fails_clearly(
    workspace: Workspace,
) -> None:
    with pytest.raises(
        PipelineDefinitionError, match=r"declares 2 outputs .* returned a tuple of 3"
    ):
        arity()


class Opaque:
    def __init__(self, value: int) -> None:
        self.value = value


@step
def opaque() -> Opaque:
    return Opaque(7)


@step(allow_pickle=True)
def opaque_pickled() -> Opaque:
    return Opaque(8)


@step
def unwrap(thing: Opaque) -> int:
    return thing.value


@pipeline
def opaque_pipeline() -> None:
    opaque()


@pipeline
def pickled_pipeline() -> None:
    unwrap(opaque_pickled())


def test_unstorable_output_names_the_fixes(workspace: Workspace) -> None:
    with pytest.raises(MaterializerNotFoundError, match="allow_pickle"):
        opaque_pipeline()


def test_pickle_opt_in_is_recorded_on_the_artifact(workspace: Workspace) -> None:
    run = pickled_pipeline()
    assert run.output("unwrap") == 8
    artifact_id = run.steps["opaque_pickled"].outputs["output"]
    assert workspace.runs.get_artifact(artifact_id).is_pickled
    with pytest.raises(rung.errors.UnsafeArtifactError, match="allow_pickle=True"):
        workspace.load_artifact(artifact_id)


def test_step_outputs_inside_containers_are_refused(workspace: Workspace) -> None:
    @pipeline
    def boxed() -> None:
        count([numbers(2)])

    with pytest.raises(PipelineDefinitionError, match="inside a container"):
        boxed()


def test_run_records_provenance(workspace: Workspace) -> None:
    run = arithmetic(n=1)
    record = run.refresh().record
    assert record.pipeline == "arithmetic"
    assert record.source is not None and record.source.endswith(
        "test_pipeline.py:arithmetic"
    )
    assert record.source_hash and record.environment_hash
    assert "pytest" in workspace.runs.get_environment(record.environment_hash)
    assert record.host and record.pid and record.project == "test-project"
    assert record.user == "tester"
    step_run = run.steps["numbers"]
    assert step_run.cpu_seconds is not None and step_run.peak_memory_bytes


@step(cache=False)
def hold_memory(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])  # touch every page: resident
    time.sleep(0.3)  # held across several samples of the memory sampler
    return len(block)


@pipeline(enable_cache=False)
def memory_hungry(megabytes: int = 64) -> None:
    hold_memory(megabytes)


def test_step_peak_memory_covers_what_the_step_held(workspace: Workspace) -> None:
    import psutil

    before = psutil.Process().memory_info().rss
    run = memory_hungry(megabytes=64)

    peak = run.steps["hold_memory"].peak_memory_bytes
    assert peak is not None
    assert peak >= before + 60 * 1024 * 1024


def test_non_json_constants_are_stored_as_input_artifacts(workspace: Workspace) -> None:
    import numpy as np

    @step
    def mean(values: np.ndarray) -> float:
        return float(values.mean())

    @pipeline
    def stats() -> None:
        mean(np.arange(5.0))

    run = stats()
    assert run.output("mean") == 2.0
    assert "values" in run.steps["mean"].inputs
