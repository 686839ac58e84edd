"""Lint from the command line: rule listing, selection, suppressions, GitHub annotations, libraries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import CORPUS, PROTOCOLS, REPO

GOOD = (CORPUS / "good" / "minimal.yaml").read_text()
#: minimal.yaml with a pain limit above the symptom rule's stop level (RK204, a warning) and zero reps (RK201, an
#: error).
BAD = GOOD.replace("          hold_seconds: 5\n", "          hold_seconds: 5\n          pain_limit: 7\n").replace(
    "reps: 10", "reps: 0"
)


def _write(tmp_path: Path, text: str, name: str = "p.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_shipped_protocols_and_plugins_are_clean(cli, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    result = cli("validate", "protocols/", "plugins/")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""
    documents = len(list(PROTOCOLS.rglob("*.yaml")))
    assert f"{documents} files checked: all valid." in result.stderr


def test_rules_lists_core_rules_with_severity_and_pack(cli) -> None:
    result = cli("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["RK101", "error", "core"]
    assert any(line.split()[:3] == ["RK204", "warning", "core"] for line in lines)
    rows = json.loads(cli("rules", "--format", "json").stdout)
    assert {r["code"] for r in rows} >= {"RK101", "RK301", "RK305", "RK403"}
    assert all(r["summary"] and r["explanation"] for r in rows if r["pack"] == "core")


def test_rules_code_explains_one_rule(cli) -> None:
    result = cli("rules", "rk301")
    assert result.exit_code == 0
    assert result.stdout.startswith("RK301  the red flags do not cover the minimum set\nseverity: error   pack: core")
    assert "cauda equina" in result.stdout
    missing = cli("rules", "RK310")
    assert missing.exit_code == 1
    assert "no installed lint rule 'RK310'. Did you mean 'RK3" in missing.stderr


def test_rules_explains_the_clinical_policy_in_force(rehabkit, tmp_path) -> None:
    """A clinic's pack that sets clinical settings changes what the core rules check, and `rules CODE` says what
    they check: the settings in force and the pack that set them, the same values validate applies."""

    def explained(code: str, *packs: str) -> str:
        result = rehabkit("rules", code, "--format", "json", packs=packs)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["explanation"]

    default = explained("RK301")
    assert "no improvement despite regular rehabilitation; fever or signs of infection; a history of cancer" in default
    assert "a fall, blow or accident. Protocols for the lower back" in default
    assert "Protocols for the neck (conditions " in default and "must also screen for signs of pressure" in default
    assert "Every protocol has at least one question that refers urgently" in default
    assert "These are rehabkit's defaults (clinical_policy.json); a clinic's pack may set its own" in default
    assert explained("RK301", "example-clinic").count("immunosuppression or long-term steroids") == 1
    assert "These are rehabkit's defaults" not in explained("RK301", "example-clinic")
    assert (
        "red_flags.required_signs by pack 'example-clinic' (rehabkit_register_clinical_policy), in place of "
        "rehabkit's defaults (clinical_policy.json)" in explained("RK301", "example-clinic")
    )
    policy = explained("RK301", "policy")
    assert "the saddle area; signs of a blood clot." in policy
    assert "red_flags.lumbar_required_signs by pack 'test-policy'" in policy

    assert "sets 10, reps 50, hold_seconds 120" in explained("RK201")
    assert "sets 10, reps 30, hold_seconds 120" in explained("RK201", "policy")
    assert "dose_bounds.reps by pack 'test-policy'" in explained("RK201", "policy")
    assert explained("RK306").startswith("Cauda equina signs, signs of a blood clot, signs of pressure on the spinal")
    assert (
        "Cauda equina signs, signs of a blood clot and signs of pressure on the spinal cord (clumsy hands, a changed "
        "walk) need same-day medical help" in explained("RK306", "policy")
    )
    listed = json.loads(rehabkit("rules", "--format", "json", packs=["policy"]).stdout)
    assert "reps 30" in next(r["explanation"] for r in listed if r["code"] == "RK201")
    text = rehabkit("rules", "RK201", packs=["policy"]).stdout  # the text form says the same, wrapped
    assert "reps 30" in text and "'test-" in text and "dose_bounds.reps by pack" in " ".join(text.split())

    # what validate applies: 40 repetitions pass rehabkit's bound (50), not the clinic's (30)
    path = _write(tmp_path, GOOD.replace("reps: 10", "reps: 40"))
    assert rehabkit("validate", path).returncode == 0
    bounded = rehabkit("validate", path, packs=["policy"])
    assert bounded.returncode == 1 and "RK201" in bounded.stdout and "30" in bounded.stdout


def test_a_pack_rule_shows_in_rules_and_in_findings(rehabkit, tmp_path) -> None:
    listed = rehabkit("rules", packs=["extras"])
    assert "TX002  warning  test-extras  title in capitals" in listed.stdout
    explained = rehabkit("rules", "TX002", packs=["extras"])
    assert "pack: test-extras" in explained.stdout
    path = _write(tmp_path, GOOD.replace("title: Minimal test protocol", "title: SHOUTED TITLE"))
    result = rehabkit("validate", path, packs=["extras"])
    assert (
        f"{path}:4:8: TX002 warning: the title is all capitals; write it in sentence case. [$.title]" in result.stdout
    )
    # the raising rule TX001 is reported by name and the other rules still ran
    assert "RK099 lint rule TX001 from pack 'test-extras' failed" in result.stdout
    assert result.returncode == 3
    quiet = rehabkit("validate", "--ignore", "TX", path, packs=["extras"])
    assert quiet.returncode == 0 and quiet.stdout == ""


def test_select_and_ignore(cli, tmp_path) -> None:
    path = _write(tmp_path, BAD)
    both = cli("validate", path)
    assert [line.split()[1] for line in both.stdout.splitlines()] == ["RK201", "RK204"]
    assert both.exit_code == 1
    only = cli("validate", "--select", "RK2", "--ignore", "RK201", path)
    assert [line.split()[1] for line in only.stdout.splitlines()] == ["RK204"]
    assert only.exit_code == 0  # a warning alone does not fail validation
    assert cli("validate", "--select", "RK1,RK3", path).stdout == ""


def test_unknown_code_in_select_is_a_usage_error(cli, tmp_path) -> None:
    result = cli("validate", "--select", "RK999", _write(tmp_path, GOOD))
    assert result.exit_code == 2
    assert "no installed lint rule matches 'RK999'" in result.stderr


def test_schema_errors_are_never_deselected(cli) -> None:
    result = cli("validate", "--select", "RK101", str(CORPUS / "bad" / "wrong-type.yaml"))
    assert result.exit_code == 1
    assert "RK020" in result.stdout


def test_github_format_emits_workflow_annotations(cli, tmp_path) -> None:
    path = _write(tmp_path, BAD)
    result = cli("validate", "--format", "github", path)
    assert result.exit_code == 1
    error, warning = result.stdout.splitlines()
    assert error.startswith(
        f"::error file={path},line=27,col=17,title=RK201::'chin-tuck' in phase 'acute': 0 repetitions is no dose"
    )
    assert warning.startswith(f"::warning file={path},line=29,col=23,title=RK204::")
    assert error.endswith("[$.phases[0].exercises[0].dose.reps]")


def test_github_format_escapes_percent_and_newlines(cli, tmp_path) -> None:
    path = _write(tmp_path, "kind: [", "100%,odd:name.yaml")
    line = cli("validate", "--format", "github", path).stdout.strip()
    assert line.startswith(
        "::error file=" + path.replace("%", "%25").replace(":", "%3A").replace(",", "%2C") + ",line="
    )
    assert "\n" not in line


def test_comment_suppression_on_the_line_and_above(cli, tmp_path) -> None:
    text = BAD.replace(
        "          pain_limit: 7\n",
        "          pain_limit: 7  # rehabkit: ignore[RK204] surgeon agreed a higher limit for this patient group\n",
    )
    text = text.replace(
        "          reps: 0\n",
        "          # rehabkit: ignore[RK201] placeholder dose, replaced per patient\n          reps: 0\n",
    )
    result = cli("validate", _write(tmp_path, text))
    assert result.exit_code == 0, result.stdout
    assert result.stdout == ""


def test_suppression_without_a_reason_suppresses_nothing(cli, tmp_path) -> None:
    text = BAD.replace("          reps: 0\n", "          reps: 0  # rehabkit: ignore[RK201]\n")
    result = cli("validate", "--select", "RK201", _write(tmp_path, text))
    assert result.exit_code == 1
    codes = [line.split()[1] for line in result.stdout.splitlines()]
    assert codes == ["RK201", "RK011"]
    assert "suppression of RK201 has no reason" in result.stdout


def test_unused_and_unknown_suppressions_are_reported(cli, tmp_path) -> None:
    text = GOOD.replace(
        "title: Minimal test protocol", "title: Minimal test protocol  # rehabkit: ignore[RK403] version is fine really"
    )
    text = text.replace("kind: protocol", "kind: protocol  # rehabkit: ignore[ZZ001] a rule from a pack we do not have")
    result = cli("validate", _write(tmp_path, text))
    assert result.exit_code == 0  # warnings only
    lines = result.stdout.splitlines()
    assert any("RK012 warning: suppression names ZZ001, which no installed lint rule has" in line for line in lines)
    assert any("RK012 warning: suppression of RK403 matched no finding; delete it." in line for line in lines)
    assert cli("validate", "--ignore", "RK403", _write(tmp_path, text, "q.yaml")).stdout.count("RK403") == 0


def test_suppress_field_in_a_json_document_covers_a_path(cli, tmp_path) -> None:
    import yaml

    data = yaml.safe_load(BAD)
    data["reviewed"] = str(data["reviewed"])
    data["suppress"] = [
        {"code": "RK204", "path": "$.phases[0]", "reason": "surgeon agreed a higher limit for this group"}
    ]
    result = cli("validate", _write(tmp_path, json.dumps(data, indent=2), "p.json"))
    assert [line.split()[1] for line in result.stdout.splitlines()] == ["RK201"]
    data["suppress"][0]["path"] = "$.red_flags"
    result = cli("validate", _write(tmp_path, json.dumps(data, indent=2), "q.json"))
    assert sorted(line.split()[1] for line in result.stdout.splitlines()) == ["RK012", "RK201", "RK204"]


def test_protocols_resolve_exercises_from_a_library_among_the_paths(cli, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    alone = cli("-p", "no:exercises", "validate", "protocols/neck/neck-pain.yaml")
    assert alone.exit_code == 1
    assert "RK101 phase 'acute' names exercise 'diaphragmatic-breathing', which is not defined" in alone.stdout
    together = cli("-p", "no:exercises", "validate", "protocols/neck/neck-pain.yaml", "protocols/exercises/")
    assert together.exit_code == 0, together.stdout


def test_a_library_later_in_a_batch_lends_its_exercises_in_any_layout(cli, tmp_path, monkeypatch) -> None:
    """A library found anywhere among the files (after the protocols, written on one line) lends its exercises,
    on one process and on several; a file reached twice (a link, the same path given again) is checked once."""
    monkeypatch.chdir(REPO)
    library = yaml.safe_load((PROTOCOLS / "exercises" / "spine-exercises.yaml").read_text())
    library["reviewed"] = str(library["reviewed"])
    batch = tmp_path / "batch"
    batch.mkdir()
    protocol = yaml.safe_load((PROTOCOLS / "neck" / "neck-pain.yaml").read_text())
    protocol["reviewed"] = str(protocol["reviewed"])
    for i in range(70):  # enough files for worker processes
        (batch / f"a{i:03}.json").write_text(json.dumps({**protocol, "id": f"neck-{i}"}), encoding="utf-8")
    (batch / "zz-library.json").write_text(json.dumps(library, separators=(",", ":")), encoding="utf-8")
    (batch / "zz-link.json").symlink_to(batch / "a000.json")
    for jobs in ("1", "2"):
        result = cli("-p", "no:exercises", "validate", "--jobs", jobs, str(batch), str(batch / "a001.json"))
        assert result.exit_code == 0, result.stdout
        assert "71 files checked: all valid." in result.stdout + result.stderr
    (batch / "zz-library.json").unlink()
    result = cli("-p", "no:exercises", "validate", str(batch))
    assert result.exit_code == 1 and "RK101" in result.stdout


def test_exercises_pack_lends_its_library_to_any_protocol_file(cli, tmp_path) -> None:
    text = GOOD.replace("          hold_seconds: 5\n", "          hold_seconds: 5\n      - exercise: bird-dog\n")
    text = text.replace(
        "    focus: [pain-and-spasm-control]\n", "    stage: recovery\n    focus: [pain-and-spasm-control]\n"
    )
    path = _write(tmp_path, text)
    assert cli("validate", path).exit_code == 0
    acute = _write(tmp_path, text.replace("stage: recovery", "stage: acute"), "acute.yaml")
    result = cli("validate", acute)
    assert "RK304 'bird-dog' is not suitable before the recovery stage" in result.stdout


@pytest.mark.parametrize("kind", ["protocol", "exercise-library"])
def test_schema_command_prints_each_kind(cli, kind) -> None:
    printed = cli("schema", "--kind", kind).stdout
    name = "protocol.schema.json" if kind == "protocol" else "exercise-library.schema.json"
    assert printed == (REPO / "schemas" / name).read_text()


def test_unknown_kind_is_named(cli, tmp_path) -> None:
    result = cli("validate", _write(tmp_path, GOOD.replace("kind: protocol", "kind: exercise-list")))
    assert result.exit_code == 1
    assert (
        ":1:7: RK020 kind \"exercise-list\" is not a rehabkit document kind: write 'protocol', 'exercise-library' "
        "or 'red-flag-library'. [$.kind]" in result.stdout
    )


def test_every_library_exercise_is_complete() -> None:
    import yaml

    library = yaml.safe_load((PROTOCOLS / "exercises" / "spine-exercises.yaml").read_text())
    ids = {e["id"] for e in library["exercises"]}
    for exercise in library["exercises"]:
        assert exercise["steps"] and exercise["cues"] and exercise["contraindications"] and exercise["dose"], exercise[
            "id"
        ]
        links = [exercise[k] for k in ("regression", "progression") if k in exercise]
        assert links and set(links) <= ids, exercise["id"]
    # the seeds' stretches are all there
    assert {
        "bar-hang",
        "half-hang-thoracic-stretch",
        "wall-bar-hang-facing",
        "table-supported-lumbar-stretch",
        "prone-thoracic-stretch",
        "supine-lumbar-stretch",
        "toes-and-chin-stretch",
    } <= ids


def test_strict_makes_warnings_fail_for_ci(cli, tmp_path) -> None:
    warned = _write(
        tmp_path, GOOD.replace("          hold_seconds: 5\n", "          hold_seconds: 5\n          pain_limit: 7\n")
    )
    plain = cli("validate", warned)
    assert plain.exit_code == 0 and "RK204 warning:" in plain.stdout
    strict = cli("validate", "--strict", warned)
    assert strict.exit_code == 1 and "RK204 warning:" in strict.stdout
    assert cli("validate", "--strict", _write(tmp_path, GOOD, "clean.yaml")).exit_code == 0


def test_the_same_id_and_version_in_two_files_is_a_finding_naming_both(cli, tmp_path) -> None:
    first, second = _write(tmp_path, GOOD, "a.yaml"), _write(tmp_path, GOOD, "b.yaml")
    result = cli("validate", str(tmp_path))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{first}:2:5: RK013 protocol corpus-minimal@0.1.0 is also in {second}" in lines[0]
    assert f"{second}:2:5: RK013 protocol corpus-minimal@0.1.0 is also in {first}" in lines[1]
    json_copy = tmp_path / "c.json"
    json_copy.write_text((CORPUS / "good" / "minimal.json").read_text())
    three = cli("validate", str(tmp_path), "--format", "json", "-j", "2")
    names = {f["path"] for file in json.loads(three.stdout)["files"] for f in file["findings"] if f["code"] == "RK013"}
    same = json.loads(json_copy.read_text())["id"] == "corpus-minimal"
    assert names == ({first, second, str(json_copy)} if same else {first, second})
    # A new version is a different document.
    Path(second).write_text(GOOD.replace("version: 0.1.0", "version: 0.2.0"))
    assert "RK013" not in cli("validate", first, second).stdout


def test_the_summary_says_when_lint_rules_did_not_run(cli, tmp_path) -> None:
    schema_bad = _write(
        tmp_path, GOOD.replace("hold_seconds: 5", "hold_secs: 5").replace("reps: 10", "reps: 10"), "s.yaml"
    )
    result = cli("validate", schema_bad)
    assert result.exit_code == 1 and "RK020" in result.stdout
    assert "Lint rules did not run on 1 file that could not be read or do not match the schema" in result.stderr
    report = json.loads(cli("validate", schema_bad, "--format", "json").stdout)
    assert report["files"][0]["linted"] is False and report["summary"]["not_linted"] == 1
    clean = cli("validate", _write(tmp_path, BAD, "lint.yaml"), "--format", "json")
    assert json.loads(clean.stdout)["files"][0]["linted"] is True


@pytest.mark.parametrize(
    ("text", "where", "hint"),
    [
        ("title: Neck care: the basics\n", "1:17", "put the whole value in quotes"),
        ("steps:\n\t- Breathe\n", "2:1", "indent with spaces"),
        ('note: "C:\\qfolder"\n', "1:10", "write \\\\ for a backslash, or use single quotes"),
        ('note: "never closed\n', "2:1", "a quoted text is not closed"),
        ("a:\n  - x\n b: 2\n", "3:2", "the keys of one mapping line up"),
        ("conditions: [neck-pain, low-back\n", "2:1", "a [list] written on one line is not closed"),
        ("author: @clinic\n", "1:9", "a value starting with @"),
    ],
)
def test_yaml_syntax_errors_say_what_to_do(cli, tmp_path, text, where, hint) -> None:
    path = _write(tmp_path, text)
    result = cli("validate", path)
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"{path}:{where}: RK005 YAML syntax error: ")
    assert "Hint: " in line and hint in line


@pytest.mark.parametrize(
    ("files", "cores", "workers"),
    [
        (40, 2, 1),  # a small batch: one process
        (400, 2, 1),  # fewer than 250 files a worker: forking would cost more than it saves
        (2000, 2, 2),  # every core
        (2000, 8, 8),
        (1000, 8, 4),  # at most one worker per 250 files
    ],
)
def test_the_default_jobs_follow_the_work_and_the_cores(monkeypatch, files, cores, workers) -> None:
    import os

    from rehabkit._documents import validation

    # The machine's cores cannot be set for a test; what the process is told about them can.
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert validation._worker_count(None, files) == workers
    assert validation._worker_count(3, files) == min(3, files)  # --jobs always wins
