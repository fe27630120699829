"""The public API of ``rung.metadata``: exports, lazy loading, backend lookup."""

from __future__ import annotations

import subprocess
import sys
import types
from importlib.metadata import EntryPoint
from typing import TYPE_CHECKING

import pytest

import rung.metadata
from rung.errors import ConfigError
from rung.metadata import InMemoryMetadataStore, open_metadata_store
from rung.metadata import _open as open_module

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[EntryPoint]]:
    """Entry points ``open_metadata_store`` sees instead of the installed ones."""
    found: list[EntryPoint] = []
    monkeypatch.setattr(open_module, "entry_points", lambda group: found)
    open_module._backends.cache_clear()
    yield found
    open_module._backends.cache_clear()


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(rung.metadata).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name not in {"annotations", "TYPE_CHECKING"}
    }
    assert set(rung.metadata.__all__) == public | {"SqlMetadataStore"}
    assert dir(rung.metadata) == sorted(rung.metadata.__all__)
    for name in rung.metadata.__all__:
        assert getattr(rung.metadata, name) is not None


def test_import_loads_neither_sqlalchemy_nor_alembic() -> None:
    code = (
        "import sys, rung.metadata as m; m.open_metadata_store('memory://');"
        "print(sorted(k for k in ('sqlalchemy', 'alembic') if k in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_sql_store_is_loaded_on_first_access() -> None:
    from rung.metadata.sql import SqlMetadataStore

    assert rung.metadata.SqlMetadataStore is SqlMetadataStore
    with pytest.raises(AttributeError, match="has no attribute 'SqlStore'"):
        _ = rung.metadata.SqlStore


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///.rung/metadata.db",
        "postgresql+psycopg://ada@127.0.0.1:1/db",
        "postgresql://ada@127.0.0.1:1/db",
    ],
)
def test_open_metadata_store_picks_sql_store_without_io(url: str) -> None:
    store = open_metadata_store(url)
    assert type(store) is rung.metadata.SqlMetadataStore
    assert store.url == url
    store.close()


def test_open_metadata_store_picks_memory_store() -> None:
    store = open_metadata_store("MEMORY://tests")
    assert isinstance(store, InMemoryMetadataStore)
    assert store.url == "MEMORY://tests"


def test_open_metadata_store_rejects_unknown_scheme() -> None:
    with pytest.raises(
        ConfigError,
        match=r"Unknown metadata store scheme 'mysql' .*Known schemes: memory, "
        r"postgresql, sqlite\.",
    ):
        open_metadata_store("mysql+pymysql://db/x")


def test_open_metadata_store_rejects_url_without_scheme(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"has no scheme\. Write it as 'sqlite:///"):
        open_metadata_store(str(tmp_path / "metadata.db"))


def test_open_metadata_store_uses_entry_points(plugins: list[EntryPoint]) -> None:
    target = "rung.metadata.memory:InMemoryMetadataStore"
    plugins.append(EntryPoint("mystore", target, open_module.ENTRY_POINT_GROUP))
    plugins.append(
        EntryPoint("memory", "nowhere:Nothing", open_module.ENTRY_POINT_GROUP)
    )
    assert isinstance(open_metadata_store("mystore+x://a"), InMemoryMetadataStore)
    # Built-ins win over an entry point of the same name.
    assert isinstance(open_metadata_store("memory://"), InMemoryMetadataStore)


def test_open_metadata_store_reports_a_broken_plugin(plugins: list[EntryPoint]) -> None:
    plugins.append(EntryPoint("broken", "no_such_module:Store", "rung.metadata_stores"))
    with pytest.raises(
        ConfigError, match=r"'broken' \(no_such_module:Store\) cannot be"
    ):
        open_metadata_store("broken://x")
