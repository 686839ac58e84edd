"""FHIR export (issue 15): every shipped protocol and a scripted patient course, in R4B and R5, through the real
commands; parsed with fhir.resources, then checked offline against the HL7 definitions (tests/fhir_check.py)."""

from __future__ import annotations

import copy
import itertools
import json

import pytest
import yaml
from test_courses import Course, day

from conftest import CORPUS, REPO
from fhir_check import check, published_extensions

fhir_resources = pytest.importorskip(
    "fhir.resources", reason="the FHIR tests need fhir.resources (pip install -e '.[test]')"
)
pytest.importorskip("fhirpathpy", reason="the FHIR tests need fhirpathpy (pip install -e '.[test]')")

VERSIONS = ("r4b", "r5")


def _model(version: str, resource_type: str):
    if version == "r5":
        from fhir.resources import get_fhir_model_class
    else:
        from fhir.resources.R4B import get_fhir_model_class
    return get_fhir_model_class(resource_type)


def _parse(version: str, resource: dict) -> None:
    """fhir.resources' structure, type and cardinality checks (R5 top level, R4B subpackage)."""
    _model(version, resource["resourceType"]).model_validate(resource)


def _checked(version: str, resource: dict) -> None:
    _parse(version, resource)
    report = check(resource, version)
    assert report.errors == (), "\n".join(report.errors[:20])
    assert report.skipped == (), "invariants fhirpathpy could not evaluate:\n" + "\n".join(report.skipped[:20])


def _shipped() -> list[str]:
    from rehabkit._plugins.manager import PluginManager

    manager = PluginManager.from_environment()
    manager.load()
    return sorted(r.item.key for r in manager.registry().protocols.values())


def _installed(key: str):
    """The installed protocol as a session, a handout or an export sees it: the red-flag questions it takes from a
    library (shared_red_flags) written in with its own."""
    from rehabkit._plugins.manager import PluginManager

    manager = PluginManager.from_environment()
    manager.load()
    registry = manager.registry()
    return registry.with_shared_red_flags(registry.protocols[key].item)


SHIPPED = _shipped()


