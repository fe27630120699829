"""What only ``InMemoryMetadataStore`` does (the rest is in tests/contract)."""

from __future__ import annotations

from rung.metadata import InMemoryMetadataStore, MetadataStore, RunRecord


def test_memory_store_defaults_and_survives_close() -> None:
    store = InMemoryMetadataStore()
    assert store.url == "memory://"
    assert isinstance(store, MetadataStore)
    run = RunRecord("a" * 32, "r", "p", "u", "running", 1.0)
    store.create_run(run)
    store.close()
    assert store.get_run(run.id) == run


def test_memory_stores_are_independent() -> None:
    first, second = InMemoryMetadataStore(), InMemoryMetadataStore()
    first.create_run(RunRecord("a" * 32, "r", "p", "u", "running", 1.0))
    assert second.list_runs() == []
