"""Lazy re-exports for a package's ``__init__`` (PEP 562).

A domain package re-exports its public names from private submodules. Loading
every submodule when the package is imported makes a command that needs one
function pay for all of them (and for what they import: NumPy, pandas...).
With :func:`lazy_exports` a name's submodule is imported on first access and
the value is then kept on the package, so later lookups cost nothing.

Example:
    In ``rung/example/__init__.py``::

        from typing import TYPE_CHECKING

        from rung._internal.lazy import lazy_exports as _lazy_exports

        __all__ = ["compute", "Result"]

        __getattr__, __dir__ = _lazy_exports(
            __name__, {"rung.example._compute": ("compute", "Result")}
        )

        if TYPE_CHECKING:
            from rung.example._compute import Result, compute
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of a lazily exporting package.

    Args:
        package: the package's ``__name__``.
        exports: submodule (full dotted name) -> the names it provides.

    Returns:
        ``(__getattr__, __dir__)``, to assign at module level.

    Raises:
        ValueError: two submodules claim the same name.
    """
    where: dict[str, str] = {}
    for module, names in exports.items():
        for name in names:
            if name in where:
                raise ValueError(
                    f"{package}: {name!r} is exported by both {where[name]} and "
                    f"{module}. Export each name from one submodule."
                )
            where[name] = module

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
