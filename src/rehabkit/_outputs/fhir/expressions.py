"""rehabkit's expressions and text sections: how structure FHIR has no element for is written, and read back.

A phase's criteria, a symptom rule and a precaution are kept in FHIR
``Expression`` elements (language ``text/x-rehabkit``) in a small, readable
form that :mod:`.reader` parses back exactly:

* criteria: ``weeks-in-phase >= 1 and pain-at-rest <= 3 and phase-completed(acute) and clinician-approval = true``
* a symptom rule: ``pain-during > 2 <= 5 then continue``; ``no-improvement-weeks change >= 2 then stop-and-review``
* a precaution, or the supervision: ``movement = lift and max-kg = 5 and until-clearance = true``

Lists of text (an exercise's steps, a protocol's eligibility) are Markdown
sections: a bold heading, then one item a line, every Markdown character
escaped so that a step reads as written and comes back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ExpressionError",
    "format_criteria",
    "format_fields",
    "format_rule",
    "parse_criteria",
    "parse_fields",
    "parse_rule",
    "read_sections",
    "write_sections",
]


class ExpressionError(ValueError):
    """A rehabkit expression or text section that cannot be read back."""


_OPERATORS = (("at_least", ">="), ("at_most", "<="), ("equals", "="))
_RULE_OPERATORS = (("above", ">"), ("at_most", "<="))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_value(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+(e-?\d+)?", text):
        return float(text)
    return text


def format_criteria(criteria: Sequence[Mapping[str, Any]]) -> str:
    """Criteria (``[{measure, at_least, ...}]``) as one expression; every criterion must hold."""
    terms = []
    for criterion in criteria:
        term = criterion["measure"] + (f"({criterion['phase']})" if criterion.get("phase") else "")
        term += "".join(f" {op} {_value(criterion[key])}" for key, op in _OPERATORS if key in criterion)
        terms.append(term)
    return " and ".join(terms) if terms else "true"


def parse_criteria(text: str) -> list[dict[str, Any]]:
    """The criteria :func:`format_criteria` wrote."""
    if text.strip() == "true":
        return []
    out = []
    for term in text.split(" and "):
        match = re.fullmatch(r"([a-z0-9-]+)(?:\(([^()]+)\))?((?: (?:>=|<=|=) \S+)*)", term.strip())
        if match is None:
            raise ExpressionError(f"cannot read the criterion {term!r} of the rehabkit expression {text!r}.")
        criterion: dict[str, Any] = {"measure": match.group(1)}
        if match.group(2):
            criterion["phase"] = match.group(2)
        operators = dict((op, key) for key, op in _OPERATORS)
        for op, value in re.findall(r" (>=|<=|=) (\S+)", match.group(3)):
            criterion[operators[op]] = _parse_value(value)
        out.append(criterion)
    return out


def format_rule(rule: Mapping[str, Any]) -> str:
    """A symptom rule (measure, thresholds, action) as one expression."""
    text = rule["measure"] + "".join(f" {op} {_value(rule[key])}" for key, op in _RULE_OPERATORS if key in rule)
    if "min_change" in rule:
        text += f" change >= {_value(rule['min_change'])}"
    return f"{text} then {rule['action']}"


def parse_rule(text: str) -> dict[str, Any]:
    """The symptom rule's measure, thresholds and action that :func:`format_rule` wrote."""
    match = re.fullmatch(r"([a-z0-9-]+)((?: (?:>|<=) \S+)*)(?: change >= (\S+))? then ([a-z-]+)", text.strip())
    if match is None:
        raise ExpressionError(f"cannot read the symptom rule expression {text!r}.")
    rule: dict[str, Any] = {"measure": match.group(1)}
    operators = dict((op, key) for key, op in _RULE_OPERATORS)
    for op, value in re.findall(r" (>|<=) (\S+)", match.group(2)):
        rule[operators[op]] = _parse_value(value)
    if match.group(3) is not None:
        rule["min_change"] = _parse_value(match.group(3))
    rule["action"] = match.group(4)
    return rule


def format_fields(fields: Mapping[str, Any]) -> str:
    """Named values (a precaution's limits) as ``name = value and ...``, names in kebab-case."""
    return " and ".join(f"{name.replace('_', '-')} = {_value(value)}" for name, value in fields.items()) or "true"


def parse_fields(text: str) -> dict[str, Any]:
    """The named values :func:`format_fields` wrote, names back in snake_case."""
    if text.strip() == "true":
        return {}
    out = {}
    for term in text.split(" and "):
        match = re.fullmatch(r"([a-z0-9-]+) = (\S+)", term.strip())
        if match is None:
            raise ExpressionError(f"cannot read {term!r} in the rehabkit expression {text!r}.")
        out[match.group(1).replace("-", "_")] = _parse_value(match.group(2))
    return out


_SPECIAL = set("\\`*_{}[]()#+-!|~.<>&")


def _escape(text: str) -> str:
    # Every Markdown character escaped by a backslash (reversible, unlike HTML entities); a line break inside an
    # item becomes a hard break followed by an indented continuation line.
    escaped = "".join("\\" + c if c in _SPECIAL else c for c in text)
    return escaped.replace("\n", "\\\n   ")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text.replace("\\\n   ", "\n"), flags=re.DOTALL)


def write_sections(sections: Sequence[tuple[str, Sequence[str], bool]]) -> str:
    """Markdown: each (heading, items, numbered) as a bold heading and one item a line; empty sections left out."""
    parts = []
    for heading, items, numbered in sections:
        if not items:
            continue
        lines = [f"{n}. {_escape(item)}" if numbered else f"- {_escape(item)}" for n, item in enumerate(items, start=1)]
        parts.append(f"**{heading}**\n\n" + "\n".join(lines))
    return "\n\n".join(parts)


def read_sections(text: str) -> dict[str, list[str]]:
    """The items of each section :func:`write_sections` wrote, by heading."""
    out: dict[str, list[str]] = {}
    for block in re.split(r"\n\n(?=\*\*)", text.strip()):
        if not block:
            continue
        match = re.match(r"\*\*(.+?)\*\*\n\n(.*)", block, flags=re.DOTALL)
        if match is None:
            raise ExpressionError(f"cannot read the text section {block[:60]!r}: it has no bold heading.")
        items = re.split(r"\n(?=\d+\. |- )", match.group(2))
        out[match.group(1)] = [_unescape(re.sub(r"^(\d+\. |- )", "", item, count=1)) for item in items]
    return out
