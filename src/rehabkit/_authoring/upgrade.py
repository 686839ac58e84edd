"""``rehabkit upgrade``: rewrite a protocol or exercise-library document of an older format to the current one.

The YAML is read and written with ruamel.yaml's round-trip mode, so that comments, key order and suppression
comments stay; it is imported here only, when a document is upgraded. A JSON document (which has no comments) is
read keeping its key order and written back with the indentation it had. What is mended for a format-1 document:

- a ``no-improvement-weeks`` rule's own ``above`` becomes the ``review_after_weeks`` of each phase that has none
  (the meaning it had, but for one edge: ``above: N`` asked for review once N weeks were passed, a phase's
  ``review_after_weeks: N`` once they are reached, so a session on the very day is reviewed), and ``above`` goes;
- a sign of the red-flag minimum set in force that no question covers makes the protocol take rehabkit's shared
  red-flag set (``shared_red_flags: {minimum_set_from: rehabkit-red-flags}``): its question for the sign is the one
  asked at run time meanwhile, and a sign added to the set later is asked too;
- ``format`` is set to the current format, after ``kind``.

What it cannot mend is said, with why: a range without ``step`` (how much one step adds is the author's clinical
decision), a sign the shared red-flag set has no question for. Upgrading a current document changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import attrs

from .._common.clinical_data import SHARED_RED_FLAG_LIBRARY, shared_red_flags, uncovered_signs
from .._common.formats import CURRENT_FORMAT, FIRST_FORMAT

__all__ = ["Upgrade", "upgrade_json", "upgrade_text"]

_KINDS = ("protocol", "exercise-library", "red-flag-library")


@attrs.frozen
class Upgrade:
    """The document's text after upgrading (``text``; the same text when nothing changed), what was mended and what
    was left for the author, with why."""

    text: str
    mended: tuple[str, ...] = ()
    left: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether upgrading changed the document (``text`` differs from what was read)."""
        return bool(self.mended)


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never wrap a line the author wrote on one
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def upgrade_text(text: str, flags: Mapping[str, Any]) -> Upgrade:
    """Upgrade one YAML document's ``text`` (``flags``: the ``red_flags`` of the clinical policy in force). Raises
    ``ValueError`` naming the line when the text is not YAML rehabkit can read."""
    from ruamel.yaml.error import YAMLError

    yaml = _yaml()
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        raise ValueError(f"not readable as YAML: {str(exc).splitlines()[0]}") from None
    mended, left = _mend(data, flags)
    if not mended:
        return Upgrade(text, left=tuple(left))
    if "format" in data:
        data["format"] = CURRENT_FORMAT
    else:
        data.insert(list(data).index("kind") + 1, "format", CURRENT_FORMAT)
    out = io.StringIO()
    yaml.dump(data, out)
    return Upgrade(out.getvalue(), tuple(mended), tuple(left))


def upgrade_json(text: str, flags: Mapping[str, Any]) -> Upgrade:
    """Upgrade one JSON document's ``text`` as :func:`upgrade_text` does a YAML one: the same mending, the keys in
    the order they were, ``format`` after ``kind``, written with the indentation the text had. Raises ``ValueError``
    naming the line when the text is not JSON rehabkit can read."""
    import json

    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not readable as JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    mended, left = _mend(data, flags)
    if not mended:
        return Upgrade(text, left=tuple(left))
    if "format" in data:
        data["format"] = CURRENT_FORMAT
        upgraded = data
    else:
        items = list(data.items())
        at = list(data).index("kind") + 1
        upgraded = dict([*items[:at], ("format", CURRENT_FORMAT), *items[at:]])
    dumped = json.dumps(upgraded, indent=_json_indent(text), ensure_ascii=False)
    return Upgrade(dumped + "\n", tuple(mended), tuple(left))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's keys in order; a key given twice is refused (the loader refuses it too)."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"not readable as JSON: the key {key!r} is given twice in one object")
        seen[key] = value
    return seen


def _json_indent(text: str) -> int | str | None:
    """The indentation of the first indented line of ``text``: a number of spaces, the tabs or other whitespace
    it is made of, or ``None``: the document is on one line."""
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            indent = line[: len(line) - len(stripped)]
            return len(indent) if indent.strip(" ") == "" else indent
    return None


