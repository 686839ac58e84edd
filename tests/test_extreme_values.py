"""Every lint rule survives any value the schema lets through: extreme numbers and odd text get findings, never a
crash (issue 29, finding 1: a 400-digit threshold made RK202 raise OverflowError, exit 3 "internal error").

The schema sets no maximum on most numbers (thresholds, weeks, kilograms), so a document may hold a whole number
of any size, 1e308, -0.0 or 5e-324; a rule that formats one with ``:g`` or divides it overflows. The properties
below put such values at every numeric path the schema allows (read from the schema, so a new field is fuzzed
too) and odd text at every text path, and run every installed rule on the result.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rehabkit._common.text import number_text
from rehabkit._documents.loader import Document, load_file
from rehabkit._documents.validation import Checker, iter_document_files
from rehabkit._plugins.manager import PluginManager, Selection

from conftest import CORPUS, PROTOCOLS, REPO

SCHEMA = json.loads((REPO / "schemas" / "protocol.schema.json").read_text(encoding="utf-8"))
CRASH_CODES = {"RK000", "RK099"}


def _installed_checker() -> Checker:
    """The checker ``rehabkit validate`` builds: every installed pack's rules (the core's default_plugins first)."""
    manager = PluginManager(Selection())
    manager.load()
    registry = manager.registry()
    rules = registry.rules()
    return Checker(
        library=registry.exercise_library(),
        rules=rules,
        policy=registry.policy(),
        measure_scales=registry.measure_scales() or None,
        known_codes=frozenset(rule.code for rule in rules),
    )


CHECKER = _installed_checker()
DOCUMENTS = [load_file(path).data for path in sorted(iter_document_files(PROTOCOLS))] + [
    load_file(CORPUS / "good" / "minimal.yaml").data
]


def _is_numeric(node: Any, depth: int = 0) -> bool:
    """True when a property schema takes a number (directly, through a $ref or one branch of a oneOf)."""
    if not isinstance(node, dict) or depth > 4:
        return False
    if "$ref" in node:
        return _is_numeric(SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[-1]], depth + 1)
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return bool({"number", "integer"} & set(kinds)) or any(
        _is_numeric(branch, depth + 1) for key in ("oneOf", "anyOf") for branch in node.get(key, ())
    )


#: Each schema definition with numeric properties -> their names (``dose`` -> reps, sets, hold_seconds ...).
NUMERIC_FIELDS = {
    name: sorted(key for key, value in definition.get("properties", {}).items() if _is_numeric(value))
    for name, definition in SCHEMA["$defs"].items()
}
NUMERIC_FIELDS = {name: fields for name, fields in NUMERIC_FIELDS.items() if fields}


def _definition(path: tuple[Any, ...]) -> str | None:
    """The schema definition a mapping at ``path`` of a protocol or library follows, for the ones with numbers."""
    keys = [part for part in path if isinstance(part, str)]
    last = keys[-1] if keys else None
    if path and isinstance(path[-1], int):
        return {"symptom_rules": "symptomRule", "phases": "phase", "precautions": "precaution", "all": "criterion"}.get(
            last or ""
        )
    if last == "dose":
        return "dose"
    if len(keys) >= 2 and keys[-2] == "dose":
        return "range"
    return None


def test_every_numeric_definition_is_fuzzed() -> None:
    """A new kind of object with numbers in the schema needs a place in _definition, or it escapes the fuzzing."""
    reached = {"symptomRule", "phase", "precaution", "criterion", "dose", "range"}
    assert set(NUMERIC_FIELDS) <= reached, sorted(set(NUMERIC_FIELDS) - reached)


HUGE = st.sampled_from([10**400, -(10**400), 10**20, 2**63, -(2**63), 10**308 * 17, int("9" * 400)])
EXTREME_FLOATS = st.sampled_from([1e308, -1e308, -0.0, 0.0, 5e-324, 2.2e-308, 1.7976931348623157e308, 0.1])
NUMBERS = st.one_of(HUGE, EXTREME_FLOATS, st.integers(-3, 12), st.floats(allow_nan=False, allow_infinity=False))
ODD_TEXT = st.one_of(
    st.sampled_from(["", " ", "\u00b2", "\u0661", "\uff15", "{0}", "%s %d", "\u202e", "\x00", "x" * 3000, "NaN"]),
    st.text(max_size=30),
)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    yield path, node


def _range(draw: st.DrawFn) -> dict[str, Any]:
    return {name: draw(NUMBERS) for name in ("min", "max", "step") if draw(st.booleans())}


@st.composite
def documents_with_extreme_values(draw: st.DrawFn) -> dict[str, Any]:
    """A shipped document with 1-4 numbers (set or added at a numeric path) and texts replaced."""
    document = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    places = list(_leaves(document))
    numbers = [(p, v) for p, v in places if isinstance(v, (int, float)) and not isinstance(v, bool) and p]
    texts = [(p, v) for p, v in places if isinstance(v, str) and p]
    mappings = [(p, v) for p, v in places if isinstance(v, dict) and _definition(p) is not None]
    for _ in range(draw(st.integers(1, 4))):
        choice = draw(st.sampled_from(["number", "number", "add", "text"]))
        if choice == "add" and mappings:
            path, mapping = draw(st.sampled_from(mappings))
            name = draw(st.sampled_from(NUMERIC_FIELDS[_definition(path) or ""]))
            mapping[name] = _range(draw) if _definition(path) == "dose" and draw(st.booleans()) else draw(NUMBERS)
            continue
        pool = numbers if choice != "text" and numbers else texts
        path, _ = draw(st.sampled_from(pool))
        parent: Any = document
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = draw(NUMBERS if pool is numbers else ODD_TEXT)
    return document


def _check(document: dict[str, Any]) -> list[Any]:
    # YAML's own dates stay strings, as load_file reads them; ints of any size survive json.dumps and loads.
    text = json.dumps(document, default=str)
    return CHECKER.check_document(Document(path="fuzzed.json", format="json", text=text, data=json.loads(text)))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents_with_extreme_values())
def test_extreme_numbers_and_odd_text_get_findings_never_a_crashed_rule(document: dict[str, Any]) -> None:
    crashes = [f.format_text() for f in _check(document) if f.code in CRASH_CODES]
    assert not crashes


def test_a_400_digit_threshold_is_a_finding_through_validate(cli, tmp_path) -> None:
    """The issue's case: 'at_most: 999...9' on a pain rule is off the 0-10 scale (RK202), exit 1, not exit 3."""
    text = (CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8")
    digits = "9" * 400
    text = text.replace(
        "    above: 5\n    action: regress", f"    above: 5\n    at_most: {digits}\n    action: regress"
    )
    path = tmp_path / "huge.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("validate", str(path))
    assert result.exit_code == 1, result.output
    assert "RK202" in result.stdout and "1e+400 is outside the 0-10 scale of pain-during" in result.stdout
    assert "RK099" not in result.output and "Traceback" not in result.output


def test_every_number_a_document_may_hold_has_a_text_like_g_format() -> None:
    """The one formatter the rules' messages use: ``:g``'s text, and for ints past a float's range their powers
    of ten, where ``:g`` raises OverflowError."""
    assert number_text(2.5) == "2.5" and number_text(10) == "10" and number_text(-0.0) == "0"
    assert number_text(10**400) == "1e+400" and number_text(-(10**400) * 3) == "-3e+400"
    assert number_text(10**17 - 1) == "1e+17" and number_text(10**5000 - 1) == "1e+5000"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.integers(), st.integers(10**15, 10**320), st.floats(allow_nan=False, allow_infinity=False)))
