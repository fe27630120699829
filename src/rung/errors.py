"""Rung's exception hierarchy.

Every error Rung raises on purpose derives from :class:`RungError`. Each domain
has one family; where callers may already catch a builtin (``LookupError``,
``ValueError``), the error subclasses it too. The CLI prints a ``RungError``
as a one-line headline plus its message, without a traceback.
"""

from __future__ import annotations

__all__ = [
    "AlertSinkError",
    "AmbiguousIdError",
    "ApprovalRefusedError",
    "ArtifactError",
    "ArtifactIntegrityError",
    "ArtifactNotFoundError",
    "CatalogError",
    "ConfigError",
    "DataSourceError",
    "DatasetNotFoundError",
    "DeploymentNotFoundError",
    "EnvironmentNotFoundError",
    "EstimationError",
    "GateDefinitionError",
    "GovernanceError",
    "InvalidDatasetError",
    "InvalidInputError",
    "InvalidModelReferenceError",
    "InvalidRecordError",
    "LineageNodeNotFoundError",
    "MalformedPayloadError",
    "MaterializerNotFoundError",
    "MetadataError",
    "MigrationError",
    "ModelNotFoundError",
    "ModelNotReadyError",
    "ModelSignatureError",
    "ModelVersionNotFoundError",
    "MonitorDataError",
    "MonitorDefinitionError",
    "MonitorNotFoundError",
    "MonitoringError",
    "PackagingError",
    "ParameterError",
    "PayloadTooLargeError",
    "PipelineDefinitionError",
    "PipelineError",
    "PipelineNotFoundError",
    "PolicyFileError",
    "PolicySetNotFoundError",
    "PolicyViolationError",
    "PredictionLogBehindError",
    "PredictionLogError",
    "ProjectExistsError",
    "PromotionRefusedError",
    "RegistryConflictError",
    "RegistryError",
    "RolloutConflictError",
    "RolloutError",
    "RolloutNotFoundError",
    "RunError",
    "RunNotFoundError",
    "RungError",
    "SchemaChangeError",
    "ServerStartError",
    "ServingAuthError",
    "ServingError",
    "StaleDatasetVersionError",
    "StepFailedError",
    "StepRunNotFoundError",
    "StoreUnavailableError",
    "TemplateError",
    "TemplateNotFoundError",
    "TemplateSourceError",
    "TemplateVariableError",
    "UnsafeArtifactError",
    "UnsupportedMediaTypeError",
    "WorkspaceError",
    "WorkspaceNotFoundError",
]


class RungError(Exception):
    """Root of every error Rung raises on purpose.

    The message says what failed, which value and, in words, how to fix it;
    it names no CLI command (Python users and the server see it too). The
    values it is about go in ``details``, so an interface can add its own
    next step: the CLI appends the command to run (``rung.cli._hints``).

    Args:
        *args: the message.
        **details: the values the error is about (``model="churn"``), and a
            ``reason`` where one class covers several situations.

    Attributes:
        headline: a short title for the CLI ("Unknown pipeline").
        details: the keyword arguments given (empty when none).

    Example:
        >>> error = RungError("No model 'churn'.", model="churn")
        >>> error.details
        {'model': 'churn'}
    """

    headline = "Rung error"

    def __init__(self, *args: object, **details: object) -> None:
        super().__init__(*args)
        self.details: dict[str, object] = details


# -- configuration and workspace -------------------------------------------------


class ConfigError(RungError, ValueError):
    """A setting, a config file or a YAML run configuration is invalid."""

    headline = "Invalid configuration"


class WorkspaceError(RungError):
    """The workspace cannot be found or opened."""

    headline = "Workspace error"


class WorkspaceNotFoundError(WorkspaceError, LookupError):
    """No ``.rung/`` folder was found from a directory upwards."""

    headline = "No workspace"


# -- metadata ---------------------------------------------------------------------


class MetadataError(RungError):
    """The metadata store failed or refused an operation."""

    headline = "Metadata store error"


class StoreUnavailableError(MetadataError):
    """The metadata database cannot be reached or opened."""

    headline = "Metadata store unavailable"


class MigrationError(MetadataError):
    """The metadata schema could not be brought up to date."""

    headline = "Schema migration failed"


class AmbiguousIdError(MetadataError, LookupError):
    """An id prefix matches more than one record."""

    headline = "Ambiguous id"


class InvalidRecordError(MetadataError, ValueError):
    """A record, or a change to one, is invalid: unknown field, bad value, clash."""

    headline = "Invalid record"


class EnvironmentNotFoundError(MetadataError, LookupError):
    """No installed-packages lock is stored under the given hash."""

    headline = "Unknown environment"