def _mend(data: Any, flags: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Mend a parsed document in place: what was mended (empty: the document is current, or not one upgrade knows)
    and what was left for the author, with why."""
    if not isinstance(data, dict) or data.get("kind") not in _KINDS:
        return [], ["not a protocol or a library: left as it is."]
    declared = data.get("format", FIRST_FORMAT)
    if isinstance(declared, bool) or not isinstance(declared, int):
        return [], [f"'format' is {declared!r}, not a whole number: left as it is (write the format it was written "
                    f"for, 1 if none, and upgrade again)."]  # fmt: skip
    if declared >= CURRENT_FORMAT:
        return [], []
    mended: list[str] = []
    left: list[str] = list(_ranges_without_step(data))
    if data["kind"] == "protocol":
        mended += _own_limits(data)
        added, unknown = _shared_questions(data, flags)
        mended += added
        left += unknown
    mended.append(f"format: {CURRENT_FORMAT} declared.")
    return mended, left


def _own_limits(data: Any) -> list[str]:
    """Move a no-improvement rule's own ``above`` to the phases without ``review_after_weeks``."""
    said = []
    for rule in data.get("symptom_rules") or ():
        if rule.get("measure") != "no-improvement-weeks" or "above" not in rule:
            continue
        limit = rule.pop("above")
        bare = [phase for phase in data.get("phases") or () if "review_after_weeks" not in phase]
        for phase in bare:
            phase["review_after_weeks"] = limit
        where = ", ".join(str(p.get("id")) for p in bare) or "no phase (each has its own)"
        said.append(
            f"symptom rule {rule.get('id')!r}: its own 'above: {limit}' became 'review_after_weeks: {limit}' of "
            f"{where}, the meaning it had (RK302), but a review now comes once {limit} weeks without improvement are "
            "reached rather than passed: a session on the day they are reached is reviewed."
        )
    return said


def _shared_questions(data: Any, flags: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Take rehabkit's shared red-flag set (``shared_red_flags.minimum_set_from``) when a sign of the minimum set in
    force has no question and the set has one for it, rather than copying the question in: a sign added to the set
    later reaches the protocol too. Name the signs the set has no question for."""
    questions = data.get("red_flags")
    if questions is None:
        return [], ["no 'red_flags' list: add the protocol's red-flag questions (RK301)."]
    covered = [sign for q in questions for sign in (q.get("covers") or ())]
    missing = list(uncovered_signs(flags, data.get("conditions") or (), covered))
    found = [sign for sign in missing if sign in shared_red_flags()]
    unknown = [
        f"no question covers '{sign}' and rehabkit's shared red-flag set has none for it: write one "
        "(RK301; a clinical decision only the author can make)."
        for sign in missing
        if sign not in shared_red_flags()
    ]
    if not found:
        return [], unknown
    shared = data.get("shared_red_flags")
    if shared is None:
        _insert_after(data, "red_flags", "shared_red_flags", {"minimum_set_from": SHARED_RED_FLAG_LIBRARY})
    elif "minimum_set_from" not in shared:
        shared["minimum_set_from"] = SHARED_RED_FLAG_LIBRARY
    asked = ", ".join(f"{shared_red_flags()[sign]['id']!r} for '{sign}'" for sign in found)
    added = [
        f"shared_red_flags: {{minimum_set_from: {SHARED_RED_FLAG_LIBRARY}}} added: rehabkit's shared red-flag set "
        f"asks {asked} (RK301), and any sign added to the minimum set later; check the wording suits your patients "
        "('rehabkit show' lists the questions)."
    ]
    return added, unknown


def _insert_after(data: Any, after: str, key: str, value: Any) -> None:
    """Set ``key`` just after ``after`` in a mapping read from YAML (ruamel's, which can insert) or JSON (a dict)."""
    at = list(data).index(after) + 1
    if hasattr(data, "insert"):
        data.insert(at, key, value)
        return
    tail = [(k, data.pop(k)) for k in list(data)[at:]]
    data[key] = value
    data.update(tail)


def _ranges_without_step(data: Any) -> list[str]:
    """A range without ``step`` in any dose: left for the author (RK205 stays a warning)."""
    doses = [(f"exercise {e.get('id')!r}", e.get("dose")) for e in data.get("exercises") or ()]
    for phase in data.get("phases") or ():
        doses += [
            (f"phase {phase.get('id')!r}, exercise {ref.get('exercise')!r}", ref.get("dose"))
            for ref in phase.get("exercises") or ()
        ]
    said = []
    for where, dose in doses:
        for field, value in (dose or {}).items():
            if isinstance(value, Mapping) and "min" in value and "step" not in value:
                said.append(
                    f"{where}: the range of {field} has no 'step' and stays at its minimum (RK205, a warning): how "
                    "much one step adds is a clinical decision only the author can make."
                )
    return said
