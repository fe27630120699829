"""Promotion gates: the condition grammar, gate files, and their evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from rung.errors import GateDefinitionError
from rung.registry import (
    AliasGates,
    ApprovalRule,
    Gates,
    evaluate_gates,
    load_gates_file,
    parse_condition,
    parse_gates,
)
from rung.registry.records import (
    ApprovalRecord,
    ModelVersionRecord,
    RoleRecord,
    SignatureColumn,
)

if TYPE_CHECKING:
    from pathlib import Path


def version(number: int, **fields: Any) -> ModelVersionRecord:
    values: dict[str, Any] = {
        "model": "churn",
        "version": number,
        "project": "p",
        "artifact_id": "a" * 64,
        "user": "ada",
        "created_at": 1.0,
    }
    return ModelVersionRecord(**{**values, **fields})


def decision(user: str, kind: str = "approve", comment: str = "") -> ApprovalRecord:
    return ApprovalRecord("churn", 2, "production", "p", user, kind, 1.0, comment)


def role(user: str, name: str = "reviewer") -> RoleRecord:
    return RoleRecord("p", user, name, "admin", 1.0)


# -- the grammar ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accuracy >= 0.9", ("accuracy", ">=", 0.9, None, 0.0)),
        ("loss<0.25", ("loss", "<", 0.25, None, 0.0)),
        ("val/auc > -1e-3", ("val/auc", ">", -0.001, None, 0.0)),
        ("f1 >= champion.f1 - 0.01", ("f1", ">=", None, "f1", -0.01)),
        ("f1 != champion.f1", ("f1", "!=", None, "f1", 0.0)),
        (
            "latency_ms <= champion.latency_ms + 5",
            ("latency_ms", "<=", None, "latency_ms", 5.0),
        ),
        ("  rmse==champion.mae+.5 ", ("rmse", "==", None, "mae", 0.5)),
    ],
)
def test_parse_condition_reads_the_grammar(
    text: str, expected: tuple[Any, ...]
) -> None:
    parsed = parse_condition(text)
    got = (parsed.metric, parsed.op, parsed.threshold, parsed.champion_metric)
    assert (*got, parsed.offset) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("accuracy 0.9", r"No comparison in 'accuracy 0.9'"),
        ("accuracy => 0.9", r"Unknown operator '=>'"),
        ("accuracy = 0.9", r"Unknown operator '='"),
        ("9lives >= 1", r"'9lives' in '9lives >= 1' is not a metric name"),
        ("accuracy >= high", r"'high' .* is neither a number nor 'champion\.<metric>"),
        ("f1 >= champion.f1 * 2", r"neither a number"),
        ("__import__('os') >= 1", r"is not a metric name"),
        ("f1 >= champion.f1 - 0.01; rm -rf /", r"neither a number"),
    ],
)
def test_parse_condition_rejects_anything_else_with_the_grammar(
    text: str, message: str
) -> None:
    with pytest.raises(GateDefinitionError, match=message):
        parse_condition(text)
    with pytest.raises(ValueError, match=r"Write `<metric> <op>"):
        parse_condition(text)


def test_parse_gates_reads_a_mapping_and_round_trips() -> None:
    data = {
        "production": {
            "metrics": ["accuracy >= 0.90", "f1 >= champion.f1 - 0.01"],
            "signature": "compatible",
            "approvals": {"role": "reviewer", "count": 2},
        },
        "staging": {"metrics": "accuracy >= 0.8"},
        "shadow": None,
    }
    gates = parse_gates(data)
    production = gates.for_alias("production")
    assert [c.text for c in production.metrics] == [
        "accuracy >= 0.90",
        "f1 >= champion.f1 - 0.01",
    ]
    assert production.signature is True
    assert production.approvals == ApprovalRule("reviewer", 2)
    assert gates.for_alias("staging").metrics[0].threshold == 0.8
    assert gates.for_alias("shadow").is_empty
    assert gates.for_alias("unknown") == AliasGates()
    assert parse_gates(gates.to_dict()) == gates


def test_load_gates_file_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(
        "production:\n"
        "  metrics:\n"
        "    - accuracy >= 0.9\n"
        "  approvals: {role: reviewer}\n"
    )
    gates = load_gates_file(path)
    assert gates.for_alias("production").approvals == ApprovalRule("reviewer", 1)
    assert load_gates_file(tmp_path / "gates.yaml") == parse_gates(path.read_text())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("production: [unclosed", r"gates\.yaml is not valid YAML at line 1"),
        ("- accuracy >= 0.9\n", r"expected a mapping of alias -> gates, got list"),
        (
            "production:\n  metric: [a >= 1]\n",
            r"alias 'production': unknown key\(s\) \['metric'\]",
        ),
        (
            "production:\n  metrics: [a >> 1]\n",
            r"alias 'production': metrics\[0\]: Unknown operator '>>'",
        ),
        (
            "production:\n  approvals: 2\n",
            r"'approvals' must be \{role: <name>, count: <int >= 1>\}",
        ),
        ("production:\n  approvals: {role: r, count: 0}\n", r"'approvals' must be"),
        ("production:\n  signature: maybe\n", r"'signature' must be 'compatible'"),
        ("latest:\n  metrics: []\n", r"alias 'latest'.*reserved"),
        ("9prod:\n  metrics: []\n", r"alias '9prod': Invalid alias"),
    ],
)
def test_malformed_gate_files_name_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(text)
    with pytest.raises(GateDefinitionError, match=message):
        load_gates_file(path)


def test_missing_gate_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(
        GateDefinitionError, match=r"Cannot read gates file .*nope\.yaml"
    ):
        load_gates_file(tmp_path / "nope.yaml")


# -- evaluation -------------------------------------------------------------------


def test_metric_thresholds_report_the_numbers() -> None:
    gates = AliasGates(
        (parse_condition("accuracy >= 0.90"), parse_condition("loss < 0.3"))
    )
    checks = evaluate_gates(
        gates, version(2, metrics={"accuracy": 0.87, "loss": 0.2}), None
    )
    assert [(c.passed, c.detail) for c in checks] == [
        (False, "accuracy 0.87 < 0.90"),
        (True, "loss 0.2 < 0.3"),
    ]


def test_champion_comparison_uses_the_champion_metric_and_offset() -> None:
    gates = AliasGates((parse_condition("f1 >= champion.f1 - 0.01"),))
    champion = version(1, metrics={"f1": 0.90})
    passing = evaluate_gates(gates, version(2, metrics={"f1": 0.895}), champion)
    failing = evaluate_gates(gates, version(2, metrics={"f1": 0.85}), champion)
    assert passing[0].passed
    assert failing[0].detail == "f1 0.85 < champion.f1 - 0.01 = 0.89 (champion v1)"
    assert evaluate_gates(gates, version(2, metrics={"f1": 0.1}), None)[0].passed


def test_missing_metrics_fail_their_gate() -> None:
    gates = AliasGates(
        (parse_condition("f1 >= champion.f1"), parse_condition("auc > 0.5"))
    )
    checks = evaluate_gates(gates, version(2, metrics={"f1": 0.9}), version(1))
    assert [c.passed for c in checks] == [False, False]
    assert checks[0].detail == "champion version 1 has no metric 'f1' to compare with"
    assert "version 2 has no metric 'auc' (its metrics: f1)" in checks[1].detail


def test_signature_gate_compares_columns_and_types() -> None:
    old = (SignatureColumn("age", "int64"), SignatureColumn("plan", "object"))
    gates = AliasGates(signature=True)
    same = version(2, signature=(SignatureColumn("age", "float64"), old[1]))
    changed = version(2, signature=(SignatureColumn("age", "object"),))
    champion = version(1, signature=old)
    assert evaluate_gates(gates, same, champion)[0].passed
    check = evaluate_gates(gates, changed, champion)[0]
    assert not check.passed
    assert "column 'plan' is missing" in check.detail
    assert "column 'age' is object, the champion's is int64" in check.detail
    unsigned = evaluate_gates(gates, version(2), champion)[0]
    assert "version 2 has no signature" in unsigned.detail


def test_approval_gate_counts_distinct_role_holders() -> None:
    gates = AliasGates(approvals=ApprovalRule("reviewer", 2))
    roles = [role("bob"), role("eve"), role("mallory", "intern")]
    one = [decision("bob"), decision("bob"), decision("mallory")]
    checks = evaluate_gates(gates, version(2), None, one, roles)
    assert checks[0].detail == "needs 2 approvals from role 'reviewer', has 1"
    two = [*one, decision("eve")]
    passed = evaluate_gates(gates, version(2), None, two, roles)[0]
    assert (passed.passed, passed.detail) == (
        True,
        "approved by bob, eve (role 'reviewer')",
    )


def test_a_standing_rejection_blocks_until_the_user_approves() -> None:
    gates = AliasGates(approvals=ApprovalRule("reviewer", 1))
    roles = [role("bob"), role("eve")]
    rejected = [decision("eve"), decision("bob", "reject", "drift on EU data")]
    check = evaluate_gates(gates, version(2), None, rejected, roles)[0]
    assert check.detail == "rejected by role 'reviewer': bob: drift on EU data"
    later = [*rejected, decision("bob")]
    assert evaluate_gates(gates, version(2), None, later, roles)[0].passed


def test_gates_to_dict_is_what_the_store_keeps() -> None:
    gates = Gates({"production": AliasGates(approvals=ApprovalRule("lead"))})
    assert gates.to_dict() == {
        "production": {
            "metrics": [],
            "signature": False,
            "approvals": {"role": "lead", "count": 1},
        }
    }
