"""Pipelines: ``@step`` and ``@pipeline``, the DAG, caching and the run engine."""

from __future__ import annotations

from rung.pipelines._dag import Dag, Node, OutputRef, StepOutputs
from rung.pipelines._engine import ExecutionPlan, execute_plan
from rung.pipelines._events import EventHook, PipelineEvent
from rung.pipelines._hooks import (
    InputResolver,
    PlanCheck,
    StepContext,
    StepInputCheck,
    StepInputs,
    add_plan_check,
    add_run_listener,
    add_step_input_check,
    is_resolver,
    remove_plan_check,
    remove_run_listener,
    remove_step_input_check,
)
from rung.pipelines._loader import find_pipelines, load_pipeline, pipelines_in_file
from rung.pipelines._params import (
    RunConfig,
    load_run_config,
    parse_cli_params,
    resolve_parameters,
)
from rung.pipelines._pipeline import Pipeline, pipeline
from rung.pipelines._resume import end_dead_runs, resume_run
from rung.pipelines._step import Step, step

__all__ = [
    "Dag",
    "EventHook",
    "ExecutionPlan",
    "InputResolver",
    "Node",
    "OutputRef",
    "Pipeline",
    "PipelineEvent",
    "PlanCheck",
    "RunConfig",
    "Step",
    "StepContext",
    "StepInputCheck",
    "StepInputs",
    "StepOutputs",
    "add_plan_check",
    "add_run_listener",
    "add_step_input_check",
    "end_dead_runs",
    "execute_plan",
    "find_pipelines",
    "is_resolver",
    "load_pipeline",
    "load_run_config",
    "parse_cli_params",
    "pipeline",
    "pipelines_in_file",
    "remove_plan_check",
    "remove_run_listener",
    "remove_step_input_check",
    "resolve_parameters",
    "resume_run",
    "step",
]
