"""Opening a bundle: the content hash check, and running what it holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rung.client import Client
from rung.errors import PackagingError
from rung.packaging import BUNDLE_TAG, Bundle, open_bundle, package_pipeline

if TYPE_CHECKING:
    from rung.workspace import Workspace


@pytest.fixture
def bundle(project: Path, rung_wheel: Path) -> Bundle:
    return package_pipeline(
        "flow.py:flow", "dist", cli_params={"n": "4"}, rung_wheel=rung_wheel
    )


def test_open_bundle_reads_the_manifest_of_an_intact_bundle(bundle: Bundle) -> None:
    opened = open_bundle("dist")
    assert opened == bundle
    assert opened.reference == f"{bundle.path / 'pipeline/flow.py'}:flow"
    assert opened.config_path == bundle.path / "rung-run.yaml"
    assert opened.size_bytes() > 0


def test_open_bundle_refuses_a_changed_file(bundle: Bundle) -> None:
    source = bundle.path / "pipeline/helpers.py"
    source.write_text(source.read_text() + "# edited\n")
    with pytest.raises(
        PackagingError,
        match=r"does not match its hash .*\(changed: pipeline/helpers\.py\)\.$",
    ):
        open_bundle(bundle.path)


def test_open_bundle_refuses_added_and_removed_files(bundle: Bundle) -> None:
    (bundle.path / "pipeline/extra.py").write_text("")
    (bundle.path / "rung-run.yaml").unlink()
    with pytest.raises(
        PackagingError, match=r"added: pipeline/extra\.py; removed: rung-run\.yaml"
    ):
        open_bundle(bundle.path)


def test_open_bundle_refuses_an_edited_hash(bundle: Bundle) -> None:
    manifest_file = bundle.path / "rung-bundle.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["content_hash"] = "0" * 64
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(PackagingError, match=r"\(the manifest was edited\)"):
        open_bundle(bundle.path)


def test_open_bundle_ignores_bytecode_and_a_workspace_inside(bundle: Bundle) -> None:
    cache = bundle.path / "pipeline/__pycache__"
    cache.mkdir()
    (cache / "flow.cpython-311.pyc").write_bytes(b"\0")
    (bundle.path / "pipeline/tools/stale.pyc").write_bytes(b"\0")
    (bundle.path / ".rung").mkdir()
    (bundle.path / ".rung/metadata.db").write_bytes(b"\0")
    assert open_bundle(bundle.path).content_hash == bundle.content_hash


def test_open_bundle_rejects_folders_that_are_not_bundles(project: Path) -> None:
    with pytest.raises(PackagingError, match="is not a Rung bundle: it has no"):
        open_bundle(project)
    (project / "rung-bundle.json").write_text("{not json")
    with pytest.raises(PackagingError, match=r"Cannot read .*rung-bundle\.json"):
        open_bundle(project)
    (project / "rung-bundle.json").write_text('{"format": 1}')
    with pytest.raises(PackagingError, match=r"lacks \['content_hash', 'name'"):
        open_bundle(project)
    (project / "rung-bundle.json").write_text(
        '{"format": 99, "name": "x", "pipeline": "p.py:x", "content_hash": "0"}'
    )
    with pytest.raises(PackagingError, match="has bundle format 99"):
        open_bundle(project)


def test_bundle_runs_with_its_config_and_records_its_hash(
    bundle: Bundle, workspace: Workspace
) -> None:
    client = Client(workspace)
    opened = open_bundle(bundle.path)
    run = client.run_pipeline(
        opened.reference, config=opened.config_path, tags=opened.run_tags
    )
    assert run.status == "completed"
    assert run.params == {"n": 4, "factor": 1.0}
    assert run.output("total") == 6.0
    assert client.get_run(run.id).tags[BUNDLE_TAG] == bundle.content_hash
    again = client.run_pipeline(
        opened.reference,
        config=opened.config_path,
        cli_params={"factor": "2"},
        tags=opened.run_tags,
    )
    assert again.output("total") == 12.0
    # Running it wrote no bytecode into the bundle that could break the hash.
    assert open_bundle(bundle.path).content_hash == bundle.content_hash
