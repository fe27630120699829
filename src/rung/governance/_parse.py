"""Reading policy files: YAML with line numbers, and errors that say where.

Every problem in a file is reported at once, each with its line, its key
path (``policies[0].match.regoin``) and the fix.

YAML 1.1 reads ``NO`` (Norway) and ``on``/``off``/``yes`` as booleans; policy
files are read with YAML 1.2 booleans (only ``true``/``false``), so region
codes never need quotes.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ValidationError

from rung.errors import PolicyFileError
from rung.governance._model import PolicyDocument

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["load_policy_file", "parse_policies", "policies_from_dict"]

_Path = tuple[str | int, ...]
_BOOL = "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_policy_file(path: str | Path) -> tuple[PolicyDocument, str]:
    """Read and validate a policy file; return the document and its text.

    Raises:
        PolicyFileError: unreadable, not YAML, or not a valid policy file.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyFileError(
            f"Cannot read policy file {str(file)!r}: {exc}. Check the path."
        ) from exc
    return parse_policies(text, str(file)), text


def parse_policies(text: str, source: str = "<policies>") -> PolicyDocument:
    """Validate YAML policy text.

    Args:
        text: the YAML.
        source: the file name used in messages.

    Raises:
        PolicyFileError: naming every problem with its line and fix.

    Example:
        >>> doc = parse_policies("policies: []")
        >>> doc.policies
        ()
    """
    data, lines = _load_yaml(text, source)
    if not isinstance(data, dict):
        raise PolicyFileError(
            f"{source}: a policy file is a mapping with a `policies:` list, got "
            f"{type(data).__name__}. Start the file with `policies:`."
        )
    return _validate(data, source, lines)


def policies_from_dict(data: Mapping[str, Any]) -> PolicyDocument:
    """Validate policies given as Python data (the API form of a policy file).

    Raises:
        PolicyFileError: naming every problem with its key path and fix.
    """
    return _validate(dict(data), "<policies>", {})


def _validate(
    data: dict[str, Any], source: str, lines: Mapping[_Path, int]
) -> PolicyDocument:
    try:
        return PolicyDocument.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(error, lines) for error in exc.errors()]
        raise PolicyFileError(
            f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems)
        ) from None


def _load_yaml(text: str, source: str) -> tuple[Any, dict[_Path, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[_Path, int] = {}
        _index(node, (), lines, source)
        return loader.construct_document(node), lines
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyFileError(
            f"{source}:{where}: not valid YAML ({problem}). Fix the syntax "
            "(indentation, a missing ':' or an unclosed bracket)."
        ) from None
    finally:
        loader.dispose()


def _index(node: yaml.Node, path: _Path, lines: dict[_Path, int], source: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                raise PolicyFileError(
                    f"{source}: line {key.start_mark.line + 1}, "
                    f"{_dotted((*path, name))}: duplicate key {name!r}. Keep one."
                )
            seen.add(name)
            lines[(*path, name)] = key.start_mark.line + 1
            _index(value, (*path, name), lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _index(item, (*path, index), lines, source)


def _describe(error: Any, lines: Mapping[_Path, int]) -> str:
    loc: _Path = tuple(p for p in error["loc"] if _is_key(p))
    # A missing key has no line: point at the mapping that lacks it.
    shown = loc[:-1] if error["type"] == "missing" else loc
    where = _dotted(shown) or "(top level)"
    line = next(
        (lines[shown[:n]] for n in range(len(shown), 0, -1) if shown[:n] in lines), 0
    )
    prefix = f"line {line}, {where}" if line else where
    return f"{prefix}: {_message(error, loc)}."


def _is_key(part: Any) -> bool:
    # pydantic adds markers such as 'function-after[...]' for validators.
    return isinstance(part, int) or "[" not in str(part)


def _message(error: Any, loc: _Path) -> str:
    kind, message = error["type"], str(error["msg"])
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key {loc[-1]!r}{hint}. Allowed keys: {', '.join(allowed)}"
    if kind == "missing":
        return f"missing required key {loc[-1]!r}" if loc else "missing value"
    if kind == "literal_error" and loc and loc[-1] == "egress":
        return f"unknown action {error['input']!r}: use drop_or_hash, drop or deny"
    if kind == "literal_error" and "applies_to" in loc:
        return (
            f"unknown destination kind {error['input']!r}: use step, endpoint "
            "or llm_provider"
        )
    message = message.removeprefix("Value error, ")
    if kind.endswith("_type") and isinstance(error.get("input"), bool):
        message += " (YAML read a boolean: quote the value)"
    return message


def _allowed_keys(loc: _Path) -> list[str]:
    model: Any = PolicyDocument
    for part in loc:
        if isinstance(part, int) or not (
            isinstance(model, type) and issubclass(model, BaseModel)
        ):
            continue
        field = model.model_fields.get(str(part))
        model = _inner_model(field.annotation if field else None)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(model.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _dotted(path: _Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
