"""The public surface of rung.artifacts: exports, docs, import cost."""

from __future__ import annotations

import subprocess
import sys

import pytest

import rung.artifacts

HEAVY = ("fsspec", "numpy", "pandas", "pyarrow", "polars", "sklearn", "skops", "scipy")


def test_all_names_resolve_and_are_documented() -> None:
    for name in rung.artifacts.__all__:
        value = getattr(rung.artifacts, name)
        assert value.__doc__, f"{name} has no docstring"
    assert set(rung.artifacts.__all__) <= set(dir(rung.artifacts))


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        rung.artifacts.nope  # noqa: B018


def test_saving_json_values_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import rung.artifacts as a\n"
        "with a.InMemoryArtifactStore() as s:\n"
        "    a.load_value(s, a.save_value(s, {'x': [1, 2.5]}))\n"
        f"print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == ""
