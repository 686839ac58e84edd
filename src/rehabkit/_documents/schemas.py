"""The published JSON Schemas and schema validation with positions.

Documents are checked with a compiled validator (``jsonschema_rs``) on the fast
path.  Only a document that fails is handed to the pure-Python ``jsonschema``
package, whose errors say more (best match for ``anyOf``/``oneOf``, the failing
keyword); each is then placed at ``file:line:col`` through the document's text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from .._common.errors import Finding, did_you_mean, format_json_path
from .loader import Document

__all__ = [
    "LIBRARY_SCHEMA",
    "PROTOCOL_SCHEMA",
    "RED_FLAG_LIBRARY_SCHEMA",
    "SCHEMA_CODE",
    "SCHEMA_FOR_KIND",
    "SchemaValidator",
    "def_validator",
    "library_validator",
    "load_schema",
    "protocol_validator",
    "red_flag_library_validator",
    "schema_text",
]

PROTOCOL_SCHEMA = "protocol.schema.json"
LIBRARY_SCHEMA = "exercise-library.schema.json"
RED_FLAG_LIBRARY_SCHEMA = "red-flag-library.schema.json"
#: Document ``kind`` -> the shipped schema that describes it.
SCHEMA_FOR_KIND = {
    "protocol": PROTOCOL_SCHEMA,
    "exercise-library": LIBRARY_SCHEMA,
    "red-flag-library": RED_FLAG_LIBRARY_SCHEMA,
}
#: Finding code of every schema violation.
SCHEMA_CODE = "RK020"
_MAX_ERRORS = 50


def schema_text(name: str = PROTOCOL_SCHEMA) -> str:
    """The text of a shipped schema, exactly as published."""
    # A plain path, not importlib.resources (5 ms to import): rehabkit is never run from a zip.
    return (Path(__file__).parent.parent / "schema_files" / name).read_text(encoding="utf-8")


@cache
def load_schema(name: str = PROTOCOL_SCHEMA) -> dict[str, Any]:
    """A shipped schema as data (cached: treat it as read-only)."""
    schema: dict[str, Any] = json.loads(schema_text(name))
    return schema


class SchemaValidator:
    """Validates documents against one schema: fast check first, explanation on failure."""

    def __init__(self, schema: dict[str, Any], resources: tuple[dict[str, Any], ...] = ()) -> None:
        self.schema = schema
        #: Other schemas that ``schema`` refers to, each identified by its ``$id``.
        self.resources = resources
        self._fast = _compile(schema, resources)
        self._explainer: Any = None

    def is_valid(self, data: Any) -> bool:
        """True when ``data`` satisfies the schema."""
        if self._fast is not None:
            return bool(self._fast.is_valid(data))
        return not any(True for _ in self._explain().iter_errors(data))

    def findings(self, document: Document) -> list[Finding]:
        """Every schema violation in ``document``, placed at its line and column."""
        if self.is_valid(document.data):
            return []
        document.check_depth()  # a deferred nesting check: RK008 rather than schema errors deep inside
        findings = sorted(
            (_to_finding(document, error) for error in self._errors(document.data)),
            key=lambda f: (f.line or 0, f.column or 0),
        )
        if not findings:  # the two validators disagree: never let a failing document pass
            findings = [
                Finding(
                    path=document.path,
                    code=SCHEMA_CODE,
                    message="the document does not match the schema.",
                    line=1,
                    column=1,
                )
            ]
        return findings

    def _errors(self, data: Any) -> list[Any]:
        errors = sorted(self._explain().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
        return errors[:_MAX_ERRORS]

    def _explain(self) -> Any:
        if self._explainer is None:
            import jsonschema

            base = jsonschema.validators.validator_for(self.schema)
            # The schema's patterns are ECMA-262 regular expressions, as the fast validator reads them.
            extend: Any = jsonschema.validators.extend  # untyped in the stubs
            cls = extend(base, {"pattern": _ecma_pattern})
            options: dict[str, Any] = {}
            if self.resources:
                from referencing import Registry, Resource

                options["registry"] = Registry().with_resources(
                    (r["$id"], Resource.from_contents(r)) for r in self.resources
                )
            self._explainer = cls(self.schema, format_checker=base.FORMAT_CHECKER, **options)
        return self._explainer


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterable[Any]:
    """The ``pattern`` keyword with ECMA-262's ``$``, the end of the text: Python's ``$`` also matches before a
    final newline, so jsonschema would let ``"neck-pain\\n"`` pass as an id that the fast validator refuses (and,
    without the fast validator, let it through)."""
    if validator.is_type(instance, "string") and not re.search(_ecma(pattern), instance):
        from jsonschema.exceptions import ValidationError

        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _ecma(pattern: str) -> str:
    """``pattern`` with each ``$`` outside a character class (and not escaped) written ``\\Z``."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        character = pattern[i]
        if character == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = character != "]"
        elif character == "[":
            in_class = True
            opening = "[^" if pattern.startswith("[^", i) else "["
            if pattern.startswith("]", i + len(opening)):  # a ']' first in a class is a ']'
                opening += "]"
            out.append(opening)
            i += len(opening)
            continue
        elif character == "$":
            character = "\\Z"
        out.append(character)
        i += 1
    return "".join(out)


