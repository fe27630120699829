"""The DAG a ``@pipeline`` function builds when it is traced."""

from __future__ import annotations

import contextvars
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rung.errors import PipelineDefinitionError
from rung.pipelines._hooks import is_resolver

if TYPE_CHECKING:
    from rung.pipelines._step import Step

__all__ = ["Dag", "DagBuilder", "Node", "OutputRef", "StepOutputs", "current_builder"]


@dataclass(frozen=True, slots=True)
class OutputRef:
    """A reference to an output a step will produce when the pipeline runs."""

    node: str
    output: str

    def __repr__(self) -> str:
        return f"<output {self.output!r} of step {self.node!r}>"

    def __bool__(self) -> bool:
        raise PipelineDefinitionError(
            f"{self!r} has no value while the pipeline is being built, so it "
            "cannot be used in an `if`. Branch inside a step instead."
        )


class StepOutputs(tuple[OutputRef, ...]):
    """The outputs of a multi-output step: unpack it, or use attribute names."""

    def __getattr__(self, name: str) -> OutputRef:
        for ref in self:
            if ref.output == name:
                return ref
        raise AttributeError(
            f"No output {name!r}; outputs: {[r.output for r in self]}."
        )


@dataclass(slots=True)
class Node:
    """One step invocation in a pipeline.

    Attributes:
        name: unique in the pipeline (``train``, then ``train_2`` ...).
        step: the step.
        inputs: argument name -> the output it consumes.
        params: argument name -> a JSON-able constant.
        values: argument name -> a constant that must be stored as an artifact.
        resolvers: argument name -> an input resolved when the step runs
            (see ``rung.pipelines.InputResolver``).
    """

    name: str
    step: Step
    inputs: dict[str, OutputRef] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    resolvers: dict[str, Any] = field(default_factory=dict)

    @property
    def upstream(self) -> set[str]:
        """Names of the nodes this one consumes from."""
        return {ref.node for ref in self.inputs.values()}


@dataclass(slots=True)
class Dag:
    """Nodes in the order they were added (which is a topological order)."""

    nodes: dict[str, Node] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.nodes)

    def describe(self) -> list[dict[str, Any]]:
        """A JSON-able description (stored with the run)."""
        return [
            {
                "name": node.name,
                "step": node.step.name,
                "inputs": {k: f"{r.node}.{r.output}" for k, r in node.inputs.items()},
                "params": node.params,
                "resolved": {k: r.rung_describe() for k, r in node.resolvers.items()},
                "labels": node.step.labels,
                "outputs": list(node.step.output_names),
            }
            for node in self.nodes.values()
        ]


class DagBuilder:
    """Records step calls while a pipeline function is traced."""

    def __init__(self) -> None:
        self.dag = Dag()
        self._next_index: dict[str, int] = {}  # base name -> next suffix to try

    def add(self, step: Step, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        """Record a call of ``step``; return references to its outputs."""
        name = self._unique_name(step.name)
        try:
            bound = step.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise PipelineDefinitionError(
                f"Step {step.name!r} was called with arguments that do not fit "
                f"its signature {step.signature}: {exc}."
            ) from None
        node = Node(name, step)
        for arg, value in bound.arguments.items():
            _classify(node, arg, value)
        self.dag.nodes[name] = node
        refs = [OutputRef(name, output) for output in step.output_names]
        if not refs:
            return None
        return refs[0] if len(refs) == 1 else StepOutputs(refs)

    def _unique_name(self, base: str) -> str:
        if base not in self.dag.nodes:
            return base
        # Continue from the last suffix given: a step called n times in a
        # loop costs n tries in all, not n * n / 2.
        index = self._next_index.get(base, 2)
        while f"{base}_{index}" in self.dag.nodes:
            index += 1
        self._next_index[base] = index + 1
        return f"{base}_{index}"


def _classify(node: Node, arg: str, value: Any) -> None:
    if isinstance(value, OutputRef):
        node.inputs[arg] = value
    elif isinstance(value, StepOutputs):
        raise PipelineDefinitionError(
            f"Step {node.step.name!r} argument {arg!r} got all outputs of step "
            f"{value[0].node!r} {[r.output for r in value]}; pass one of them."
        )
    elif _contains_ref(value):
        raise PipelineDefinitionError(
            f"Step {node.step.name!r} argument {arg!r} holds a step output inside "
            "a container. Pass step outputs directly as arguments, or combine "
            "them in a step."
        )
    elif is_resolver(value):
        node.resolvers[arg] = value
    elif _is_json_value(value):
        node.params[arg] = value
    else:
        node.values[arg] = value


def _contains_ref(value: Any) -> bool:
    if isinstance(value, OutputRef):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return any(_contains_ref(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_ref(v) for v in value.values())
    return False


def _is_json_value(value: Any) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list):
        return all(_is_json_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_value(v) for k, v in value.items())
    return False


_builder: contextvars.ContextVar[DagBuilder | None] = contextvars.ContextVar(
    "rung_dag_builder", default=None
)


def current_builder() -> DagBuilder | None:
    """Return the builder of the pipeline being traced, if any."""
    return _builder.get()


@contextmanager
def tracing() -> Iterator[DagBuilder]:
    """Trace step calls made inside the block into a new DAG."""
    builder = DagBuilder()
    token = _builder.set(builder)
    try:
        yield builder
    finally:
        _builder.reset(token)


def params_json(params: Mapping[str, Any]) -> str:
    """Canonical JSON of constant parameters."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"))