class RunError(RungError):
    """A run record is invalid or in the wrong state."""

    headline = "Run error"


class RunNotFoundError(RunError, LookupError):
    """No run has the given id."""

    headline = "Unknown run"


class StepRunNotFoundError(RunNotFoundError):
    """No step run has the given id."""

    headline = "Unknown step run"


# -- artifacts --------------------------------------------------------------------


class ArtifactError(RungError):
    """An artifact cannot be stored or loaded."""

    headline = "Artifact error"


class ArtifactNotFoundError(ArtifactError, LookupError):
    """No artifact has the given id, or its content is gone from the store."""

    headline = "Unknown artifact"


class ArtifactIntegrityError(ArtifactError):
    """An artifact's stored content does not match its recorded hash."""

    headline = "Corrupt artifact"


class MaterializerNotFoundError(ArtifactError, TypeError):
    """No materializer can store a value of this type."""

    headline = "Cannot store value"


class UnsafeArtifactError(ArtifactError):
    """Loading the artifact would run untrusted code (pickle, unknown types)."""

    headline = "Unsafe artifact"


# -- pipelines --------------------------------------------------------------------


class PipelineError(RungError):
    """A pipeline cannot be defined, found or run."""

    headline = "Pipeline error"


class PipelineNotFoundError(PipelineError, LookupError):
    """A ``file.py:name`` reference does not name a pipeline."""

    headline = "Unknown pipeline"


class PipelineDefinitionError(PipelineError, TypeError):
    """A step or pipeline is wired incorrectly (cycle, bad output, bad call)."""

    headline = "Invalid pipeline"


class ParameterError(PipelineError, ValueError):
    """A pipeline parameter is unknown, missing or of the wrong type."""

    headline = "Invalid parameter"


class StepFailedError(PipelineError):
    """User code inside a step raised an exception.

    The original exception is chained as ``__cause__``; its traceback is also
    stored on the step run record.

    Attributes:
        step: the name of the failing step.
        run_id: the id of the run it failed in.
    """

    headline = "Step failed"

    def __init__(self, step: str, run_id: str, message: str | None = None) -> None:
        self.step = step
        self.run_id = run_id
        text = message or f"Step {step!r} failed in run {run_id}."
        super().__init__(text)


# -- registry ---------------------------------------------------------------------


class RegistryError(RungError):
    """A model registry operation failed or was refused."""

    headline = "Model registry error"


class ModelNotFoundError(RegistryError, LookupError):
    """No registered model has the given name."""

    headline = "Unknown model"


class ModelVersionNotFoundError(RegistryError, LookupError):
    """A model has no such version or alias."""

    headline = "Unknown model version"


class PromotionRefusedError(RegistryError):
    """A promotion gate failed; nothing changed."""

    headline = "Promotion refused"


class ApprovalRefusedError(RegistryError):
    """An approval or rejection would not count (no gate, or a missing role)."""

    headline = "Approval refused"


class RegistryConflictError(RegistryError):
    """A concurrent change won; retry with fresh state."""

    headline = "Conflict"


class PackagingError(RungError):
    """A pipeline bundle cannot be built, verified or run."""

    headline = "Packaging error"


# -- catalog ----------------------------------------------------------------------


class CatalogError(RungError):
    """A data catalog operation failed or was refused."""

    headline = "Catalog error"


class DatasetNotFoundError(CatalogError, LookupError):
    """No dataset (or dataset version) has the given name or number."""

    headline = "Unknown dataset"


class DataSourceError(CatalogError):
    """A dataset's source cannot be reached or read."""

    headline = "Data source unreachable"


class SchemaChangeError(CatalogError):
    """A refresh found schema changes the dataset forbids."""

    headline = "Schema changed"


# -- governance -------------------------------------------------------------------


class GovernanceError(RungError):
    """A governance operation failed."""

    headline = "Governance error"


class PolicyFileError(GovernanceError, ValueError):
    """A policy file or policy definition is malformed."""

    headline = "Invalid policy"


class PolicyViolationError(GovernanceError):
    """An action would break a policy; it was refused (and audited)."""

    headline = "Policy violation"


# -- catalog (continued) ------------------------------------------------------------


class InvalidDatasetError(CatalogError, ValueError):
    """A dataset definition is invalid: name, format, schedule, column, option."""

    headline = "Invalid dataset"


class StaleDatasetVersionError(CatalogError):
    """A version without snapshot no longer matches its source's content."""

    headline = "Dataset version unavailable"


# -- governance (continued) ---------------------------------------------------------


class PolicySetNotFoundError(GovernanceError, LookupError):
    """A project has no policy set, or no policy set with that version."""

    headline = "Unknown policy set"


