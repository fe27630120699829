"""Egress: pii columns must be dropped or hashed before a step labelled egress."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pytest

from rung import pipeline, step
from rung.catalog import dataset, register_dataset
from rung.errors import GovernanceError, PolicyViolationError
from rung.governance import apply_policies, audit_log, hash_columns, is_hashed
from tests.unit.governance.conftest import claims_frame

if TYPE_CHECKING:
    from pathlib import Path

    from rung.workspace import Workspace

CA = {"region": "CA"}
EGRESS = {"region": "CA", "egress": "true"}


@step(labels=CA)
def raw(claims: pd.DataFrame) -> pd.DataFrame:
    return claims


@step(labels=CA)
def hashed(claims: pd.DataFrame) -> pd.DataFrame:
    return hash_columns(claims, ["email"], salt="pepper")


@step(labels=CA)
def dropped(claims: pd.DataFrame) -> pd.DataFrame:
    return claims.drop(columns=["email"])


@step(labels=CA)
def total(claims: pd.DataFrame) -> float:
    return float(claims["amount"].sum())


@step(labels=EGRESS)
def publish(rows: pd.DataFrame) -> int:
    return len(rows)


@step(labels=EGRESS)
def publish_number(value: float) -> float:
    return value


@pipeline
def publish_raw() -> None:
    publish(raw(dataset("claims")))


@pipeline
def publish_hashed() -> None:
    publish(hashed(dataset("claims")))


@pipeline
def publish_dropped() -> None:
    publish(dropped(dataset("claims")))


@pipeline
def publish_total() -> None:
    publish_number(total(dataset("claims")))


@pipeline
def publish_directly() -> None:
    publish(dataset("claims"))


def test_hash_columns_hashes_with_salt_and_marks_attrs() -> None:
    out = hash_columns(claims_frame(), ["email"], salt="pepper")
    assert out.attrs["rung.hashed"] == {"email": "sha256"}
    assert is_hashed(out["email"])
    assert out["email"].isna().tolist() == [False, False, True]
    again = hash_columns(claims_frame(), ["email"], salt="pepper")
    assert out["email"].tolist() == again["email"].tolist()
    other = hash_columns(claims_frame(), ["email"], salt="salt")
    assert out["email"][0] != other["email"][0]
    assert claims_frame()["email"][0] == "a@x.ca"  # the input is untouched


def test_is_hashed_rejects_clear_values() -> None:
    assert not is_hashed(claims_frame()["email"])
    assert not is_hashed(claims_frame()["amount"])
    assert is_hashed(pd.Series([None, None], dtype=object))


@pytest.mark.parametrize(
    ("columns", "salt", "message"),
    [
        (["email"], "", "needs a non-empty salt"),
        (["phone"], "pepper", r"Cannot hash \['phone'\]: no such column"),
    ],
)
def test_hash_columns_refuses_bad_arguments(
    columns: list[str], salt: str, message: str
) -> None:
    with pytest.raises(GovernanceError, match=message):
        hash_columns(claims_frame(), columns, salt=salt)


def test_egress_of_clear_pii_is_stopped(governed: Workspace) -> None:
    message = (
        r"Step 'publish' \(before its code ran\) was refused(.|\n)*"
        r"rule 'pii-hashed-before-egress': Input 'rows' of step 'publish' still "
        r"holds email in clear \(pii\)\. Drop or hash them in an upstream step"
        r"(.|\n)*claims@v1 \[health, pii, CA\] -> raw -> publish"
    )
    with pytest.raises(PolicyViolationError, match=message):
        publish_raw()
    (run,) = governed.runs.list_runs()
    assert run.status == "failed"
    (refusal,) = audit_log(governed, verdict="refuse")
    assert (refusal.rule, refusal.stage, refusal.run_id) == (
        "pii-hashed-before-egress",
        "run",
        run.id,
    )


def test_egress_of_hashed_pii_is_allowed(governed: Workspace) -> None:
    run = publish_hashed()
    assert run.status == "completed"
    decisions = audit_log(governed, run_id=run.id)
    egress = [d for d in decisions if d.rule == "pii-hashed-before-egress"]
    assert [(d.verdict, d.reason) for d in egress] == [
        (
            "allow",
            "Input 'rows': classified columns dropped or hashed (hashed: email).",
        )
    ]


def test_egress_of_dropped_pii_is_allowed(governed: Workspace) -> None:
    assert publish_dropped().status == "completed"


def test_egress_of_a_value_without_columns_is_allowed(governed: Workspace) -> None:
    run = publish_total()
    assert run.status == "completed"
    (decision,) = [
        d for d in audit_log(governed, run_id=run.id) if d.rule.startswith("pii")
    ]
    assert "is a float, not a DataFrame" in decision.reason


def test_egress_step_reading_pii_itself_is_stopped(governed: Workspace) -> None:
    with pytest.raises(
        PolicyViolationError,
        match=r"step 'publish' is labelled egress and reads claims@v1 .* itself",
    ):
        publish_directly()


def test_drop_action_refuses_hashed_columns(catalog: Workspace) -> None:
    apply_policies(
        catalog,
        "policies:\n  - name: drop-pii\n    match: {tags: [pii]}\n    egress: drop\n",
    )
    with pytest.raises(PolicyViolationError, match=r"still holds email in clear"):
        publish_hashed()
    assert publish_dropped().status == "completed"


def test_deny_action_refuses_any_governed_data(catalog: Workspace) -> None:
    apply_policies(
        catalog,
        "policies:\n  - name: no-health-out\n    match: {tags: [health]}\n"
        "    egress: deny\n",
    )
    with pytest.raises(
        PolicyViolationError,
        match=r"step 'publish' is labelled egress and receives data 'no-health-out'",
    ):
        publish_dropped()
    assert catalog.runs.list_runs() == []  # refused at plan time


def test_dataset_classed_pii_as_a_whole_cannot_egress(
    workspace: Workspace, claims_csv: Path
) -> None:
    register_dataset(workspace, "claims", str(claims_csv), tags=["pii"])
    apply_policies(
        workspace,
        "policies:\n  - name: pii\n    match: {tags: [pii]}\n"
        "    egress: drop_or_hash\n",
    )
    with pytest.raises(
        PolicyViolationError,
        match=r"classed pii as a whole, so its columns cannot be told apart\. Tag",
    ):
        publish_hashed()
