"""Every core lint rule fires on a document that breaks it and stays quiet on a close variant that does not."""

from __future__ import annotations

import copy
import datetime
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rehabkit._documents.loader import Document
from rehabkit._documents.validation import Checker
from rehabkit.default_plugins import DEFAULT_PLUGINS
from rehabkit.model import Exercise

from conftest import CORPUS

TODAY = datetime.date(2026, 11, 21)
MINIMAL: dict[str, Any] = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text())
MINIMAL["reviewed"] = str(MINIMAL["reviewed"])


def _core_rules() -> list[Any]:
    import importlib

    return [rule for name in DEFAULT_PLUGINS for rule in getattr(importlib.import_module(name), "RULES", ())]


RULES = _core_rules()
LIBRARY = {
    "library-row": Exercise(
        id="library-row", name="Row", component="core-and-spinal-strengthening", region="thoracic", steps=("Pull.",)
    )
}


def check(data: dict[str, Any]) -> list[Any]:
    """Findings for a document, through the real checker (schema first, then every core rule)."""
    text = json.dumps(data, indent=2)
    checker = Checker(library=LIBRARY, rules=RULES, today=TODAY)
    return checker.check_document(Document(path="fixture.json", format="json", text=text, data=json.loads(text)))


# --- building blocks -----------------------------------------------------------------


def _exercise(exercise_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": exercise_id,
        "name": exercise_id.title(),
        "component": "mobility-and-flexibility",
        "region": "lumbar",
        "steps": ["Move gently."],
        "dose": {"reps": 10},
        **extra,
    }


def _two_phases(d: dict[str, Any], *, completed: str | None = "acute") -> dict[str, Any]:
    second = {
        "id": "recovery",
        "name": "Recovery",
        "focus": ["core-and-spinal-strengthening"],
        "entry": {"summary": "After the acute phase."},
        "exit": {"summary": "Clinician decides."},
        "exercises": [{"exercise": "chin-tuck", "dose": {"reps": 10}}],
    }
    if completed is not None:
        second["entry"]["all"] = [{"measure": "phase-completed", "phase": completed}]
    d["phases"].append(second)
    return d


