"""Skip pydantic for command-line values that already have their declared type.

Typer (0.29) converts every parameter value through a pydantic
``TypeAdapter``, built on first use. Building the first one imports pydantic,
about a fifth of a short command such as ``rung runs list`` on a small
machine, even when the value needs no conversion: an ``int`` option left at
its default, a ``str`` argument, an unset ``--help`` flag. The adapter returns
such values unchanged, and turns a string of decimal digits into its ``int``.

:func:`defer_coercion` makes Typer give each plain ``str``, ``int``,
``float`` or ``bool`` parameter (no custom parser, no bounds) a stand-in that
does the same for those values itself. Any other value (``"abc"`` or ``"-1"``
for an ``int``, ``1`` for a ``float``) builds Typer's own adapter and is
handed over to it, so conversions and error messages stay Typer's. With a
Typer whose internals differ, nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from typer._click import Context

__all__ = ["defer_coercion"]

_MARK = "_rung_deferred_coercion"
_PLAIN = (str, int, float, bool)

try:
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer.core import _TyperParameter
except ImportError:  # pragma: no cover - another Typer: keep its behaviour
    _SUPPORTED = False
else:
    _SUPPORTED = hasattr(_TyperParameter, "get_runtime_param")

    @dataclass(frozen=True)
    class _Deferred(RuntimeParam):
        """Typer's runtime parameter, built only for a value that needs it."""

        descriptor: TypeDescriptor

        def _coerce_value(
            self, value: Any, param: _TyperParameter, ctx: Context
        ) -> Any:
            if type(value) is self.annotation:
                return value  # what the adapter returns for it
            if self.annotation is int and _is_decimal(value):
                return int(value)  # "20" -> 20, as the adapter does
            real = build_runtime_param(self.descriptor)
            param._runtime_param = real  # later values go straight to Typer
            return real._coerce_value(value, param=param, ctx=ctx)


def defer_coercion() -> None:
    """Make Typer build pydantic adapters only for values that need converting.

    Installed once per process (calling it again does nothing); Rung's root
    command group calls it when it is built.
    """
    if not _SUPPORTED or getattr(_TyperParameter.get_runtime_param, _MARK, False):
        return
    build: Callable[[_TyperParameter], RuntimeParam] = _TyperParameter.get_runtime_param

    def get_runtime_param(self: _TyperParameter) -> RuntimeParam:
        if self._runtime_param is None and _is_plain(self.type_descriptor):
            self._runtime_param = _Deferred(
                parameter_info=self.type_descriptor.parameter_info,
                annotation=self.type_descriptor.annotation,
                descriptor=self.type_descriptor,
            )
        return build(self)

    setattr(get_runtime_param, _MARK, True)
    setattr(_TyperParameter, "get_runtime_param", get_runtime_param)  # noqa: B010


def _is_plain(descriptor: TypeDescriptor) -> bool:
    info = descriptor.parameter_info
    return (
        descriptor.annotation in _PLAIN
        and descriptor.file_annotation is None
        and info.parser is None
        and info.min is None
        and info.max is None
        and not info.clamp
    )


def _is_decimal(value: object) -> bool:
    # Plain ASCII digits, short enough for any integer parser: "007" -> 7.
    return (
        type(value) is str and value.isascii() and value.isdigit() and len(value) <= 18
    )
