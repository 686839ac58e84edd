"""The example code pack in plugins/, installed for real: its renderer, command, rule, measure and question, and its
tests."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from rehabkit._sessions.store import Store

from conftest import CORPUS, EXAMPLE_PACK, PROTOCOLS, clean_env

PACK = ["example-clinic"]


def test_plugins_lists_everything_the_example_pack_adds(rehabkit) -> None:
    packs = {p["name"]: p for p in json.loads(rehabkit("plugins", "--format", "json", packs=PACK).stdout)}
    example = packs["example-clinic"]
    assert example["status"] == "loaded", example["errors"]
    assert example["registered"] == {
        "protocols": [],
        "exercises": [],
        "screening": ["immune-or-steroid-treatment"],
        "lint_rules": ["EXC001"],
        "outcome_measures": ["psfs"],
        "commands": ["dose-table"],
        "clinical_policy": ["red_flags.required_signs"],
        "renderers": ["clinic-handout"],
        "red_flag_libraries": [],
    }
    text = rehabkit("plugins", packs=PACK).stdout
    assert "  commands: dose-table" in text and "  renderers: clinic-handout" in text


def test_a_pack_command_runs_as_a_rehabkit_subcommand(rehabkit) -> None:
    result = rehabkit("dose-table", "neck-pain", packs=PACK)
    assert result.returncode == 0, result.stderr
    protocol = yaml.safe_load((PROTOCOLS / "neck" / "neck-pain.yaml").read_text())
    assert result.stdout.splitlines()[0] == f"acute: {protocol['phases'][0]['name']}"
    assert "Print each phase of PROTOCOL" in rehabkit("dose-table", "--help", packs=PACK).stdout
    # rehabkit --help stays light: it points to `rehabkit plugins` instead of loading every pack.
    assert "'rehabkit plugins' lists them" in rehabkit("--help", packs=PACK).stdout


def test_the_packs_renderer_writes_a_handout_under_its_letterhead(rehabkit, tmp_path) -> None:
    out = tmp_path / "h.md"
    result = rehabkit(
        "handout", "neck-pain", "--phase", "recovery", "--renderer", "clinic-handout", "-o", str(out), packs=PACK
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("**Example Spine Clinic")
    statement = yaml.safe_load((PROTOCOLS / "neck" / "neck-pain.yaml").read_text())["supervision"]["statement"]
    assert statement.split(":")[0].replace(".", "\\.") in text
    # Without --renderer, .md is rehabkit's own Markdown renderer.
    own = tmp_path / "own.md"
    assert rehabkit("handout", "neck-pain", "-o", str(own), packs=PACK).returncode == 0
    assert not own.read_text(encoding="utf-8").startswith("**Example Spine Clinic")


def test_a_blocked_packs_command_and_renderer_are_not_offered(rehabkit, tmp_path) -> None:
    result = rehabkit("-p", "no:example-clinic", "dose-table", "neck-pain", packs=PACK)
    assert result.returncode == 2
    assert "No such command 'dose-table'" in result.stderr
    result = rehabkit(
        "-p",
        "no:example-clinic",
        "handout",
        "neck-pain",
        "--renderer",
        "clinic-handout",
        "-o",
        str(tmp_path / "h.md"),
        packs=PACK,
    )
    assert result.returncode == 2
    assert "no installed renderer 'clinic-handout'" in result.stderr
    assert not (tmp_path / "h.md").exists()


def test_the_example_rule_warns_on_a_shipped_protocol_without_failing_it(rehabkit) -> None:
    result = rehabkit("validate", "protocols/low-back/spinal-stiffness.yaml", packs=PACK)
    assert result.returncode == 0, result.stdout
    assert "EXC001 warning: phase" in result.stdout
    assert "the clinic's policy is at most 6" in result.stdout


def test_psfs_is_scored_and_recorded_by_rehabkit_measure(rehabkit, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    with Store(db) as store:
        store.ensure_patient("P-9")  # measure adds to a patient's record, never creates one
    result = rehabkit(
        "measure",
        "P-9",
        "psfs",
        "--db",
        db,
        "--score",
        "activity-1=4",
        "--score",
        "activity-2=6",
        "--score",
        "activity-3=8",
        "--skip",
        "activity-4",
        "--skip",
        "activity-5",
        "--format",
        "json",
        packs=PACK,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["value"] == 6.0
    history = rehabkit("history", "P-9", "--db", db, packs=PACK)
    assert "psfs" in history.stdout.lower()


def test_the_example_packs_own_tests_pass_with_rehabkits_pytest_plugin(test_packs, tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE_PACK)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={**clean_env(), "PYTHONPATH": str(test_packs["example-clinic"])},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout


def test_a_clinic_tunes_the_red_flag_minimum_set_through_its_pack(rehabkit) -> None:
    minimal = str(CORPUS / "good" / "minimal.yaml")  # screens for the default minimum set only
    assert rehabkit("validate", minimal).returncode == 0
    tuned = rehabkit("validate", minimal, packs=PACK)
    assert tuned.returncode == 1
    assert "RK301 no red-flag question screens for immunosuppression or long-term steroids" in tuned.stdout
    shipped = rehabkit("validate", "protocols/", packs=PACK)
    assert "RK301" not in shipped.stdout  # the shipped protocols already ask about it


def test_clinical_settings_are_checked_and_two_packs_setting_one_conflict() -> None:
    from rehabkit._plugins.policy_settings import PolicySetting, settings_from
    from rehabkit._plugins.registry import Contributions, Registered, Registry

    with pytest.raises(ValueError, match="unknown signs"):
        settings_from({"red_flags": {"required_signs": ["no-improvment"]}})
    with pytest.raises(ValueError, match=r"unknown setting red_flags\.required"):
        settings_from({"red_flags": {"required": []}})
    with pytest.raises(ValueError, match="must be a question"):
        settings_from({"session": {"new_symptom_question": "Tell us"}})
    registry = Registry()
    one = PolicySetting("dose_bounds.reps", {"max": 30, "zero_allowed": False, "noun": "repetitions"})
    registry.add(Contributions.of(clinical_policy=[Registered(one, "clinic-a")]))
    conflicts = registry.add(Contributions.of(clinical_policy=[Registered(one, "clinic-b")]))
    assert [c.describe() for c in conflicts] == [
        "conflict: clinical policy setting 'dose_bounds.reps' is contributed by packs 'clinic-a', 'clinic-b'; "
        "neither is used. Block one of them (-p no:NAME) or ask the pack authors to rename."
    ]
    assert registry.policy()["dose_bounds"]["reps"]["max"] == 50  # neither is used: the default stays


def test_an_outcome_criterions_scale_comes_from_the_installed_measure(rehabkit, tmp_path) -> None:
    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text())
    data["reviewed"] = str(data["reviewed"])
    data["phases"][0]["exit"]["all"] = [
        {"measure": "psfs-mean", "at_least": 15},
        {"measure": "odi-percent", "at_most": 120},
    ]
    path = tmp_path / "scales.yaml"
    path.write_text(yaml.safe_dump(data))
    without = rehabkit("validate", str(path))
    assert "120 is outside the 0-100 scale of odi-percent" in without.stdout  # rehabkit's own ODI definition
    assert "psfs-mean" not in without.stdout  # no installed measure says what PSFS scores
    with_pack = rehabkit("validate", str(path), packs=PACK)
    assert "15 is outside the 0-10 scale of psfs-mean" in with_pack.stdout  # the example clinic's PSFS


def test_the_handout_escapes_what_a_protocol_says(tmp_path) -> None:
    import importlib.util

    from rehabkit._common.clinical_data import policy
    from rehabkit._outputs.handout import build_handout
    from rehabkit.engine import plan_session
    from rehabkit.model import Protocol

    spec = importlib.util.spec_from_file_location(
        "handout", EXAMPLE_PACK / "src" / "rehabkit_example_clinic" / "handout.py"
    )
    handout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handout)
    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text())
    data["reviewed"] = str(data["reviewed"])
    data["title"] = "<script>alert(1)</script>"
    data["exercises"][0]["name"] = "[click](javascript:alert(1))"
    data["exercises"][0]["steps"] = ["Step\n# injected heading", '<img src=x onerror="alert(1)">']
    text = handout.render(
        build_handout(plan_session(Protocol.from_dict(data), "acute", {}), policy=policy()), "<b>Clinic</b>"
    )
    assert "<script>" not in text and "<img" not in text and "](javascript:" not in text
    assert "\n# injected" not in text
    assert "&lt;script&gt;" in text and "&lt;b&gt;Clinic" in text