def _mutate(*steps: Callable[[dict[str, Any]], Any]) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        d = copy.deepcopy(MINIMAL)
        for step in steps:
            step(d)
        return d

    return build


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def step(d: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = d
        for p in parents:
            node = node[p]
        node[last] = value

    return step


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def step(d: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = d
        for p in parents:
            node = node[p]
        del node[last]

    return step


def _add_exercise(**extra: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["exercises"].append(_exercise(**extra))


def _use(exercise_id: str, phase: int = 0, dose: dict[str, Any] | None = None) -> Callable[[dict[str, Any]], None]:
    ref: dict[str, Any] = {"exercise": exercise_id}
    if dose:
        ref["dose"] = dose
    return lambda d: d["phases"][phase]["exercises"].append(ref)


def _lumbar(d: dict[str, Any]) -> None:
    d["conditions"] = ["post-surgical-lumbar"]
    d["red_flags"].append(
        {
            "id": "saddle",
            "question": "Saddle numbness or bladder change?",
            "covers": ["cauda-equina"],
            "action": "refer-urgently",
            "message": "Emergency department now.",
        }
    )


def _surgical(d: dict[str, Any]) -> None:
    _lumbar(d)
    d["supervision"]["surgeon_clearance_required"] = True
    d["phases"][0]["entry"]["all"] = [{"measure": "surgeon-clearance", "equals": True}]
    d["phases"][0]["exit"]["all"] = [{"measure": "weeks-since-surgery", "at_least": 6}]
    d["precautions"] = [
        {"id": "no-bend", "movement": "bend", "description": "No bending.", "until_weeks_after_surgery": 6}
    ]


def _stages(*stages: str) -> Callable[[dict[str, Any]], None]:
    def step(d: dict[str, Any]) -> None:
        for phase, stage in zip(d["phases"], stages, strict=True):
            phase["stage"] = stage

    return step


def _figure(*, support: str = "floor", pelvis: float = 0, **end: float) -> dict[str, Any]:
    return {
        "view": "side",
        "support": support,
        "start": {"angles": {"pelvis": pelvis}},
        "poses": [{"angles": {"pelvis": pelvis, **end}}],
    }


# code -> (breaks the rule, close variant that keeps it, words the finding must contain)
CASES: dict[str, tuple[Callable[[], dict[str, Any]], Callable[[], dict[str, Any]], str]] = {
    "RK101": (
        _mutate(_use("chin-tukc", dose={"reps": 5})),
        _mutate(_use("library-row", dose={"reps": 5})),
        "Did you mean 'chin-tuck'?",
    ),
    "RK102": (
        _mutate(_set("red_flags.1.id", "worse")),
        _mutate(_set("red_flags.1.id", "acute")),
        "id 'worse' is used twice in 'red_flags'",
    ),
    "RK103": (
        _mutate(_set("exercises.0.regression", "chin-nod")),
        _mutate(_set("exercises.0.regression", "library-row")),
        "names 'chin-nod' as its regression",
    ),
    "RK104": (
        _mutate(
            _add_exercise(exercise_id="harder", progression="chin-tuck"), _set("exercises.0.progression", "harder")
        ),
        _mutate(_add_exercise(exercise_id="harder", regression="chin-tuck"), _set("exercises.0.progression", "harder")),
        "chin-tuck -> harder -> chin-tuck",
    ),
    "RK105": (
        _mutate(_two_phases, _set("phases.1.entry.all.0.phase", "acuet")),
        _mutate(_two_phases),
        "refers to phase 'acuet'",
    ),
    "RK106": (
        _mutate(_two_phases, _stages("recovery", "acute")),
        _mutate(_two_phases, _stages("acute", "recovery")),
        "list phases in the order acute, recovery, maintenance",
    ),
    "RK107": (_mutate(_delete("phases.0.exit")), _mutate(), "has no 'exit' criteria"),
    "RK108": (
        _mutate(lambda d: _two_phases(d, completed=None)),
        _mutate(_two_phases),
        "can be entered without completing an earlier phase",
    ),
    "RK109": (
        _mutate(_set("phases.0.exit.all", [{"measure": "clinician-approval", "at_least": 3}])),
        _mutate(_set("phases.0.exit.all", [{"measure": "clinician-approval", "equals": True}])),
        "is a yes/no fact: use 'equals: true'",
    ),
    "RK110": (
        _mutate(
            _set("shared_red_flags", {"minimum_set_from": "rehabkit-red-flags", "questions": ["shared-blod-clot"]})
        ),
        _mutate(
            _set("shared_red_flags", {"minimum_set_from": "rehabkit-red-flags", "questions": ["shared-blood-clot"]})
        ),
        "red-flag question 'shared-blod-clot' is in no installed red-flag library (the libraries searched: "
        "rehabkit-red-flags). Did you mean 'shared-blood-clot'?",
    ),
    "RK201": (
        _mutate(_set("phases.0.exercises.0.dose.reps", 0)),
        _mutate(_set("phases.0.exercises.0.dose.rest_seconds", 0)),
        "0 repetitions is no dose",
    ),
    "RK202": (
        _mutate(_set("symptom_rules.0.above", 12)),
        _mutate(
            lambda d: d["symptom_rules"].append(
                {
                    "id": "slow",
                    "measure": "not-settled-after-hours",
                    "above": 12,
                    "action": "reduce-load",
                    "message": "Do less.",
                }
            )
        ),
        "12 is outside the 0-10 scale of pain-during",
    ),
    "RK203": (
        _mutate(_add_exercise(exercise_id="no-dose"), _delete("exercises.1.dose"), _use("no-dose")),
        _mutate(_add_exercise(exercise_id="no-dose"), _use("no-dose")),
        "'no-dose' in phase 'acute' has no dose",
    ),
    "RK204": (
        _mutate(_set("phases.0.exercises.0.dose.pain_limit", 7)),
        _mutate(_set("phases.0.exercises.0.dose.pain_limit", 5)),
        "allows pain up to 7/10",
    ),
    "RK205": (
        _mutate(_set("phases.0.exercises.0.dose.reps", {"min": 8, "max": 10})),
        _mutate(
            _set("phases.0.exercises.0.dose.reps", {"min": 8, "max": 10, "step": 1}),
            _set("phases.0.exercises.0.dose.sessions_per_step", 2),
        ),
        "the range 8-10 of reps has no 'step', so it stays at 8",
    ),
    "RK206": (
        _mutate(_set("phases.0.exercises.0.dose.reps", {"min": 8, "max": 10, "step": 1})),
        _mutate(
            _set("phases.0.exercises.0.dose.reps", {"min": 8, "max": 10, "step": 1}),
            _set("phases.0.exercises.0.dose.sessions_per_step", 2),
        ),
        "add 'sessions_per_step'",
    ),
    "RK301": (
        _mutate(_set("red_flags.1.covers", ["other"])),
        _mutate(_set("red_flags.1.covers", ["no-improvement", "other"])),
        "no improvement despite regular rehabilitation",
    ),
    "RK302": (
        _mutate(_delete("symptom_rules.3"), _delete("symptom_rules.1")),
        _mutate(_set("symptom_rules.1.measure", "next-morning-over-baseline"), _set("symptom_rules.1.above", 1)),
        "response after a session",
    ),
    "RK303": (
        _mutate(
            lambda d: d.setdefault("precautions", []).append(
                {"id": "no-twist", "movement": "twist", "description": "No twisting."}
            ),
            _add_exercise(exercise_id="rocking", movements=["twist"]),
            _use("rocking"),
        ),
        _mutate(
            _two_phases,
            lambda d: d.setdefault("precautions", []).append(
                {"id": "no-twist", "movement": "twist", "description": "No twisting.", "until_phase": "recovery"}
            ),
            _add_exercise(exercise_id="rocking", movements=["twist"]),
            _use("rocking", phase=1),
        ),
        "precaution 'no-twist' applies in phase 'acute' (throughout the protocol)",
    ),
    "RK304": (
        _mutate(
            _stages("acute"), _add_exercise(exercise_id="loaded-twist", earliest_stage="recovery"), _use("loaded-twist")
        ),
        _mutate(
            _stages("recovery"),
            _add_exercise(exercise_id="loaded-twist", earliest_stage="recovery"),
            _use("loaded-twist"),
        ),
        "'loaded-twist' is not suitable before the recovery stage",
    ),
    "RK305": (_mutate(_lumbar), _mutate(_surgical), "surgeon_clearance_required: true"),
    "RK306": (
        _mutate(_lumbar, _set("red_flags.2.action", "stop-and-review")),
        _mutate(_lumbar),
        "set 'action: refer-urgently'",
    ),
    "RK307": (
        _mutate(_set("symptom_rules.1.action", "regress")),
        _mutate(_set("symptom_rules.1.action", "hold")),
        "which acts on one exercise, but pain-after is not measured per exercise",
    ),
    "RK308": (
        _mutate(_delete("symptom_rules.3")),
        _mutate(_delete("symptom_rules.3"), _set("symptom_rules.1.measure", "not-settled-after-hours")),
        "no symptom rule reacts to the next morning",
    ),
    "RK401": (
        _mutate(_delete("references.0.url")),
        _mutate(_delete("references.0.url"), _set("references.0.doi", "10.1000/example")),
        "no reference has a 'doi' or 'url'",
    ),
    "RK402": (
        _mutate(_set("reviewed", "2026-11-22")),
        _mutate(_set("reviewed", "2026-11-21")),
        "is in the future (today is 2026-11-21)",
    ),
    "RK403": (
        _mutate(_set("version", "1.0")),
        _mutate(_set("version", "1.0.0-rc.1+build.5")),
        "'1.0' is not a semantic version",
    ),
    "RK501": (
        _mutate(_set("title", "Minimal\x1b[2J protocol")),
        _mutate(_set("title", "Minimal protocol\twith a tab, 'quotes' and \u00e9")),
        "'title' holds \\x1b (ESCAPE) at character 8",
    ),
    "RK601": (
        _mutate(_set("exercises.0.figure", _figure(knee=-20))),
        _mutate(_set("exercises.0.figure", _figure(knee=20))),
        "knee -20 degrees is outside knee's range 0..150",
    ),
    "RK602": (
        _mutate(_set("exercises.0.figure", _figure(neck=40))),
        _mutate(_set("exercises.0.figure", _figure(neck=40)), _set("exercises.0.movements", ["bend"])),
        "its figure shows the neck bent forward (neck 40 degrees in pose 1) but the exercise is not tagged 'bend'",
    ),
}


def test_every_core_rule_has_a_failing_and_a_passing_case() -> None:
    assert sorted(CASES) == sorted(rule.code for rule in RULES)


def test_the_minimal_document_passes_every_core_rule() -> None:
    assert check(copy.deepcopy(MINIMAL)) == []


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fires_on_the_failing_case(code: str) -> None:
    bad, _, words = CASES[code]
    findings = check(bad())
    assert [f.code for f in findings if f.code == "RK020"] == [], findings  # the fixture is schema-valid
    mine = [f for f in findings if f.code == code]
    assert mine, f"{code} did not fire; findings: {[f.format_text() for f in findings]}"
    assert any(words in f.message for f in mine), [f.message for f in mine]
    assert all(f.line is not None and f.json_path for f in mine)  # placed in the file


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_stays_quiet_on_the_passing_case(code: str) -> None:
    _, good, _ = CASES[code]
    findings = check(good())
    assert [f.format_text() for f in findings if f.code == code] == []
    assert [f.code for f in findings if f.code == "RK020"] == []


def test_post_surgical_rule_names_every_missing_gate() -> None:
    messages = [f.message for f in check(_mutate(_lumbar)()) if f.code == "RK305"]
    assert len(messages) == 4
    assert any("surgeon-clearance" in m for m in messages)
    assert any("weeks-since-surgery" in m for m in messages)
    assert any("precautions" in m for m in messages)


def test_lumbar_protocols_must_screen_for_cauda_equina() -> None:
    d = _mutate(_lumbar)()
    d["red_flags"].pop()  # the saddle question
    assert any("cauda equina" in f.message for f in check(d) if f.code == "RK301")


def test_precaution_gated_on_weeks_since_surgery_lifts_when_the_phase_starts_later() -> None:
    def with_bending_exercise(phase: int) -> dict[str, Any]:
        d = _mutate(
            _surgical, _two_phases, _add_exercise(exercise_id="hinge", movements=["bend"]), _use("hinge", phase=phase)
        )()
        d["phases"][1]["entry"]["all"].append({"measure": "weeks-since-surgery", "at_least": 6})
        return d

    early = [f.message for f in check(with_bending_exercise(0)) if f.code == "RK303"]
    assert early and "until 6 weeks after surgery, and phase 'acute' can start at week 0" in early[0]
    assert [f for f in check(with_bending_exercise(1)) if f.code == "RK303"] == []


def test_library_documents_get_the_rules_that_apply_to_them() -> None:
    library = {
        "kind": "exercise-library",
        "id": "lib",
        "version": "1",
        "title": "Library",
        "exercises": [
            _exercise("a", progression="b"),
            _exercise("b", progression="a"),
            _exercise("c", regression="zz", dose={"reps": 0}),
        ],
        "references": [{"citation": "A book."}],
        "reviewed": "2027-01-01",
    }
    codes = sorted({f.code for f in check(library)})
    assert codes == ["RK103", "RK104", "RK201", "RK401", "RK402", "RK403"]


def test_readme_lists_every_core_rule_with_its_severity() -> None:
    from conftest import REPO

    table = dict(re.findall(r"^\| (RK\d{3}) \| (error|warning) \|", (REPO / "README.md").read_text(), re.MULTILINE))
    assert table == {rule.code: str(rule.severity) for rule in RULES}


def test_no_improvement_rule_must_say_what_counts_as_improvement() -> None:
    d = _mutate(_delete("symptom_rules.2.min_change"))()
    messages = [f.message for f in check(d) if f.code == "RK302"]
    assert messages == [
        "symptom rule 'stuck' does not say what counts as an improvement: add 'min_change' (points of pain, "
        "for example 2)."
    ]


def test_no_improvement_is_one_concept_with_each_phases_review_period() -> None:
    own_limit = [f.message for f in check(_mutate(_set("symptom_rules.2.above", 3))()) if f.code == "RK302"]
    assert own_limit and "compared with each phase's 'review_after_weeks'" in own_limit[0]
    no_period = [f.message for f in check(_mutate(_delete("phases.0.review_after_weeks"))()) if f.code == "RK302"]
    assert no_period == [
        "phase 'acute' has no 'review_after_weeks', so symptom rule 'stuck' can never ask for a review in it: "
        "add how many weeks without improvement lead to a review."
    ]


@pytest.mark.parametrize(
    ("criterion", "words"),
    [
        ({"measure": "clinician-approval", "at_least": 3}, "is a yes/no fact"),
        ({"measure": "pain-at-rest", "equals": True}, "is a number: compare it with 'at_least' or 'at_most'"),
        ({"measure": "weeks-since-surgery"}, "has no threshold"),
        ({"measure": "weeks-in-phase", "at_least": -1}, "is below zero"),
        ({"measure": "surgeon-clearance"}, "says no answer to require"),
        ({"measure": "phase-completed"}, "names no phase"),
    ],
)
def test_nonsense_criteria_are_refused(criterion: dict[str, Any], words: str) -> None:
    messages = [f.message for f in check(_mutate(_set("phases.0.exit.all", [criterion]))()) if f.code == "RK109"]
    assert any(words in m for m in messages), messages


def test_a_rule_above_the_top_of_its_scale_can_never_fire() -> None:
    messages = [f.message for f in check(_mutate(_set("symptom_rules.0.above", 10))()) if f.code == "RK307"]
    assert messages == [
        "symptom rule 'pain-high' fires only above 10, but pain-during never goes above 10: it can never fire."
    ]


def test_a_precaution_with_a_region_applies_to_exercises_of_that_region() -> None:
    def with_turning(exercise_region: str, precaution_region: str | None) -> list[str]:
        precaution = {"id": "no-neck-turning", "movement": "twist", "description": "Do not turn the head."}
        if precaution_region:
            precaution["region"] = precaution_region
        d = _mutate(
            lambda d: d.setdefault("precautions", []).append(precaution),
            _add_exercise(exercise_id="turns", movements=["twist"], region=exercise_region),
            _use("turns"),
        )()
        return [f.message for f in check(d) if f.code == "RK303"]

    assert with_turning("cervical", "cervical")  # a neck exercise that turns the head: refused
    assert with_turning("whole-spine", "cervical")  # whole-spine exercises move the neck too
    assert with_turning("lumbar", "cervical") == []  # a lower-back rotation is not a neck rotation
    assert with_turning("lumbar", None)  # no region: every exercise with the movement


def test_a_trailing_newline_is_not_a_semantic_version() -> None:
    messages = [f.message for f in check(_mutate(_set("version", "1.0.0\n"))()) if f.code == "RK403"]
    assert messages == ["version '1.0.0\\n' is not a semantic version: write MAJOR.MINOR.PATCH, for example '1.0.0'."]


@pytest.mark.parametrize(
    ("path", "text", "words"),
    [
        # a one-line field: even the line break a YAML '>' block leaves at the end
        ("title", "Minimal protocol\n", "'title' holds \\x0a (LINE FEED, a newline) at character 17: a title is one"),
        ("phases.0.name", "Acute\nDecision: carry on", "'name' holds \\x0a (LINE FEED, a newline) at character 6"),
        ("red_flags.0.question", "Worse?\r", "'question' holds \\x0d (CARRIAGE RETURN) at character 7"),
        # a paragraph: its own line break is never shown as one either, and a list item can be split
        ("exercises.0.steps.0", "Glide back.\nHold.", "item 1 of 'steps' holds \\x0a (LINE FEED, a newline)"),
        ("exercises.0.steps.0", "Glide back.\nHold.", "give each line its own item"),
        ("summary", "One.\u2028Two.", "'summary' holds \\u2028 (LINE SEPARATOR) at character 5"),
        # never legitimate: escape sequences, a bell, a bidirectional override, a C1 control
        ("symptom_rules.0.message", "Stop\x07", "\\x07 (BELL) at character 5: remove the control characters"),
        ("exercises.0.name", "Chin \u202etuck", "\\u202e (RIGHT-TO-LEFT OVERRIDE) at character 6"),
        ("phases.0.entry.summary", "a\x9b2Jb", "\\x9b (CONTROL SEQUENCE INTRODUCER) at character 2"),
        ("title", "\x1b[2J\x1b[H\x1b]0;x\x07\x1b\x1b", "\\x1b (ESCAPE) at characters 1, 5, 8 and 2 more, \\x07 (BELL)"),
    ],
)
def test_control_characters_are_named_with_their_place_and_what_to_do(path: str, text: str, words: str) -> None:
    findings = [f for f in check(_mutate(_set(path, text))()) if f.code == "RK501"]
    assert len(findings) == 1, [f.format_text() for f in findings]
    (finding,) = findings
    assert words in finding.message, finding.message
    assert str(finding.severity) == "warning"
    assert finding.json_path == "$." + re.sub(r"\.(\d+)", r"[\1]", path)


def test_every_text_of_an_exercise_library_is_checked() -> None:
    library = {
        "kind": "exercise-library",
        "id": "lib",
        "version": "1.0.0",
        "title": "Library",
        "exercises": [_exercise("a", cues=["Breathe\x1b[31m out."])],
        "references": [{"citation": "A book.", "url": "https://example.org/book"}],
        "reviewed": "2026-01-01",
    }
    findings = [f for f in check(library) if f.code == "RK501"]
    assert [f.json_path for f in findings] == ["$.exercises[0].cues[0]"]


_KEYS = st.text(st.characters(categories=["L", "N"]), max_size=5)  # a schema-valid document's keys are plain
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_KEYS, _JSON_VALUES, max_size=5))
def test_the_quick_look_for_hidden_characters_is_the_walk(data: dict[str, Any]) -> None:
    """RK501's quick look (orjson's writing of the document) never misses a character the rule reports, and passes
    every document whose texts are all printable, as the walk over every text does (a tab, allowed, may pass too)."""
    from rehabkit._common.text import control_characters
    from rehabkit.default_plugins.text_rules import _all_printable, _walked_printable

    texts = list(_strings(data))
    printable = all(t.isprintable() for t in texts)
    assert _walked_printable(data) == printable
    if printable:
        assert _all_printable(data)
    if _all_printable(data):
        assert not any(control_characters(t) for t in texts)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(_KEYS, _JSON_VALUES, max_size=5), st.dictionaries(_KEYS, _JSON_VALUES, max_size=5))
