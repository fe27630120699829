"""The store infrastructure: backend lookup, ``memory://``, typed stores, exports."""

from __future__ import annotations

import subprocess
import sys
import types
from importlib.metadata import EntryPoint
from typing import TYPE_CHECKING

import pytest

import rung.metadata
import rung.store
from rung.errors import ConfigError
from rung.metadata import RunRecord, RunStore
from rung.store import _backend, open_backend
from rung.store.sql import Database

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[EntryPoint]]:
    """Entry points ``open_backend`` sees instead of the installed ones."""
    found: list[EntryPoint] = []

    def scan(group: str) -> dict[str, str]:
        return {ep.name: ep.value for ep in found if ep.group == group}

    monkeypatch.setattr(_backend, "_scan", scan)
    _backend.registered.cache_clear()
    yield found
    _backend.registered.cache_clear()


@pytest.mark.parametrize("module", [rung.metadata, rung.store])
def test_all_lists_exactly_the_public_names(module: types.ModuleType) -> None:
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name not in {"annotations", "TYPE_CHECKING"}
    }
    assert set(module.__all__) == public


def test_importing_the_packages_loads_neither_sqlalchemy_nor_alembic() -> None:
    code = (
        "import sys, rung.metadata, rung.store, rung.workspace;"
        "print(sorted(k for k in ('sqlalchemy', 'alembic') if k in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///.rung/metadata.db",
        "postgresql+psycopg://ada@127.0.0.1:1/db",
        "postgresql://ada@127.0.0.1:1/db",
        "MEMORY://tests",
    ],
)
def test_open_backend_picks_the_sql_database_without_io(url: str) -> None:
    backend = open_backend(url)
    assert type(backend) is Database
    assert backend.url == url
    backend.close()


def test_memory_backends_are_private_sqlite_databases() -> None:
    first, second = open_backend("memory://"), open_backend("memory://")
    try:
        runs: RunStore = first.open_store("runs")
        runs.create_run(RunRecord("a" * 32, "r", "p", "u", "running", 1.0))
        assert [r.id for r in runs.list_runs()] == ["a" * 32]
        assert second.open_store("runs").list_runs() == []
    finally:
        first.close()
        second.close()


def test_open_store_builds_each_store_once() -> None:
    backend = open_backend("memory://")
    assert backend.open_store("models") is backend.open_store("models")
    backend.close()


def test_open_store_rejects_an_unknown_name() -> None:
    backend = open_backend("memory://")
    with pytest.raises(ConfigError, match=r"No SQL store named 'widgets' is regis"):
        backend.open_store("widgets")


def test_open_backend_rejects_unknown_scheme() -> None:
    with pytest.raises(
        ConfigError,
        match=r"Unknown metadata store scheme 'mysql' .*Known schemes: memory, "
        r"postgresql, sqlite\.",
    ):
        open_backend("mysql+pymysql://db/x")


def test_open_backend_rejects_url_without_scheme(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"has no scheme\. Write it as 'sqlite:///"):
        open_backend(str(tmp_path / "metadata.db"))


def test_open_backend_uses_entry_points(plugins: list[EntryPoint]) -> None:
    target = "rung.store.sql:Database"
    plugins.append(EntryPoint("mystore", target, _backend.BACKEND_GROUP))
    plugins.append(EntryPoint("memory", "nowhere:Nothing", _backend.BACKEND_GROUP))
    assert type(open_backend("mystore+x://a")) is Database
    # Built-ins win over an entry point of the same name.
    assert type(open_backend("memory://")) is Database


def test_open_backend_reports_a_broken_plugin(plugins: list[EntryPoint]) -> None:
    plugins.append(EntryPoint("broken", "no_such_module:Store", "rung.backends"))
    with pytest.raises(
        ConfigError, match=r"'broken' \(no_such_module:Store\) cannot be"
    ):
        open_backend("broken://x")


def test_rung_stores_are_found_without_scanning_other_distributions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def scan(group: str) -> dict[str, str]:
        raise AssertionError(f"scanned every distribution for {group}")

    monkeypatch.setattr(_backend, "_scan", scan)
    _backend.registered.cache_clear()
    try:
        assert type(open_backend("sqlite:///x.db")) is Database
        found = _backend.lookup("rung.sql_stores", "runs")
        assert found == "rung.metadata._sql:SqlRunStore"
    finally:
        _backend.registered.cache_clear()


def test_a_plugin_store_is_found_and_rungs_own_name_wins(
    plugins: list[EntryPoint],
) -> None:
    group = "rung.sql_stores"
    plugins.append(EntryPoint("extra", "rung.metadata._sql:SqlRunStore", group))
    plugins.append(EntryPoint("runs", "nowhere:Nothing", group))
    backend = open_backend("memory://")
    try:
        assert backend.open_store("extra").list_runs() == []
        assert backend.open_store("runs").list_runs() == []
        assert _backend.registered(group)["runs"] == "rung.metadata._sql:SqlRunStore"
    finally:
        backend.close()
