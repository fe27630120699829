"""Settings: defaults < rung.toml < RUNG_* environment < explicit overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from rung.errors import ConfigError, WorkspaceNotFoundError
from rung.settings import find_workspace, load_settings


def test_defaults_use_sqlite_and_a_local_folder_in_dot_rung(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, create=True, environ={})
    assert settings.root == tmp_path.resolve()
    assert (
        settings.metadata_url
        == f"sqlite:///{tmp_path.resolve() / '.rung' / 'metadata.db'}"
    )
    assert settings.artifact_url == str(tmp_path.resolve() / ".rung" / "artifacts")
    assert settings.project == tmp_path.name
    assert settings.orchestrator == "local"


def test_workspace_is_found_upwards_like_git(tmp_path: Path) -> None:
    (tmp_path / ".rung").mkdir()
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_workspace(nested) == tmp_path.resolve()
    assert load_settings(nested, environ={}).root == tmp_path.resolve()


def test_missing_workspace_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceNotFoundError, match="rung init"):
        load_settings(tmp_path, environ={})


def test_sources_override_in_order(tmp_path: Path) -> None:
    (tmp_path / ".rung").mkdir()
    (tmp_path / "rung.toml").write_text(
        'project = "from-toml"\nmax_workers = 2\nmetadata_url = "sqlite:///toml.db"\n'
    )
    env = {"RUNG_MAX_WORKERS": "3", "RUNG_PROJECT": "from-env"}
    settings = load_settings(tmp_path, {"project": "from-flag"}, environ=env)
    assert settings.metadata_url == "sqlite:///toml.db"
    assert settings.max_workers == 3
    assert settings.project == "from-flag"


def test_rung_table_in_toml_is_read(tmp_path: Path) -> None:
    (tmp_path / ".rung").mkdir()
    (tmp_path / "rung.toml").write_text('[rung]\nuser = "ada"\n')
    assert load_settings(tmp_path, environ={}).user == "ada"


def test_team_store_needs_no_local_workspace(tmp_path: Path) -> None:
    env = {"RUNG_METADATA_URL": "postgresql+psycopg://db/rung"}
    assert load_settings(tmp_path, environ=env).metadata_url == env["RUNG_METADATA_URL"]


def test_alert_allow_hosts_is_a_toml_list_or_a_comma_separated_variable(
    tmp_path: Path,
) -> None:
    (tmp_path / ".rung").mkdir()
    (tmp_path / "rung.toml").write_text('alert_allow_hosts = ["[::1]:8123"]\n')
    assert load_settings(tmp_path, environ={}).alert_allow_hosts == ("[::1]:8123",)
    env = {"RUNG_ALERT_ALLOW_HOSTS": "127.0.0.1:8123, 10.0.0.0/8,"}
    assert load_settings(tmp_path, environ=env).alert_allow_hosts == (
        "127.0.0.1:8123",
        "10.0.0.0/8",
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("colour = 1\n", r"Unknown setting\(s\) \['colour'\]"),
        ('max_workers = "many"\n', r"'max_workers' must be int\. Got 'many'"),
        ("max_workers = 0\n", r"max_workers must be >= 1\. Got 0"),
        ("max_workers = [\n", r"Cannot read .*rung\.toml"),
        ("alert_allow_hosts = 8123\n", r"'alert_allow_hosts' must be a list"),
    ],
)
def test_bad_settings_are_refused_with_the_fix(
    tmp_path: Path, toml: str, message: str
) -> None:
    (tmp_path / ".rung").mkdir()
    (tmp_path / "rung.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path, environ={})