def test_rk501_takes_the_loaders_writing_for_that_document_only(read: dict[str, Any], other: dict[str, Any]) -> None:
    """RK501 reuses orjson's writing the loader made of the JSON document it read last, and only for that document:
    another document's data (read before, or built in memory) is written afresh, whatever it holds."""
    import orjson

    from rehabkit._documents.loader import compact_json, load_text

    try:
        orjson.dumps(read)
        orjson.dumps(other)
    except TypeError:  # an integer beyond 64 bits: orjson writes neither, the rule walks the values instead
        return
    loaded = load_text(json.dumps(read), fmt="json").data
    assert loaded == read
    assert compact_json(loaded) == orjson.dumps(loaded)
    assert compact_json(other) == orjson.dumps(other)  # not the last document's writing
    assert compact_json(dict(loaded)) == orjson.dumps(loaded)  # an equal copy: written afresh, the same bytes


def test_rk501_finds_a_control_character_in_a_document_checked_after_a_clean_one_was_read() -> None:
    from rehabkit._documents.loader import load_text

    load_text(json.dumps(MINIMAL), fmt="json")  # the loader keeps its writing of this clean document
    findings = [f for f in check(_mutate(_set("title", "Neck\x07"))()) if f.code == "RK501"]
    assert [f.json_path for f in findings] == ["$.title"]
    text = json.dumps({**MINIMAL, "summary": "Bell\x07"}, indent=2)
    document = load_text(text, path="read.json", fmt="json")
    checker = Checker(library=LIBRARY, rules=RULES, today=TODAY)
    assert [f.json_path for f in checker.check_document(document) if f.code == "RK501"] == ["$.summary"]


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize(
    ("figure", "position", "found"),
    [
        (_figure(support="none", pelvis=-90), None, True),  # lying on the back on nothing
        (_figure(support="none", pelvis=90), None, True),  # face down (on hands and knees) on nothing
        (_figure(support="none"), "kneeling", True),
        (_figure(support="floor", pelvis=-90), "supine", False),
        (_figure(support="none"), "standing", False),
    ],
)
def test_rk601_a_lying_or_kneeling_figure_needs_a_support(figure, position, found) -> None:
    steps = [_set("exercises.0.figure", figure)] + ([_set("exercises.0.position", position)] if position else [])
    messages = [f.message for f in check(_mutate(*steps)()) if f.code == "RK601"]
    assert messages == (
        [
            "exercise 'chin-tuck': the figure lies or kneels on nothing: give its 'support' "
            "(floor, table, chair, wall or bar)."
        ]
        if found
        else []
    )


