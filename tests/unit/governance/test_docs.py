"""The examples in docs/governance.md run as written."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

import rung
from rung.errors import PolicyFileError
from rung.governance import parse_policies

DOC = Path(__file__).parents[3] / "docs" / "governance.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


def test_governance_doc_ca_health_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # A real file, so steps hash their own source (cache keys stay distinct).
    script = tmp_path / "ca_health.py"
    script.write_text(_blocks("python")[-1])
    try:
        namespace = runpy.run_path(str(script))
    finally:
        rung.use_workspace(None)
    assert namespace["refused"] == ["pii-hashed-before-egress", "ca-health-stays-in-ca"]


def test_governance_doc_policy_file_is_valid() -> None:
    yaml_text = _blocks("yaml")[0]
    assert [p.name for p in parse_policies(yaml_text).policies] == [
        "ca-health-stays-in-ca",
        "pii-hashed-before-egress",
    ]


def test_governance_doc_shows_the_real_validation_errors() -> None:
    shown = _blocks("console")[1]
    yaml_text = (
        _blocks("yaml")[0]
        .replace("# policies.yaml\n", "")
        .replace("region: CA}", "regoin: CA}")
        .replace("[CA]", "[CA, UK]")
        .replace("drop_or_hash", "hash")
    )
    yaml_text = re.sub(r" +#.*", "", yaml_text)
    with pytest.raises(PolicyFileError) as info:
        parse_policies(yaml_text, "typo.yaml")
    for line in str(info.value).splitlines():
        assert line in shown