class LineageNodeNotFoundError(CatalogError, LookupError):
    """A lineage reference names no dataset, artifact, run or model version."""

    headline = "Unknown lineage node"


# -- registry (continued) -----------------------------------------------------------


class GateDefinitionError(RegistryError, ValueError):
    """A promotion gate (file, mapping or condition) is malformed."""

    headline = "Invalid promotion gates"


class InvalidModelReferenceError(RegistryError, ValueError):
    """A model name, alias or model URI is malformed."""

    headline = "Invalid model reference"


class ModelSignatureError(RegistryError, ValueError):
    """A model signature cannot be read from what was given."""

    headline = "Invalid model signature"


# -- serving ----------------------------------------------------------------------


class ServingError(RungError):
    """A model server or the prediction log failed or refused something."""

    headline = "Serving error"


class DeploymentNotFoundError(ServingError, LookupError):
    """No deployment has the given id."""

    headline = "Unknown deployment"


class InvalidInputError(ServingError, ValueError):
    """Input rows do not match the model's signature (every problem is listed).

    Attributes:
        problems: one JSON-able dict per problem (``column``, ``problem``,
            ``rows``...).
    """

    headline = "Invalid input"

    def __init__(
        self, message: str, problems: list[dict[str, object]], **details: object
    ) -> None:
        super().__init__(message, **details)
        self.problems = problems


class MalformedPayloadError(ServingError, ValueError):
    """A request body cannot be decoded (bad JSON, bad Arrow IPC, bad shape)."""

    headline = "Malformed request"


class UnsupportedMediaTypeError(ServingError, ValueError):
    """A request body has a content type the server does not read."""

    headline = "Unsupported content type"


class PayloadTooLargeError(ServingError, ValueError):
    """A request body is larger than the server accepts."""

    headline = "Request too large"


class ServingAuthError(ServingError):
    """A request lacks the API token, or carries a wrong one."""

    headline = "Unauthorized"


class ModelNotReadyError(ServingError):
    """The server has not loaded a model yet."""

    headline = "Model not ready"


class ServerStartError(ServingError):
    """The model server cannot start (port in use, unsafe bind, bad option)."""

    headline = "Cannot start the server"


class PredictionLogError(ServingError):
    """The prediction log cannot be written or queried."""

    headline = "Prediction log error"


class RolloutError(ServingError, ValueError):
    """A rollout cannot be started, advanced or stopped as asked."""

    headline = "Rollout error"


class RolloutNotFoundError(RolloutError, LookupError):
    """No rollout has the given id in the project."""

    headline = "Unknown rollout"


class RolloutConflictError(RolloutError):
    """Another rollout of the alias is running, or the rollout changed meanwhile."""

    headline = "Rollout conflict"


class PredictionLogBehindError(PredictionLogError):
    """The prediction log's backlog is full: new predictions wait until it drains."""

    headline = "Prediction log behind"


# -- monitoring -------------------------------------------------------------------


class MonitoringError(RungError):
    """A monitor cannot be defined, evaluated or reported."""

    headline = "Monitoring error"


class MonitorNotFoundError(MonitoringError, LookupError):
    """No monitor has the given name in the project."""

    headline = "Unknown monitor"


class MonitorDefinitionError(MonitoringError, ValueError):
    """A monitor definition is invalid: checks, thresholds, window, schedule."""

    headline = "Invalid monitor"


class MonitorDataError(MonitoringError, ValueError):
    """The data to compare cannot be used: no rows, no shared columns..."""

    headline = "Unusable monitoring data"


class EstimationError(MonitoringError, ValueError):
    """Performance cannot be estimated without labels from the data given.

    No probabilities, a reference without labels or with one class, missing
    values, chunks too small: the message says why and what to provide.
    """

    headline = "Cannot estimate performance"


class AlertSinkError(MonitoringError):
    """An alert could not be delivered to a sink (webhook, e-mail)."""

    headline = "Alert not delivered"


# -- templates --------------------------------------------------------------------


class TemplateError(RungError):
    """A project cannot be made or updated from a template."""

    headline = "Template error"


class TemplateNotFoundError(TemplateError, LookupError):
    """No built-in template has the name, and it is no folder or git URL."""

    headline = "Unknown template"


class TemplateSourceError(TemplateError):
    """A template's folder or git URL cannot be reached or read."""

    headline = "Template unreachable"


class TemplateVariableError(TemplateError, ValueError):
    """A template variable is missing, unknown or invalid."""

    headline = "Template variable"


class ProjectExistsError(TemplateError, FileExistsError):
    """The folder for a new project exists and is not empty."""

    headline = "Folder not empty"