@pytest.mark.parametrize("missing", ["licence", "credit"])
def test_rk601_media_name_their_licence_and_credit(missing) -> None:
    media = {
        "type": "image",
        "url": "pics/tuck.png",
        "alt": "Chin tuck.",
        "licence": "CC-BY-4.0",
        "credit": "A. Clinic",
    }
    assert [f for f in check(_mutate(_set("exercises.0.media", [media]))()) if f.code == "RK601"] == []
    del media[missing]
    findings = [f for f in check(_mutate(_set("exercises.0.media", [media]))()) if f.code == "RK601"]
    assert [f.message for f in findings] == [
        f"exercise 'chin-tuck': media 'pics/tuck.png' has no {missing}: give the licence the file is shared under "
        "and who made it (shown under the picture), or leave it out."
    ]


@settings(max_examples=60, deadline=None)
@given(
    joint=st.sampled_from(["neck", "head", "lower-trunk", "upper-trunk", "shoulder", "elbow", "hip", "knee", "ankle"]),
    angle=st.integers(min_value=-200, max_value=200),
)
def test_rk601_fires_exactly_when_an_angle_is_outside_the_body_models_range(joint, angle) -> None:
    from rehabkit._outputs.figures import body_model

    spec = body_model()["joints"][joint]
    findings = [f for f in check(_mutate(_set("exercises.0.figure", _figure(**{joint: angle})))()) if f.code == "RK601"]
    assert bool(findings) == (not spec["min"] <= angle <= spec["max"])


