"""No lower layer names an upper one: not by import, not by a ``"module:attr"`` string.

import-linter checks imports; this test also catches the wiring by string that
import-linter cannot see (``add_plan_check("rung.governance:check_plan")`` in
pipelines, say). Upper layers plug into lower ones only through the entry-point
groups of ``pyproject.toml`` (the composition root). Imports under
``if TYPE_CHECKING:`` and docstrings are allowed to name anything.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def _layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    return [re.split(r"\s*[:|]\s*", layer) for layer in layers]


LAYERS = _layers()
_NAME = re.compile(r"\brung\.([a-z_]+)")


def _rank(module: str) -> int | None:
    for rank, layer in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in layer):
            return rank
    return None


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    hidden = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden |= {id(child) for child in ast.walk(node)}
    return hidden


def _mentions(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    skip = _docstrings(tree) | _type_checking_nodes(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [(node.lineno, f"rung.{m}") for m in _NAME.findall(node.value)]
    return found


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted((SRC / "rung").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        module = ".".join(p for p in parts if p != "__init__")
        # Migrations run under Alembic; built-in templates are users' projects.
        if "migrations" in parts or "builtin" in parts:
            continue
        if _rank(module) is not None:
            out.append((module, path))
    return out


@pytest.mark.parametrize(("module", "path"), _modules(), ids=str)
def test_no_module_names_a_layer_above_or_beside_it(module: str, path: Path) -> None:
    rank = _rank(module)
    own_root = ".".join(module.split(".")[:2])
    bad = []
    for line, name in _mentions(path):
        other = _rank(name)
        if other is None or name.startswith(own_root):
            continue
        if other < rank or (other == rank and not name.startswith(own_root)):  # type: ignore[operator]
            bad.append(f"{path.relative_to(ROOT)}:{line} names {name}")
    assert not bad, (
        "A lower layer names an upper (or sibling) one; wire it through an "
        "entry-point group in pyproject.toml instead:\n" + "\n".join(bad)
    )


def test_the_check_sees_a_string_wiring() -> None:
    tree = 'add_plan_check("rung.governance:check_plan")\n'
    path = ROOT / "build" / "_layer_probe.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(tree)
    try:
        assert (1, "rung.governance") in _mentions(path)
    finally:
        path.unlink()