def _compile(schema: dict[str, Any], resources: tuple[dict[str, Any], ...]) -> Any:
    try:
        import jsonschema_rs
    except ImportError:  # no wheel for this platform: jsonschema alone still gives right answers
        return None
    options: dict[str, Any] = {}
    if resources:
        options["registry"] = jsonschema_rs.Registry([(r["$id"], r) for r in resources])
    return jsonschema_rs.validator_for(schema, validate_formats=True, **options)


@cache
def protocol_validator() -> SchemaValidator:
    """The shared validator for protocol documents."""
    return SchemaValidator(load_schema(PROTOCOL_SCHEMA))


@cache
def library_validator() -> SchemaValidator:
    """The shared validator for exercise-library documents (which refer to the protocol schema)."""
    return SchemaValidator(load_schema(LIBRARY_SCHEMA))  # self-contained: see rehabkit._documents.schema_bundle


@cache
def red_flag_library_validator() -> SchemaValidator:
    """The shared validator for red-flag library documents (self-contained, as the exercise library's)."""
    return SchemaValidator(load_schema(RED_FLAG_LIBRARY_SCHEMA))


@cache
def def_validator(definition: str) -> SchemaValidator:
    """A validator for one ``$defs`` entry of the protocol schema (``exercise``, ``screeningQuestion``, ...)."""
    schema = load_schema(PROTOCOL_SCHEMA)
    if definition not in schema["$defs"]:
        raise LookupError(f"the protocol schema has no definition {definition!r}")
    return SchemaValidator({"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"})


def _to_finding(document: Document, error: Any) -> Finding:
    error = _best(error)
    path = list(error.absolute_path)
    message, key = _message(error)
    if key is not None:
        path.append(key)
    line, column = document.position(path, key=key is not None)
    return Finding(
        path=document.path,
        code=SCHEMA_CODE,
        message=message,
        line=line,
        column=column,
        json_path=format_json_path(path),
    )


def _best(error: Any) -> Any:
    """For ``oneOf``/``anyOf``, the sub-error that explains most, unless a combined message says more."""
    from jsonschema.exceptions import best_match

    while error.context and not _combinable(error):
        error = best_match(error.context)
    return error


def _combinable(error: Any) -> bool:
    kinds = {sub.validator for sub in error.context}
    return kinds in ({"required"}, {"type"}) and all(
        list(sub.absolute_path) == list(error.absolute_path) for sub in error.context
    )


def _message(error: Any) -> tuple[str, str | None]:
    """A sentence for the error, and the offending key when the error is about one."""
    validator = error.validator
    if validator in ("anyOf", "oneOf") and error.context:
        kinds = {sub.validator for sub in error.context}
        if kinds == {"required"}:
            names = ", ".join(repr(sub.validator_value[0]) for sub in error.context if sub.validator_value)
            return f"needs at least one of {names}.", None
        types = " or ".join(_type_names(sub.validator_value for sub in error.context))
        description = error.schema.get("description")
        return f"{_short(error.instance)} must be {types}." + (f" {description}" if description else ""), None
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - allowed)
        if extra:
            name = extra[0]
            suggestion = did_you_mean(name, sorted(allowed), f" Allowed here: {', '.join(sorted(allowed))}.")
            return f"unknown field {name!r}.{suggestion}", name
    if validator == "required":
        return f"missing required field {_missing(error)!r}.", None
    if validator == "type":
        return f"{_short(error.instance)} must be {' or '.join(_type_names([error.validator_value]))}.", None
    if validator == "enum":
        options = ", ".join(repr(v) for v in error.validator_value)
        hint = did_you_mean(str(error.instance), [str(v) for v in error.validator_value])
        return f"{_short(error.instance)} is not one of {options}.{hint}", None
    if validator == "const":
        return f"{_short(error.instance)} must be {error.validator_value!r}.", None
    if validator == "minItems":
        return f"needs at least {error.validator_value} entr{'y' if error.validator_value == 1 else 'ies'}.", None
    if validator == "format":
        return f"{_short(error.instance)} is not a valid {error.validator_value}.", None
    if validator == "pattern":
        description = error.schema.get("description", "")
        return f"{_short(error.instance)} has the wrong form. {description}".strip(), None
    return f"{error.message}.", None


def _missing(error: Any) -> str:
    # jsonschema reports each missing property as its own error, but gives each the whole
    # list in validator_value: the message is what names this error's property.
    match = re.match(r"^'(.*)' is a required property$", error.message)
    return match.group(1) if match else str(error.validator_value[0])


def _type_names(values: Iterable[Any]) -> list[str]:
    names = {
        "integer": "a whole number",
        "number": "a number",
        "string": "text",
        "object": "a mapping",
        "array": "a list",
        "boolean": "true or false",
        "null": "null",
    }
    out: list[str] = []
    for value in values:
        for name in value if isinstance(value, list) else [value]:
            label = names.get(name, str(name))
            if label not in out:
                out.append(label)
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."
