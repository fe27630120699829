"""``@pipeline``: a function that wires steps into a DAG; calling it runs it."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from rung._internal import defaults
from rung.errors import PipelineDefinitionError, RungError
from rung.pipelines._dag import Dag, tracing
from rung.pipelines._engine import ExecutionPlan, execute_plan
from rung.pipelines._params import load_run_config, resolve_parameters

if TYPE_CHECKING:
    from rung.pipelines._events import EventHook
    from rung.tracking import Run
    from rung.workspace import Workspace

__all__ = ["Pipeline", "pipeline"]


class Pipeline:
    """A pipeline: its function wires steps; calling it runs them.

    Args:
        func: the function; its parameters are the pipeline's parameters.
        name: the pipeline's name (default: the function's name).
        enable_cache: default for caching (a run or config may override).
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        enable_cache: bool = True,
    ) -> None:
        functools.update_wrapper(self, func)
        self.func = func
        self.name = name or func.__name__
        self.enable_cache = enable_cache
        self.signature = inspect.signature(func)

    def __call__(self, *args: Any, **params: Any) -> Run:
        """Run the pipeline with these parameters; return the finished run."""
        try:
            bound = self.signature.bind_partial(*args, **params)
        except TypeError as exc:
            raise PipelineDefinitionError(
                f"Pipeline {self.name!r} takes {self.signature}: {exc}."
            ) from None
        return self.run(params=bound.arguments)

    def run(
        self,
        *,
        params: Mapping[str, Any] | None = None,
        config: str | Path | Mapping[str, Any] | None = None,
        cli_params: Mapping[str, str] | None = None,
        enable_cache: bool | None = None,
        workspace: Workspace | None = None,
        on_event: EventHook | None = None,
        run_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        source: str | None = None,
        trigger: str = "manual",
    ) -> Run:
        """Run with parameters from code, a YAML config and the CLI (CLI wins).

        Args:
            params: values from Python code.
            config: a YAML file path (or mapping) with ``parameters:`` etc.
            cli_params: raw ``KEY=VALUE`` strings from the command line.
            enable_cache: False re-runs every step (``--no-cache``).
            workspace: where to record (default: the project's workspace).
            on_event: called with progress events.
            run_name: a name for the run.
            tags: tags for the run.
            source: ``file.py:name`` reference used to resume the run later.
            trigger: what started the run.

        Returns:
            The finished run.

        Raises:
            ParameterError: parameters unknown, missing or mistyped (nothing ran).
            StepFailedError: a step raised; the run is recorded as failed.
        """
        plan = self.plan(
            params=params,
            config=config,
            cli_params=cli_params,
            enable_cache=enable_cache,
            run_name=run_name,
            tags=tags,
            source=source,
            trigger=trigger,
        )
        ws = workspace or defaults.current_workspace()
        return execute_plan(ws, plan, on_event=on_event)

    def plan(
        self,
        *,
        params: Mapping[str, Any] | None = None,
        config: str | Path | Mapping[str, Any] | None = None,
        cli_params: Mapping[str, str] | None = None,
        enable_cache: bool | None = None,
        run_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        source: str | None = None,
        trigger: str = "manual",
    ) -> ExecutionPlan:
        """Resolve parameters and trace the DAG without running anything."""
        cfg = load_run_config(config)
        resolved = resolve_parameters(
            self.signature, self.name, params, cfg.parameters, cli_params
        )
        cache = enable_cache if enable_cache is not None else cfg.enable_cache
        file = _source_file(self.func)
        return ExecutionPlan(
            pipeline=self.name,
            dag=self.build(resolved),
            params=resolved,
            enable_cache=self.enable_cache if cache is None else cache,
            step_cache=cfg.step_cache,
            tags={**cfg.tags, **(tags or {})},
            run_name=run_name or cfg.run_name,
            source=source or (f"{file}:{self.func.__name__}" if file else None),
            source_folder=Path(file).parent if file else None,
            trigger=trigger,
        )

    def build(self, params: Mapping[str, Any]) -> Dag:
        """Trace the pipeline function with ``params`` into a DAG."""
        with tracing() as builder:
            try:
                self.func(**params)
            except RungError:
                raise
            except Exception as exc:
                raise PipelineDefinitionError(
                    f"Building pipeline {self.name!r} failed: {type(exc).__name__}: "
                    f"{exc}. A pipeline function should only call steps and pass "
                    "their outputs along."
                ) from exc
        if not builder.dag.nodes:
            raise PipelineDefinitionError(
                f"Pipeline {self.name!r} calls no step. Decorate the functions it "
                "calls with @step."
            )
        return builder.dag

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r})"


@overload
def pipeline(func: Callable[..., Any], /) -> Pipeline: ...


@overload
def pipeline(
    *, name: str | None = None, enable_cache: bool = True
) -> Callable[[Callable[..., Any]], Pipeline]: ...


def pipeline(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    enable_cache: bool = True,
) -> Pipeline | Callable[[Callable[..., Any]], Pipeline]:
    """Turn a function that calls steps into a pipeline; use bare or with options.

    Example:
        >>> from rung import pipeline, step
        >>> @step
        ... def load() -> list[int]:
        ...     return [1, 2, 3]
        >>> @step
        ... def total(rows: list[int]) -> int:
        ...     return sum(rows)
        >>> @pipeline
        ... def tiny():
        ...     total(load())
        >>> run = tiny()  # doctest: +SKIP
    """

    def wrap(f: Callable[..., Any]) -> Pipeline:
        return Pipeline(f, name=name, enable_cache=enable_cache)

    return wrap(func) if func is not None else wrap


def _source_file(func: Callable[..., Any]) -> str | None:
    try:
        file = inspect.getsourcefile(func)
    except TypeError:
        return None
    if file is None or file.startswith("<") or not os.path.isfile(file):
        return None
    return _resolved(file)


@functools.lru_cache(maxsize=256)
def _resolved(file: str) -> str:
    # Asked at every run: resolving symlinks walks the whole path.
    return str(Path(file).resolve())