def test_number_text_reads_as_the_number(value: float) -> None:
    shown = float(number_text(value))  # Python reads 1e+400 as inf: compare the digits as exact fractions
    if abs(value) < 1e300:
        assert abs(shown - value) <= abs(value) * 1e-5


def test_show_reads_out_a_protocol_with_a_400_digit_criterion(cli, tmp_path) -> None:
    """'rehabkit show FILE' reads out a document with lint errors (for its author): a huge threshold included."""
    text = (CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8")
    criterion = f"      all:\n        - measure: sessions-completed\n          at_least: {'9' * 400}\n"
    text = text.replace(
        "      summary: Assessed by a clinician.\n", "      summary: Assessed by a clinician.\n" + criterion
    )
    path = tmp_path / "huge.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("show", str(path))
    assert result.exit_code == 0, result.output
    assert "sessions-completed >= 1e+400" in result.stdout and "RK202" in result.stderr


def test_a_400_digit_min_change_is_off_the_pain_scale(cli, tmp_path) -> None:
    """A no-improvement rule's 'min_change' had no bound, so a 400-digit one passed validate and would overflow
    where the course compares pain with it; it is a change of pain before a session, on the 0-10 scale (RK202)."""
    text = (CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("    min_change: 2\n", f"    min_change: {'9' * 400}\n")
    path = tmp_path / "huge-change.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("validate", str(path))
    assert result.exit_code == 1, result.output
    assert "symptom rule 'stuck': 1e+400 is outside the 0-10 scale of pain-at-rest." in result.stdout


def test_a_review_period_past_the_calendars_end_leaves_the_handout_without_a_review_date(cli, tmp_path) -> None:
    """'review_after_weeks: 1000000' validates (the schema sets no maximum); a patient's handout dated the review
    past year 9999 and stopped with OverflowError (exit 3): now it has no review date."""
    text = (CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8")
    path = tmp_path / "long-review.yaml"
    path.write_text(text.replace("    review_after_weeks: 3\n", "    review_after_weeks: 1000000\n"), encoding="utf-8")
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "screening: {all: false}\npain_before: 2\nexercises: {all: 1}\npain_after: 2\nnew_symptom: false\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "s.db")
    ran = cli("run", str(path), "--patient", "P1", "--answers", str(answers), "--db", db)
    assert ran.exit_code == 0, ran.output
    handout = cli("handout", str(path), "--patient", "P1", "--db", db, "-o", str(tmp_path / "h.md"))
    assert handout.exit_code == 0, handout.output
    assert (tmp_path / "h.md").read_text(encoding="utf-8").count("Chin tuck") >= 1
    assert cli("clinic", "--db", db).exit_code == 0