def test_the_shipped_packs_provide_protocols_to_export() -> None:
    assert len(SHIPPED) >= 10, SHIPPED  # all ten first-party protocols are installed for the tests


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("key", SHIPPED)
def test_every_shipped_protocol_exports_parses_and_passes_the_checks(cli, tmp_path, key, version) -> None:
    out = tmp_path / "plan.json"
    result = cli("export", key, "--fhir", version, "-o", str(out))
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    _checked(version, plan)
    protocol = _installed(key)
    assert plan["type"]["coding"][0]["code"] == "clinical-protocol"
    assert (plan["id"], plan["version"], plan["title"], plan["status"]) == (
        protocol.id,
        protocol.version,
        protocol.title,
        "active",
    )
    assert plan["usage"] == protocol.supervision.statement and plan["date"] == protocol.reviewed
    assert len(plan["relatedArtifact"]) == len(protocol.references)
    activities = [r for r in plan["contained"] if r["resourceType"] == "ActivityDefinition"]
    assert len(activities) == sum(len(p.exercises) for p in protocol.phases)
    for activity in activities:
        assert activity["kind"] == "Task" and activity["code"]["coding"][0]["code"] == "229065009"
    phases = [a for a in plan["action"] if a["id"] in {p.id for p in protocol.phases}]
    assert [a["id"] for a in phases] == [p.id for p in protocol.phases]
    target = "targetId" if version == "r5" else "actionId"
    for before, action in itertools.pairwise(phases):
        assert action["relatedAction"] == [{target: before["id"], "relationship": "after-end"}]
    stops = [c for c in phases[0]["condition"] if c["kind"] == "stop" and c["expression"]["name"] != "exit"]
    assert [c["expression"]["description"] for c in stops] == [r.message for r in protocol.symptom_rules]
    questionnaire = next(r for r in plan["contained"] if r["resourceType"] == "Questionnaire")
    assert [i["linkId"] for i in questionnaire["item"]] == [q.id for q in protocol.red_flags]
    assert plan["action"][0]["definitionCanonical"] == "#" + questionnaire["id"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("key", SHIPPED)
def test_import_reads_the_export_back_into_the_same_protocol(cli, tmp_path, key, version) -> None:
    from rehabkit.model import Protocol

    exported, imported = tmp_path / "plan.json", tmp_path / "back.yaml"
    assert cli("export", key, "--fhir", version, "-o", str(exported)).exit_code == 0
    result = cli("import", "--fhir", str(exported), "-o", str(imported))
    assert result.exit_code == 0, result.output
    assert cli("validate", str(imported)).exit_code == 0
    assert Protocol.from_dict(yaml.safe_load(imported.read_text(encoding="utf-8"))) == _installed(key)


def test_a_protocols_own_exercise_comes_back_whole_and_json_output_works(cli, tmp_path) -> None:
    from rehabkit.model import Protocol

    source = CORPUS / "good" / "minimal.yaml"
    exported, imported = tmp_path / "plan.json", tmp_path / "back.json"
    result = cli("export", str(source), "--fhir", "r5", "-o", str(exported))
    assert result.exit_code == 0, result.output
    plan = json.loads(exported.read_text(encoding="utf-8"))
    _checked("r5", plan)
    assert cli("import", "--fhir", str(exported), "-o", str(imported)).exit_code == 0
    original = yaml.safe_load(source.read_text(encoding="utf-8"))
    original["reviewed"] = str(original["reviewed"])
    assert Protocol.from_dict(json.loads(imported.read_text(encoding="utf-8"))) == Protocol.from_dict(original)


def test_text_with_markdown_and_line_breaks_survives_the_round_trip(cli, tmp_path) -> None:
    from rehabkit.model import Protocol

    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    data["exercises"][0]["steps"] = ["1. *Glide* the chin [back] \\ hold # 5 s", "- release\nthen rest", "**not bold**"]
    data["exercises"][0]["cues"] = ["<b>slow</b> & steady"]
    data["eligibility"] = {"inclusions": ["Neck pain_with_underscores."], "exclusions": ["**Arm** pain."]}
    path = tmp_path / "marked.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    exported, imported = tmp_path / "plan.json", tmp_path / "back.yaml"
    assert cli("export", str(path), "--fhir", "r4b", "-o", str(exported)).exit_code == 0
    assert cli("import", "--fhir", str(exported), "-o", str(imported)).exit_code == 0
    assert Protocol.from_dict(yaml.safe_load(imported.read_text(encoding="utf-8"))) == Protocol.from_dict(data)


def test_the_export_goes_to_standard_output_without_o(cli) -> None:
    result = cli("export", "neck-pain", "--fhir", "r5")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["resourceType"] == "PlanDefinition"


def test_usage_errors(cli, tmp_path) -> None:
    assert cli("export", "neck-pain").exit_code == 2  # --fhir is required
    assert cli("export", "neck-pain", "--fhir", "r4").exit_code == 2
    assert cli("export", "--fhir", "r5").exit_code == 2
    assert cli("export", "neck-pain", "--patient", "P-1", "--fhir", "r5").exit_code == 2
    assert cli("export", "neck-pain", "--fhir", "r5", "-o", str(tmp_path / "x.xml")).exit_code == 2
    assert cli("export", "no-such-protocol", "--fhir", "r5").exit_code == 1
    assert cli("import", "--fhir", str(tmp_path / "missing.json")).exit_code == 2
    other = tmp_path / "patient.json"
    other.write_text(json.dumps({"resourceType": "Patient", "id": "x"}), encoding="utf-8")
    refused = cli("import", "--fhir", str(other))
    assert refused.exit_code == 1 and "not a PlanDefinition" in refused.output


# --- a patient's course ---------------------------------------------------------------------


def _course(cli, tmp_path) -> Course:
    """A neck-pain course: calm dated sessions, a next-morning report, an NDI, a red flag that stops it, a review."""
    course = Course(cli, tmp_path, "neck-pain", patient="P-0042")
    course.approve("acute", 0)
    for n in range(4):
        result, _ = course.run(n, pain_before=3, pain_after=2)
        assert result.exit_code == 0, result.output
    assert course.do("next-day", "P-0042", "--pain", "2", n=4).exit_code == 0
    scores = [
        f"--score={item}=1"
        for item in (
            "pain-intensity",
            "personal-care",
            "lifting",
            "reading",
            "headaches",
            "concentration",
            "work",
            "driving",
            "sleeping",
            "recreation",
        )
    ]
    measured = course.do("measure", "P-0042", "ndi", *scores, n=4)
    assert measured.exit_code == 0, measured.output
    stopped, _ = course.run(5, screening={"all": False, "spreading-pain": True})
    assert stopped.exit_code == 4, stopped.output
    return course


def _export(cli, course: Course, version: str, n: int) -> dict:
    result = course.do("export", "--patient", course.patient, "--fhir", version, n=n)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_patients_course_exports_as_a_bundle_that_passes_the_checks(cli, tmp_path, version) -> None:
    course = _course(cli, tmp_path)
    paused = _export(cli, course, version, 6)
    _checked(version, paused)
    assert _resources(paused, "CarePlan")[0]["status"] == "on-hold"  # a paused course is a record: still exported

    review = course.do("review", "P-0042", "--clinician", "PT-1", "--outcome", "resume", "--note", "settled", n=7)
    assert review.exit_code == 0, review.output
    result, _ = course.run(8)
    assert result.exit_code == 0, result.output
    bundle = _export(cli, course, version, 8)
    _checked(version, bundle)
    assert bundle["type"] == "collection"
    (plan,) = _resources(bundle, "PlanDefinition")
    (careplan,) = _resources(bundle, "CarePlan")
    assert careplan["status"] == "active" and careplan["intent"] == "plan"
    assert careplan["instantiatesCanonical"] == [f"{plan['url']}|{plan['version']}"]
    assert any("review by PT-1: resume: settled" in note["text"] for note in careplan["note"])

    history = course.history()
    sessions = history["sessions"] if isinstance(history, dict) else history
    observations = _resources(bundle, "Observation")
    assert {o["code"]["coding"][0]["code"] for o in observations} == {"72514-3"}
    expected = sum((s.get("pain_before") is not None) + (s.get("pain_after") is not None) for s in sessions)
    expected += (
        sum(1 for s in sessions if s.get("status") == "complete") * 5
    )  # pain during each of the five acute exercises
    expected += 1  # the next-morning report
    assert len(observations) == expected
    morning = [o for o in observations if o["code"]["text"] == "Pain the morning after the session"]
    assert [(m["effectiveDateTime"], m["valueQuantity"]["value"]) for m in morning] == [(day(4), 2)]
    for observation in observations:
        details = {c["code"]["coding"][0]["code"]: c["valueString"] for c in observation["component"]}
        assert details["phase"] == "acute" and observation["effectiveDateTime"] >= day(0)

    responses = _resources(bundle, "QuestionnaireResponse")
    ndi = [r for r in responses if r["questionnaire"].endswith("/Questionnaire/measure-ndi")]
    assert len(ndi) == 1 and ndi[0]["item"][0]["answer"][0]["valueDecimal"] == 10 and ndi[0]["authored"] == day(4)
    screenings = [r for r in responses if "red-flags" in r["questionnaire"]]
    assert len(screenings) == 6  # every session screened, the stopped one too
    yes = [(r["authored"], i["linkId"]) for r in screenings for i in r["item"] if i["answer"][0]["valueBoolean"]]
    assert yes == [(day(5), "spreading-pain")]

    # Pseudonymous: the patient appears only as the store's id, in logical references.
    text = json.dumps(bundle)
    assert "Patient/" not in text and '"resourceType": "Patient"' not in text
    for resource in [careplan, *observations, *responses]:
        assert resource["subject"] == {
            "identifier": {"system": "https://rehabkit.org/schemas/fhir/identifier/patient", "value": "P-0042"}
        }


def test_referral_and_discharge_are_revoked_and_completed_care_plans(cli, tmp_path) -> None:
    course = _course(cli, tmp_path)
    assert course.do("review", "P-0042", "--clinician", "PT-1", "--outcome", "refer", n=6).exit_code == 0
    careplan = _resources(_export(cli, course, "r5", 6), "CarePlan")[0]
    assert careplan["status"] == "revoked" and careplan["period"]["end"] == day(6)
    other = (
        Course(cli, tmp_path / "other", "neck-pain", patient="P-7") if (tmp_path / "other").mkdir() is None else None
    )
    other.approve("acute", 0)
    assert other.run(0)[0].exit_code == 0
    assert other.do("review", "P-7", "--clinician", "PT-1", "--outcome", "discharge", n=1).exit_code == 0
    assert _resources(_export(cli, other, "r4b", 1), "CarePlan")[0]["status"] == "completed"


def test_the_bundle_is_the_same_when_exported_again(cli, tmp_path) -> None:
    course = _course(cli, tmp_path)
    assert _export(cli, course, "r5", 6) == _export(cli, course, "r5", 6)


def test_an_unknown_patient_is_refused(cli, tmp_path) -> None:
    course = _course(cli, tmp_path)
    result = cli("export", "--patient", "P-9999", "--fhir", "r5", "--db", course.db)
    assert result.exit_code == 1 and "no patient 'P-9999'" in result.output


# --- the checker is stricter than fhir.resources ---------------------------------------------------


def _neck(cli, version: str) -> dict:
    result = cli("export", "neck-pain", "--fhir", version)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_checker_rejects_what_fhir_resources_accepts(cli, version) -> None:
    plan = _neck(cli, version)
    activity = next(i for i, r in enumerate(plan["contained"]) if r["resourceType"] == "ActivityDefinition")
    broken = {
        "a bad status": lambda p: p.update(status="published"),
        "a bad activity kind": lambda p: p["contained"][activity].update(kind="Exercise"),
        "a bad time unit": lambda p: (
            p["contained"][activity]["timingTiming"]["repeat"].update(periodUnit="week")
            if "timingTiming" in p["contained"][activity]
            else p["contained"][activity].update(
                timingTiming={"repeat": {"frequency": 1, "period": 1, "periodUnit": "week"}}
            )
        ),
        "a missing contained activity": lambda p: p["contained"].pop(activity),
        "an extension rehabkit does not publish": lambda p: p["contained"][activity]["extension"][0].update(
            url="https://rehabkit.org/schemas/fhir/StructureDefinition/dosage"
        ),
        "a dose part the extension lacks": lambda p: p["contained"][activity]["extension"][0]["extension"].append(
            {"url": "weightKg", "valueDecimal": 2}
        ),
        "a range upside down": lambda p: p["action"][1].update(timingRange={"low": {"value": 3}, "high": {"value": 1}}),
        "a goal that is not defined": lambda p: p["action"][1].update(goalId=["goal-nowhere"]),
    }
    for what, mutate in broken.items():
        resource = copy.deepcopy(plan)
        mutate(resource)
        if what not in ("a dose part the extension lacks",):
            _parse(version, resource)  # fhir.resources accepts it ...
        assert check(resource, version).errors, f"the checker accepted {what}"  # ... the checker does not
    assert check(plan, version).errors == ()


def test_a_renderer_that_writes_a_bad_status_is_caught(cli, monkeypatch) -> None:
    """Export a protocol the checker rejects: an exporter bug (a status outside publication-status) fails the checks."""
    from rehabkit._outputs.fhir import plan as plan_module

    monkeypatch.setattr(plan_module, "_status", lambda protocol: "published")
    resource = _neck(cli, "r5")
    _parse("r5", resource)
    errors = check(resource, "r5").errors
    assert any(
        "'published' is not in the required value set http://hl7.org/fhir/ValueSet/publication-status" in e
        for e in errors
    ), errors


# --- the published extensions ----------------------------------------------------------------------


def test_the_extensions_are_published_where_the_export_says() -> None:
    from rehabkit._outputs.fhir import terms
    from rehabkit._outputs.fhir.plan import DOSE_COUNTS

    published = published_extensions()
    assert set(published) == {terms.DOSE_EXTENSION, terms.PHASE_EXTENSION}
    assert all(url.startswith("https://rehabkit.org/schemas/") for url in published)
    schema_id = json.loads((REPO / "schemas" / "protocol.schema.json").read_text(encoding="utf-8"))["$id"]
    assert schema_id.startswith("https://rehabkit.org/schemas/")
    dose = published[terms.DOSE_EXTENSION]
    assert {name for _, name in DOSE_COUNTS} | {f"{name}Step" for _, name in DOSE_COUNTS} <= set(dose)
    for path in (REPO / "schemas" / "fhir").glob("*.json"):
        _parse("r5", json.loads(path.read_text(encoding="utf-8")))
    # shipped inside the wheel with the JSON Schemas
    assert (REPO / "src" / "rehabkit" / "schema_files" / "fhir").is_dir()


def test_the_docs_describe_the_export() -> None:
    text = (REPO / "docs" / "fhir.md").read_text(encoding="utf-8")
    from rehabkit._outputs.fhir import terms

    for needle in (
        terms.DOSE_EXTENSION,
        terms.PHASE_EXTENSION,
        "72514-3",
        "97909-6",
        "229065009",
        "actionId",
        "targetId",
        "on-hold",
        "revoked",
        "completed",
        "R4",
        "rehabkit import",
        "lost",
    ):
        assert needle in text, needle
    assert "docs/fhir.md" in (REPO / "README.md").read_text(encoding="utf-8")


def test_an_own_exercises_dose_and_a_phases_stepped_weeks_come_back(cli, tmp_path) -> None:
    """A dose given by the protocol's own exercise (not by the phase) and expected weeks that move by a step."""
    from rehabkit.model import Protocol

    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    data["exercises"][0]["dose"] = data["phases"][0]["exercises"][0].pop("dose")
    data["phases"][0]["expected_weeks"] = {"min": 2, "max": 4, "step": 1}
    path = tmp_path / "own-dose.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    for version in VERSIONS:
        exported, imported = tmp_path / f"plan-{version}.json", tmp_path / f"back-{version}.yaml"
        assert cli("export", str(path), "--fhir", version, "-o", str(exported)).exit_code == 0
        result = cli("import", "--fhir", str(exported), "-o", str(imported))
        assert result.exit_code == 0, result.output
        back = yaml.safe_load(imported.read_text(encoding="utf-8"))
        assert back["exercises"][0]["dose"] == {"reps": 10, "hold_seconds": 5}
        assert "dose" not in back["phases"][0]["exercises"][0]
        assert back["phases"][0]["expected_weeks"] == {"min": 2, "max": 4, "step": 1}
        assert Protocol.from_dict(back) == Protocol.from_dict(data)


def test_the_relaxation_between_holds_travels_in_the_dose_and_reads_in_words(cli, tmp_path) -> None:
    """Issue 26: a dose's relax_seconds is in the FHIR dose extension (and comes back on import) and in the dose's
    words the handout and run show."""
    from rehabkit.model import Protocol

    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    data["phases"][0]["exercises"][0]["dose"]["relax_seconds"] = {"min": 3, "max": 5, "step": 1}
    path = tmp_path / "relax.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    for version in VERSIONS:
        exported, imported = tmp_path / f"plan-{version}.json", tmp_path / f"back-{version}.yaml"
        assert cli("export", str(path), "--fhir", version, "-o", str(exported)).exit_code == 0
        plan = json.loads(exported.read_text(encoding="utf-8"))
        _checked(version, plan)
        assert '"url": "relaxSeconds"' in json.dumps(plan)
        assert cli("import", "--fhir", str(exported), "-o", str(imported)).exit_code == 0
        back = yaml.safe_load(imported.read_text(encoding="utf-8"))
        assert back["phases"][0]["exercises"][0]["dose"]["relax_seconds"] == {"min": 3, "max": 5, "step": 1}
        assert Protocol.from_dict(back) == Protocol.from_dict(data)
    handout = tmp_path / "h.html"
    assert cli("handout", str(path), "-o", str(handout)).exit_code == 0
    assert "relax 3-5 s between holds" in handout.read_text(encoding="utf-8")


def test_import_names_what_an_edited_plan_definition_lacks(cli, tmp_path) -> None:
    exported = tmp_path / "plan.json"
    assert cli("export", "neck-pain", "--fhir", "r5", "-o", str(exported)).exit_code == 0
    plan = json.loads(exported.read_text(encoding="utf-8"))

    no_screening = copy.deepcopy(plan)
    no_screening["action"] = [a for a in plan["action"] if a["id"] != "before-every-session"]
    edited = tmp_path / "no-screening.json"
    edited.write_text(json.dumps(no_screening), encoding="utf-8")
    result = cli("import", "--fhir", str(edited))
    assert result.exit_code == 1 and result.stdout == ""
    assert "the PlanDefinition 'neck-pain' has no action 'before-every-session'" in result.stderr

    no_title = copy.deepcopy(plan)
    del next(a for a in no_title["action"] if a["id"] == "acute")["title"]
    edited.write_text(json.dumps(no_title), encoding="utf-8")
    result = cli("import", "--fhir", str(edited))
    assert result.exit_code == 1 and result.stdout == ""
    phase = next(i for i, a in enumerate(plan["action"]) if a["id"] == "acute")
    assert f"PlanDefinition.action[{phase}].title is missing: rehabkit writes a text here." in result.stderr


def test_a_course_not_started_yet_exports_as_an_active_care_plan(cli, tmp_path) -> None:
    course = Course(cli, tmp_path, "neck-pain", patient="P-0042")
    course.approve("acute", 0)
    bundle = _export(cli, course, "r5", 1)
    _checked("r5", bundle)
    (careplan,) = _resources(bundle, "CarePlan")
    assert (careplan["status"], careplan["description"]) == ("active", "Course not-started.")
    assert _resources(bundle, "Observation") == [] and _resources(bundle, "QuestionnaireResponse") == []


@pytest.mark.parametrize("version", VERSIONS)
def test_an_exercise_figure_travels_as_an_svg_attachment_and_import_leaves_it_out(cli, tmp_path, version) -> None:
    import base64
    import xml.etree.ElementTree as ET

    from rehabkit._outputs.figures import figure_text, still_svg
    from rehabkit.model import Exercise, Protocol

    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    figure = {
        "view": "side",
        "support": "chair",
        "start": {"angles": {"hip": 90, "knee": 90}},
        "poses": [{"label": "chin back", "angles": {"hip": 90, "knee": 90, "neck": -10, "head": 10}}],
    }
    data["exercises"][0]["figure"] = figure
    source, exported, imported = tmp_path / "own.yaml", tmp_path / "plan.json", tmp_path / "back.yaml"
    source.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert cli("export", str(source), "--fhir", version, "-o", str(exported)).exit_code == 0
    plan = json.loads(exported.read_text(encoding="utf-8"))
    _checked(version, plan)
    (activity,) = [r for r in plan["contained"] if r["resourceType"] == "ActivityDefinition"]
    (attachment,) = [a["document"] for a in activity["relatedArtifact"] if a.get("label") == "figure"]
    exercise = Exercise.from_dict(data["exercises"][0])
    assert attachment["contentType"] == "image/svg+xml"
    assert attachment["title"] == figure_text(exercise)
    svg = base64.b64decode(attachment["data"]).decode("utf-8")
    assert svg == still_svg(exercise)
    assert ET.fromstring(svg).get("role") == "img"
    result = cli("import", "--fhir", str(exported), "-o", str(imported))
    assert result.exit_code == 0, result.output
    assert cli("validate", str(imported)).exit_code == 0
    del data["exercises"][0]["figure"]  # rehabkit draws figures from data the export does not carry
    assert Protocol.from_dict(yaml.safe_load(imported.read_text(encoding="utf-8"))) == Protocol.from_dict(data)


def test_a_shipped_protocols_activities_carry_their_figures(cli, tmp_path) -> None:
    exported = tmp_path / "plan.json"
    assert cli("export", "low-back-pain-acute", "--fhir", "r5", "-o", str(exported)).exit_code == 0
    plan = json.loads(exported.read_text(encoding="utf-8"))
    activities = [r for r in plan["contained"] if r["resourceType"] == "ActivityDefinition"]
    assert activities
    for activity in activities:
        figures = [a for a in activity["relatedArtifact"] if a.get("label") == "figure"]
        assert len(figures) == 1, activity["id"]
        assert figures[0]["document"]["title"].startswith(f"Line drawing of {activity['title']}")
