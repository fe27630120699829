"""``@step``: a plain Python function whose outputs become artifacts."""

from __future__ import annotations

import builtins
import functools
import inspect
import textwrap
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload

from rung._internal.hashing import hash_bytes
from rung.errors import PipelineDefinitionError

__all__ = ["Step", "step"]

_OUTPUT = "output"


class Step:
    """A function wrapped as a pipeline step.

    Inside a ``@pipeline`` function, calling a step records it in the DAG and
    returns references to its future outputs. Anywhere else, calling it just
    calls the function.

    Args:
        func: the function.
        name: the step's name (default: the function's name).
        cache: reuse outputs when source, inputs and parameters are unchanged.
        allow_pickle: store outputs no safe materializer handles with pickle.
        outputs: names for the outputs (default: from the return annotation).
        materializers: output name -> materializer name, to force a format.
        resources: what one execution needs (``cpus``, ``gpus``, ``memory``).
        labels: free-form facts about the step that policies read, e.g.
            ``{"region": "CA"}`` or ``{"egress": "true"}``.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        cache: bool = True,
        allow_pickle: bool = False,
        outputs: Sequence[str] | None = None,
        materializers: Mapping[str, str] | None = None,
        resources: Mapping[str, float] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        if not callable(func):
            raise PipelineDefinitionError(f"@step needs a function. Got {func!r}.")
        functools.update_wrapper(self, func)
        self.func = func
        self.name = name or func.__name__
        self.cache = cache
        self.allow_pickle = allow_pickle
        self.signature = inspect.signature(func)
        self.output_names = _output_names(func, outputs)
        self.materializers = dict(materializers or {})
        self.resources = dict(resources or {})
        self.labels = {str(k): str(v) for k, v in (labels or {}).items()}
        unknown = set(self.materializers) - set(self.output_names)
        if unknown:
            raise PipelineDefinitionError(
                f"Step {self.name!r}: materializers name unknown outputs "
                f"{sorted(unknown)}. Outputs: {list(self.output_names)}."
            )

    @functools.cached_property
    def source_hash(self) -> str:
        """SHA-256 of the function's source and bytecode.

        The bytecode guards against source lookup returning the wrong lines
        (code run with ``exec`` under another file's name).
        """
        code = getattr(self.func, "__code__", None)
        compiled = b"" if code is None else code.co_code + repr(code.co_names).encode()
        try:
            source = textwrap.dedent(inspect.getsource(self.func))
        except (OSError, TypeError):
            source = repr(self.func) if code is None else ""
        return hash_bytes(source.encode("utf-8") + b"\0" + compiled)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from rung.pipelines._dag import current_builder

        builder = current_builder()
        if builder is None:
            return self.func(*args, **kwargs)
        return builder.add(self, args, kwargs)

    def __repr__(self) -> str:
        return f"Step({self.name!r}, outputs={list(self.output_names)})"


@overload
def step(func: Callable[..., Any], /) -> Step: ...


@overload
def step(
    *,
    name: str | None = None,
    cache: bool = True,
    allow_pickle: bool = False,
    outputs: Sequence[str] | None = None,
    materializers: Mapping[str, str] | None = None,
    resources: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Step]: ...


def step(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    cache: bool = True,
    allow_pickle: bool = False,
    outputs: Sequence[str] | None = None,
    materializers: Mapping[str, str] | None = None,
    resources: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Step | Callable[[Callable[..., Any]], Step]:
    """Turn a function into a pipeline step; use bare or with options.

    Example:
        >>> from rung import step
        >>> @step
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> double(21)  # outside a pipeline it is the plain function
        42
        >>> @step(outputs=["train", "test"], cache=False)
        ... def split(rows: list[int]) -> tuple[list[int], list[int]]:
        ...     return rows[:2], rows[2:]
    """

    def wrap(f: Callable[..., Any]) -> Step:
        return Step(
            f,
            name=name,
            cache=cache,
            allow_pickle=allow_pickle,
            outputs=outputs,
            materializers=materializers,
            resources=resources,
            labels=labels,
        )

    return wrap(func) if func is not None else wrap


def _output_names(
    func: Callable[..., Any], explicit: Sequence[str] | None
) -> tuple[str, ...]:
    if explicit is not None:
        names = tuple(explicit)
        if len(set(names)) != len(names) or not all(
            isinstance(n, str) and n for n in names
        ):
            raise PipelineDefinitionError(
                f"Step {func.__name__!r}: outputs must be distinct non-empty names. "
                f"Got {list(names)}."
            )
        return names
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception:
        return _names_from_annotation(_lenient_return_annotation(func))
    if "return" not in hints:
        return (_OUTPUT,)
    return _names_from_annotation(hints["return"])


class _Unresolved:
    """Stands in for a name only imported under ``TYPE_CHECKING``."""

    def __getattr__(self, name: str) -> _Unresolved:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, item: Any) -> _Unresolved:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> _Unresolved:
        return self


class _LenientNamespace(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        return _Unresolved()


def _lenient_return_annotation(func: Callable[..., Any]) -> Any:
    """The return annotation, with unknown names standing in as placeholders.

    Output names live in the annotation's structure (``tuple[Annotated[X,
    "train"], ...]``), not in ``X``, so ``X`` need not be importable.
    """
    annotation = inspect.get_annotations(func).get("return", inspect.Parameter.empty)
    if annotation is inspect.Parameter.empty:
        return Any
    if not isinstance(annotation, str):
        return annotation
    namespace = _LenientNamespace(
        {**vars(typing), **vars(builtins), **func.__globals__}
    )
    try:
        return eval(annotation, namespace)  # noqa: S307 - the user's own annotation
    except Exception:
        return Any


def _names_from_annotation(ret: Any) -> tuple[str, ...]:
    if ret is None or ret is type(None):
        return ()
    if isinstance(ret, type) and issubclass(ret, tuple) and hasattr(ret, "_fields"):
        return tuple(ret._fields)
    origin = typing.get_origin(ret)
    if origin is typing.Annotated:
        label = next((m for m in ret.__metadata__ if isinstance(m, str)), None)
        return (label or _OUTPUT,)
    if origin is tuple:
        args = typing.get_args(ret)
        if not args or Ellipsis in args:
            return (_OUTPUT,)
        names = []
        for index, arg in enumerate(args):
            label = None
            if typing.get_origin(arg) is typing.Annotated:
                label = next((m for m in arg.__metadata__ if isinstance(m, str)), None)
            names.append(label or f"output_{index}")
        return tuple(names)
    return (_OUTPUT,)
