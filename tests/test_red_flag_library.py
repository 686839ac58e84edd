"""Red-flag libraries (issue 30, item 3): protocols take red-flag questions by id from a library document, as they
take exercises from an exercise library. rehabkit's shared set is such a document, registered by its own pack; a
protocol that takes it with 'shared_red_flags: {minimum_set_from: rehabkit-red-flags}' is asked the set's question
for each sign of the clinic's minimum set its own questions leave out, so a sign added to the set reaches it with no
change to the protocol. Through the real commands."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from conftest import CORPUS, REPO

SHIPPED = REPO / "protocols" / "low-back" / "recurrent-back-pain.yaml"
SHARED = REPO / "src" / "rehabkit" / "_common" / "shared_red_flags.json"
DAY = "2026-11-02"


def _shared_questions() -> dict[str, dict]:
    return {q["id"]: q for q in json.loads(SHARED.read_text())["questions"]}


def _protocol(tmp_path: Path, shared: dict, name: str = "takes.yaml") -> str:
    """The minimal protocol with its no-improvement question left out and ``shared`` as its shared_red_flags."""
    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text())
    data["reviewed"] = str(data["reviewed"])
    data["red_flags"] = [q for q in data["red_flags"] if "no-improvement" not in q["covers"]]
    data["shared_red_flags"] = shared
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def _findings(rehabkit, path: str, packs: tuple[str, ...] = ()) -> list[dict]:
    result = rehabkit("validate", path, "--format", "json", packs=list(packs))
    return json.loads(result.stdout)["files"][0]["findings"]


def test_the_shared_set_is_a_red_flag_library_document_that_validates(rehabkit) -> None:
    data = json.loads(SHARED.read_text())
    assert (data["kind"], data["id"]) == ("red-flag-library", "rehabkit-red-flags")
    result = rehabkit("validate", str(SHARED))
    assert result.returncode == 0 and "all valid" in result.stderr, result.stdout + result.stderr
    schema = rehabkit("schema", "--kind", "red-flag-library")
    assert schema.returncode == 0 and json.loads(schema.stdout)["properties"]["kind"]["const"] == "red-flag-library"


def test_a_protocol_taking_the_shared_set_validates_clean_and_shows_the_questions_inline(rehabkit, tmp_path) -> None:
    path = _protocol(tmp_path, {"minimum_set_from": "rehabkit-red-flags", "questions": ["shared-blood-clot"]})
    assert _findings(rehabkit, path) == []  # RK301 counts what it takes: no-improvement is covered
    shown = rehabkit("show", path)
    assert shown.returncode == 0, shown.stderr
    said = " ".join(shown.stdout.split())
    for question_id in ("shared-blood-clot", "shared-no-improvement"):
        question = " ".join(_shared_questions()[question_id]["question"].split())
        assert f"- {question_id}: {question}" in said
    assert "shared-cauda-equina" not in said  # not a sign a neck protocol must screen for, nor asked by id


def test_an_unknown_library_or_question_is_an_error_naming_the_line_and_the_libraries_searched(rehabkit, tmp_path):
    path = _protocol(tmp_path, {"minimum_set_from": "rehabkit-red-flag", "questions": ["shared-blod-clot"]})
    result = rehabkit("validate", path, packs=["red-flags"])
    assert result.returncode == 1
    lines = Path(path).read_text().splitlines()
    library_line = next(i for i, line in enumerate(lines, 1) if "rehabkit-red-flag" in line)
    question_line = next(i for i, line in enumerate(lines, 1) if "shared-blod-clot" in line)
    searched = "rehabkit-red-flags, test-clinic-red-flags"
    assert (
        f"{path}:{library_line}:21: RK110 'minimum_set_from' names the red-flag library 'rehabkit-red-flag', which is "
        f"not installed (the red-flag libraries searched: {searched}). Did you mean 'rehabkit-red-flags'?"
    ) in result.stdout
    assert (
        f"{path}:{question_line}:5: RK110 red-flag question 'shared-blod-clot' is in no installed red-flag library "
        f"(the libraries searched: {searched}). Did you mean 'shared-blood-clot'?"
    ) in result.stdout
    assert "RK301" in result.stdout  # the set it meant to take is not there: no-improvement is not covered
    refused = rehabkit("run", path, "--patient", "P-1", "--plan")
    assert refused.returncode == 1 and "RK110" in refused.stdout + refused.stderr
    assert "Traceback" not in result.stderr + refused.stderr


def test_a_question_from_a_packs_library_is_asked_as_if_written_inline(rehabkit, tmp_path) -> None:
    path = _protocol(tmp_path, {"minimum_set_from": "rehabkit-red-flags", "questions": ["test-bone-thinning"]})
    db, answers = str(tmp_path / "s.db"), tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1},
                                       "pain_after": 2, "new_symptom": False}))  # fmt: skip
    ran = rehabkit("run", path, "--patient", "P-1", "--db", db, "--date", DAY, "--answers", str(answers),
                   packs=["red-flags"])  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    from rehabkit._sessions.store import Store

    with Store(db) as store:
        (session,) = store.sessions("P-1")
        asked = [key for kind, key, _ in store.answers(session.id) if kind == "screening"]
    assert asked == ["worse", "test-bone-thinning", "shared-no-improvement"]


def test_a_shipped_protocol_takes_the_shared_set(rehabkit) -> None:
    data = yaml.safe_load(SHIPPED.read_text())
    assert data["shared_red_flags"] == {"minimum_set_from": "rehabkit-red-flags"}
    assert rehabkit("validate", str(SHIPPED)).returncode == 0
    shown = " ".join(rehabkit("show", "recurrent-back-pain").stdout.split())
    # Its own reviewed questions cover every sign of rehabkit's minimum set: the shared set adds none of its own
    # wording in their place (a sign a clinic adds is the next test's).
    assert "- shared-" not in shown
    for question_id in ("bladder-bowel-saddle", "immune-or-steroids", "recent-trauma", "systemic-signs"):
        assert f"- {question_id}: " in shown


def test_a_sign_added_to_the_minimum_set_reaches_the_protocol_with_no_change(rehabkit, tmp_path) -> None:
    """The test-policy pack makes signs of a blood clot a sign every low-back protocol must screen for: the shipped
    protocol taking the shared set asks the set's question for it, and still validates clean."""
    plain = " ".join(rehabkit("show", "recurrent-back-pain").stdout.split())
    assert "shared-blood-clot" not in plain
    raised = " ".join(rehabkit("show", "recurrent-back-pain", packs=["policy"]).stdout.split())
    question = " ".join(_shared_questions()["shared-blood-clot"]["question"].split())
    assert f"- shared-blood-clot: {question}" in raised
    assert [f for f in _findings(rehabkit, str(SHIPPED), ("policy",)) if f["code"] == "RK301"] == []
    handout = tmp_path / "h.md"
    made = rehabkit("handout", "recurrent-back-pain", "-o", str(handout), packs=["policy"])
    assert made.returncode == 0, made.stderr
    assert question.split(",")[0] in " ".join(handout.read_text().split())


def test_a_question_id_two_installed_libraries_have_is_refused_by_lint(rehabkit, tmp_path) -> None:
    """The test pack's library has a question with the id of one of rehabkit's shared set, worded and acting
    otherwise: which one a protocol taking it by id would ask must not depend on the libraries' names."""
    path = _protocol(tmp_path, {"minimum_set_from": "rehabkit-red-flags", "questions": ["shared-wound-problem"]})
    assert [f["code"] for f in _findings(rehabkit, path)] == []  # one library has it
    findings = [f for f in _findings(rehabkit, path, ("red-flags",)) if f["code"] == "RK110"]
    assert len(findings) == 1 and findings[0]["severity"] == "error"
    assert (
        "more than one installed red-flag library (rehabkit-red-flags, test-clinic-red-flags)" in findings[0]["message"]
    )
    ran = rehabkit("run", path, "--patient", "P-1", "--plan", packs=["red-flags"])
    assert ran.returncode != 0 and "RK110" in ran.stdout + ran.stderr  # the protocol is refused, not guessed