@pytest.mark.parametrize("angle", [10**400, -(10**400)])
def test_rk601_names_a_huge_or_odd_angle_rather_than_failing(angle) -> None:
    findings = check(_mutate(_set("exercises.0.figure", _figure(knee=angle)))())
    assert [f.code for f in findings if f.code.startswith("RK0")] == []  # no crashed rule (RK099)
    assert [f.code for f in findings if f.code == "RK601"] == ["RK601"]


@settings(max_examples=40, deadline=None)
@given(flexion=st.integers(min_value=-35, max_value=60), tagged=st.booleans())
def test_rk602_asks_for_bend_exactly_when_the_lower_back_reaches_the_body_models_threshold(flexion, tagged) -> None:
    from rehabkit._outputs.figures import body_model

    rows = body_model()["movements"]
    threshold = next(row["min"] for row in rows["bend"] if row["joints"] == ["lower-trunk"])
    arch = next(row["max"] for row in rows["extend"] if row["joints"] == ["lower-trunk"])
    steps = [_set("exercises.0.region", "lumbar"), _set("exercises.0.figure", _figure(**{"lower-trunk": flexion}))]
    if tagged:
        steps.append(_set("exercises.0.movements", ["bend"]))
    messages = [f.message for f in check(_mutate(*steps)()) if f.code == "RK602"]
    assert any("is not tagged 'bend'" in m for m in messages) == (not tagged and flexion >= threshold)
    assert any("is tagged 'bend' but" in m for m in messages) == (tagged and flexion < threshold)
    assert any("is not tagged 'extend'" in m for m in messages) == (flexion <= arch)


