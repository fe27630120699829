"""The command a CLI user runs next, appended to an error's message.

Domain errors say what failed and which value; they name no CLI command,
since Python users and the server see them too. Here, at the edge, one table
maps an error class (and, where one class covers several situations, the
``reason`` it carries) to the next command, filled in from the values the
error carries in ``details``. The first matching row wins, so subclasses
come before their parents.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

from rung.automation.errors import (
    ChallengerError,
    ComparisonNotFoundError,
    DispatchNotFoundError,
    RetuneBusyError,
    RetuneError,
    TriggerNotFoundError,
    WatchNotFoundError,
)
from rung.errors import (
    ApprovalRefusedError,
    ArtifactNotFoundError,
    CatalogError,
    DatasetNotFoundError,
    DeploymentNotFoundError,
    InvalidInputError,
    ModelNotFoundError,
    ModelVersionNotFoundError,
    MonitorDataError,
    MonitorNotFoundError,
    PackagingError,
    PolicySetNotFoundError,
    PolicyViolationError,
    ProjectExistsError,
    PromotionRefusedError,
    RegistryConflictError,
    RegistryError,
    RungError,
    RunNotFoundError,
    ServingError,
    StaleDatasetVersionError,
    StepRunNotFoundError,
    TemplateNotFoundError,
)

__all__ = ["HINTS", "Hint", "hint_for", "with_hint"]


@dataclass(frozen=True, slots=True)
class Hint:
    """The next command for one kind of error.

    Attributes:
        error: the error class (subclasses match too).
        text: the sentence to append; ``{name}`` fields come from ``details``.
        reason: match only errors whose ``details["reason"]`` is this.
    """

    error: type[RungError]
    text: str
    reason: str | None = None

    def applies(self, error: RungError) -> bool:
        """Whether ``error`` is of this kind and carries every value the text names."""
        if not isinstance(error, self.error):
            return False
        if self.reason is not None and error.details.get("reason") != self.reason:
            return False
        fields = {name for _, name, _, _ in Formatter().parse(self.text) if name}
        return fields <= error.details.keys()


HINTS: tuple[Hint, ...] = (
    # runs and artifacts
    Hint(StepRunNotFoundError, "List a run's steps with `rung runs show RUN_ID`."),
    Hint(RunNotFoundError, "List runs with `rung runs list`."),
    Hint(
        ArtifactNotFoundError,
        "List artifacts with `rung artifacts list`.",
        reason="unknown_id",
    ),
    # registry
    Hint(
        ModelNotFoundError,
        "List models with `rung models list`, or register one with "
        "`rung models register`.",
    ),
    Hint(
        ModelVersionNotFoundError,
        "Promote a version with `rung models promote {model} VERSION --alias {alias}`.",
        reason="alias_unset",
    ),
    Hint(
        ModelVersionNotFoundError,
        "Restore one with `rung models restore {model} VERSION`.",
        reason="all_archived",
    ),
    Hint(
        PromotionRefusedError,
        "See the gates with `rung models gates {model}`; approvals are given "
        "with `rung models approve {model} {version} --alias {alias}`.",
        reason="gates_failed",
    ),
    Hint(
        PromotionRefusedError,
        "Restore it with `rung models restore {model} {version}`, or register "
        "a new version.",
        reason="archived",
    ),
    Hint(
        PromotionRefusedError,
        "Restore it first with `rung models restore {model} {version}`.",
        reason="archived_decision",
    ),
    Hint(RegistryConflictError, "Check `rung models show {model}` and retry."),
    Hint(
        ApprovalRefusedError,
        "Add one with `rung models gates {model} --file FILE`, or promote "
        "without approval: `rung models promote {model} {version} --alias {alias}`.",
        reason="no_approvals_gate",
    ),
    Hint(
        ApprovalRefusedError,
        "Grant it with `rung models roles grant {user} {role}`.",
        reason="approver_role",
    ),
    Hint(
        RegistryError,
        "List roles with `rung models roles list`.",
        reason="role_not_held",
    ),
    # catalog
    Hint(
        StaleDatasetVersionError,
        "Load the latest version after `rung datasets refresh {dataset}`, or keep "
        "snapshots (register with --snapshot always).",
    ),
    Hint(
        DatasetNotFoundError,
        "List datasets with `rung datasets list`, or register it with "
        "`rung datasets register`.",
        reason="unknown_dataset",
    ),
    Hint(
        DatasetNotFoundError,
        "See them with `rung datasets show {dataset}`.",
        reason="unknown_version",
    ),
    Hint(
        DatasetNotFoundError,
        "See ids with `rung datasets show NAME --json`.",
        reason="unknown_version_id",
    ),
    Hint(
        CatalogError,
        "Refresh it with `rung datasets refresh {dataset}`, or register under "
        "another name.",
        reason="already_registered",
    ),
    # governance
    Hint(
        PolicySetNotFoundError,
        "Apply one with `rung policies apply policies.yaml`.",
        reason="none",
    ),
    Hint(
        PolicySetNotFoundError,
        "List versions with `rung policies list`.",
        reason="unknown_version",
    ),
    Hint(
        PolicyViolationError,
        "Details: `rung policies check FILE:PIPELINE`.",
        reason="plan_refused",
    ),
    # serving and monitoring
    Hint(
        DeploymentNotFoundError,
        "List deployments with `rung predictions deployments`, or give a longer "
        "id prefix.",
    ),
    Hint(
        MonitorNotFoundError,
        "List monitors with `rung monitor list`, or create one with "
        "`rung monitor create NAME --model MODEL@ALIAS`.",
    ),
    Hint(
        MonitorDataError,
        "From the shell: register the training file as a dataset (`rung datasets "
        "register NAME FILE`) and add `--reference dataset:NAME` to `rung monitor "
        "create`; or register the model again with its training data: "
        "`rung models register {model} --artifact ARTIFACT_ID --training-data FILE` "
        "(`rung models versions {model} --json` shows its `artifact_id`).",
        reason="no_training_table",
    ),
    Hint(
        InvalidInputError,
        "Replace labels already given with "
        "`rung predictions label MODEL FILE --overwrite`.",
        reason="already_labelled",
    ),
    Hint(
        InvalidInputError,
        "Replace labels already given with `rung feedback import FILE --overwrite`.",
        reason="already_labelled_sheet",
    ),
    Hint(
        ServingError,
        "With `rung predict`, give `--on-bad-rows route --bad-rows-output bad.csv`.",
        reason="route_needs_file",
    ),
    Hint(
        ServingError,
        "Widen the time range (--since), or sample labelled ones too with "
        "`rung predictions sample ... --include-labelled`.",
        reason="nothing_to_sample",
    ),
    # automation
    Hint(
        TriggerNotFoundError,
        "List triggers with `rung triggers list`.",
    ),
    Hint(DispatchNotFoundError, "See the ledger with `rung triggers ledger`."),
    Hint(RetuneBusyError, "Follow it with `rung retune status {model}`."),
    Hint(
        RetuneError,
        "Delete it with `rung retune reset {model}`.",
        reason="study_differs",
    ),
    Hint(
        RetuneError,
        "Start one with `rung retune PIPELINE --model {model} --space space.yaml "
        "--metric METRIC`.",
        reason="no_study",
    ),
    Hint(ComparisonNotFoundError, "List them with `rung challenger list`."),
    Hint(WatchNotFoundError, "List them with `rung challenger watches --all`."),
    Hint(
        ChallengerError,
        "Promote one with `rung models promote {model} VERSION --alias {alias}`.",
        reason="alias_unset",
    ),
    Hint(
        ChallengerError,
        "Restore it with `rung models restore {model} {version}`.",
        reason="archived",
    ),
    Hint(
        ChallengerError,
        "List deployments with `rung predictions deployments`.",
        reason="unknown_deployment",
    ),
    # packaging and templates
    Hint(
        PackagingError,
        "Rebuild the bundle with `rung package`.",
        reason="stale_bundle",
    ),
    Hint(
        PackagingError,
        "Build one with `rung package path/to/file.py:name -o {bundle}`.",
        reason="not_a_bundle",
    ),
    Hint(
        PackagingError,
        "Rebuild the bundle with this Rung's `rung package`.",
        reason="old_format",
    ),
    Hint(TemplateNotFoundError, "List them with `rung new --list`."),
    Hint(
        ProjectExistsError,
        "To bring an existing project to a newer template, use `rung new --update`.",
        reason="not_empty",
    ),
)


def hint_for(error: RungError) -> str | None:
    """The next command for ``error``, or None when the table has none.

    Example:
        >>> from rung.errors import RunNotFoundError
        >>> hint_for(RunNotFoundError("Run 'x' not found.", run_id="x"))
        'List runs with `rung runs list`.'
    """
    for hint in HINTS:
        if hint.applies(error):
            return hint.text.format_map(error.details)
    return None


def with_hint(error: RungError) -> str:
    """The error's message, followed by its next command when it has one."""
    hint = hint_for(error)
    return str(error) if hint is None else f"{error} {hint}"
