"""A loaded model version, ready to predict: model, compiled schema, classes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rung.errors import InvalidInputError, ServingError
from rung.registry import load_model, parse_model_uri, resolve_model
from rung.registry.records import SignatureColumn
from rung.serving._fastpath import plan_calls
from rung.serving._inputs import InputSchema, matrix_of
from rung.serving._labels import label_kind

if TYPE_CHECKING:
    import pandas as pd

    from rung.registry import ModelRef
    from rung.registry.records import ModelVersionRecord
    from rung.serving._inputs import Columns
    from rung.workspace import ArtifactRead, Workspace

__all__ = ["Outputs", "ServedModel", "concat_columns"]


@dataclass(frozen=True, slots=True)
class Outputs:
    """What a model returned for some rows.

    Attributes:
        predictions: one value per row.
        probabilities: rows x classes, for classifiers with ``predict_proba``.
        classes: the class labels, in the columns' order.
    """

    predictions: np.ndarray[Any, Any]
    probabilities: np.ndarray[Any, Any] | None = None
    classes: tuple[Any, ...] | None = None

    def __len__(self) -> int:
        return len(self.predictions)

    def slice(self, start: int, stop: int) -> Outputs:
        """The outputs of rows ``start:stop``."""
        proba = None if self.probabilities is None else self.probabilities[start:stop]
        return Outputs(self.predictions[start:stop], proba, self.classes)


class ServedModel:
    """A model version loaded for serving.

    Args:
        record: the registry's version record.
        model: the loaded model object.
        alias: the alias it was resolved through, if any.
        nan_policy: see :class:`InputSchema`.

    Raises:
        ServingError: the version has no signature and the model records no
            feature names, so inputs cannot be checked.
    """

    def __init__(
        self,
        record: ModelVersionRecord,
        model: Any,
        *,
        alias: str | None = None,
        nan_policy: str = "reject",
    ) -> None:
        self.record = record
        self.model = model
        self.name = record.model
        self.version = record.version
        self.alias = alias
        self.label = f"model {record.model} v{record.version}"
        self.schema = InputSchema(
            _signature(record, model), nan_policy=nan_policy, label=self.label
        )
        self.has_proba = _has_proba(model)
        classes = getattr(model, "classes_", None) if self.has_proba else None
        self.classes: tuple[Any, ...] | None = (
            None if classes is None else tuple(np.asarray(classes).tolist())
        )
        self._class_array = None if classes is None else np.asarray(classes)
        self.label_kind = label_kind(model)  # what /feedback labels must be
        self.plan = plan_calls(model, self.schema, self.has_proba)

    @classmethod
    def load(
        cls,
        workspace: Workspace,
        uri: str | ModelRef,
        *,
        allow_pickle: bool = False,
        nan_policy: str = "reject",
        read: ArtifactRead | None = None,
    ) -> ServedModel:
        """Resolve ``uri`` now and load that version.

        Args:
            workspace: where the model is registered.
            uri: ``NAME@ALIAS`` or ``NAME/VERSION``.
            allow_pickle: allow a pickled version (it runs code from the file).
            nan_policy: see :class:`InputSchema`.
            read: the read path and reader for the artifact read checks
                (default: ``load_model`` by the current step or session).

        Raises:
            InvalidModelReferenceError / ModelNotFoundError /
            ModelVersionNotFoundError: the URI names nothing.
            UnsafeArtifactError: a pickled version without ``allow_pickle``.
            PolicyViolationError: a residency policy refuses the read.
        """
        ref = parse_model_uri(uri) if isinstance(uri, str) else uri
        record = resolve_model(workspace, ref)
        return cls.from_record(
            workspace,
            record,
            alias=ref.alias,
            allow_pickle=allow_pickle,
            nan_policy=nan_policy,
            read=read,
        )

    @classmethod
    def from_record(
        cls,
        workspace: Workspace,
        record: ModelVersionRecord,
        *,
        alias: str | None = None,
        allow_pickle: bool = False,
        nan_policy: str = "reject",
        read: ArtifactRead | None = None,
    ) -> ServedModel:
        """Load the model of a version record (``read``: see :meth:`load`)."""
        model = load_model(
            workspace,
            f"{record.model}/{record.version}",
            allow_pickle=allow_pickle,
            read=read,
        )
        return cls(record, model, alias=alias, nan_policy=nan_policy)

    def frame(self, columns: Columns) -> pd.DataFrame:
        """The DataFrame the model gets, columns in the signature's order."""
        import pandas as pd

        names = list(self.schema.names)
        if self.schema.is_all_float:
            return pd.DataFrame(self._matrix(columns), columns=names, copy=False)
        return pd.DataFrame({n: columns[n] for n in names}, copy=False)

    def predict(self, columns: Columns) -> Outputs:
        """Predict checked columns (and class probabilities for classifiers).

        Raises:
            InvalidInputError: the model refused the values (ValueError or
                TypeError inside it, e.g. an unknown category).
            ServingError: the model failed otherwise.
        """
        plan = self.plan
        if plan.matrix:
            data: Any = self._matrix(columns)
        else:
            data = self.frame(columns)
        try:
            with plan.context():
                return self._call(data)
        except (ValueError, TypeError) as exc:
            problem: dict[str, object] = {
                "column": None,
                "problem": f"the model refused it: {exc}",
            }
            raise InvalidInputError(
                f"The {self.label} refused the input: {exc}", [problem]
            ) from exc
        except Exception as exc:
            raise ServingError(
                f"The {self.label} failed while predicting: {type(exc).__name__}: {exc}"
            ) from exc

    def _matrix(self, columns: Columns) -> np.ndarray[Any, Any]:
        """The float inputs as a new matrix, columns in the signature's order
        (a copy of the one they were parsed into, when they were: one memory
        copy; the model may change its input, the log keeps the request's)."""
        names = self.schema.names
        parsed = matrix_of(columns, names)
        if parsed is not None:
            return parsed.copy()  # type: ignore[no-any-return]
        return np.column_stack([columns[n] for n in names])

    def _call(self, data: Any) -> Outputs:
        if not self.has_proba:
            return Outputs(np.asarray(self.model.predict(data)))
        proba = np.asarray(self.model.predict_proba(data))
        if self.plan.proba_argmax and self._class_array is not None:
            predictions = self._class_array[proba.argmax(axis=1)]
        else:
            predictions = np.asarray(self.model.predict(data))
        return Outputs(predictions, proba, self.classes)

    def describe(self) -> dict[str, Any]:
        """Model name, version, alias, for ``/version`` and messages."""
        return {"model": self.name, "version": self.version, "alias": self.alias}


def concat_columns(parts: list[Columns]) -> Columns:
    """Join the columns of several checked inputs (same schema) row-wise."""
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _signature(record: ModelVersionRecord, model: Any) -> tuple[SignatureColumn, ...]:
    if record.signature:
        return record.signature
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        # No recorded types: the feature names, taken as numbers.
        return tuple(SignatureColumn(str(n), "float64") for n in names)
    raise ServingError(
        f"Model {record.model} v{record.version} has no signature and records no "
        "feature names, so Rung cannot check its inputs. Register it with a "
        "signature (rung.register_model(..., signature=training_frame))."
    )


def _has_proba(model: Any) -> bool:
    try:
        return callable(getattr(model, "predict_proba", None))
    except AttributeError:  # sklearn's available_if raises for some estimators
        return False