def _front(**end: float) -> dict[str, Any]:
    return {"view": "front", "support": "chair", "start": {"angles": {"knee": 90}}, "poses": [{"angles": end}]}


@pytest.mark.parametrize(
    ("figure", "movements", "rk601", "rk602"),
    [
        (_front(neck=30), ["side-bend"], [], []),  # bending the neck sideways, tagged so
        (_front(neck=30), None, [], ["its figure shows the neck bent sideways (neck 30 degrees in pose 1)"]),
        (_front(head=60), ["twist"], [], []),  # the head turned, from the front
        (_front(head=60), None, [], ["its figure shows the head turned (head 60 degrees in pose 1)"]),
        (
            _front(neck=-60),
            ["side-bend"],
            ["neck -60 degrees is outside neck side-bend's range -45..45 (seen from the front)"],
            [],
        ),
        (_front(shoulder=90), ["bend"], [], []),  # bending forward cannot show from the front: not checked
    ],
)
def test_a_front_view_figure_is_checked_against_the_front_views_ranges_and_movements(
    figure, movements, rk601, rk602
) -> None:
    steps = [_set("exercises.0.figure", figure)] + ([_set("exercises.0.movements", movements)] if movements else [])
    findings = check(_mutate(*steps)())
    for code, expected in (("RK601", rk601), ("RK602", rk602)):
        messages = [f.message for f in findings if f.code == code]
        assert len(messages) == len(expected) and all(w in m for w, m in zip(expected, messages, strict=True)), messages


def test_rk402_a_library_whose_figures_are_reviewed_in_the_future() -> None:
    library = {
        "kind": "exercise-library",
        "id": "lib",
        "version": "1.0.0",
        "title": "Library",
        "exercises": [_exercise("a")],
        "references": [{"citation": "A book.", "url": "https://example.org/book"}],
        "reviewed": "2026-01-01",
        "figure_review": {"authors": ["The developers"], "reviewed": "2026-11-22", "clinician": False},
    }
    findings = [f for f in check(library) if f.code == "RK402"]
    assert [(f.message, f.json_path) for f in findings] == [
        (
            "figure_review.reviewed 2026-11-22 is in the future (today is 2026-11-21): give the date the figures' "
            "review took place.",
            "$.figure_review.reviewed",
        )
    ]
    library["figure_review"]["reviewed"] = "2026-11-21"
    assert [f for f in check(library) if f.code == "RK402"] == []
