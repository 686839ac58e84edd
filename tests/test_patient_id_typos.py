"""A typo in a patient id never starts a new patient unnoticed, a refused staff id names the option given, and `show`
lists the screening question ids an answers file needs (issue 26 item 15), through the real commands."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rehabkit._sessions.store import Store, StoreError

DAY = "2026-11-02"
CALM = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1}, "pain_after": 2, "new_symptom": False}


def _answers(tmp_path: Path) -> str:
    path = tmp_path / "calm.yaml"
    path.write_text(yaml.safe_dump(CALM))
    return str(path)


def _approve(cli, db: str, patient: str, *extra: str):
    return cli("approve", patient, "--protocol", "neck-pain", "--phase", "acute", "--db", db, *extra)


def test_an_id_differing_only_in_case_is_refused_by_run_and_approve(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    assert _approve(cli, db, "LBP-A1").exit_code == 0
    for result in (
        _approve(cli, db, "LBP-a1"),
        _approve(cli, db, "lbp-a1", "--new-patient"),  # never a new patient, even when asked for
        cli("run", "neck-pain", "--patient", "LBP-a1", "--db", db, "--answers", _answers(tmp_path), "--date", DAY),
    ):
        assert result.exit_code == 2, result.output
        assert "is not recorded, but 'LBP-A1' is: ids that differ only in case" in result.stderr
    with Store(db) as store:
        assert store.patient_ids() == ["LBP-A1"]
        assert store.sessions("LBP-A1") == []
    history = cli("history", "lbp-a1", "--db", db)  # a command that reads a record names the one meant
    assert (
        history.exit_code == 1
        and "no patient 'lbp-a1'" in history.stderr
        and "Did you mean 'LBP-A1'?" in history.stderr
    )


def test_the_store_itself_refuses_a_new_id_differing_only_in_case(tmp_path) -> None:
    with Store(str(tmp_path / "s.db")) as store:
        store.ensure_patient("P-0042")
        with pytest.raises(StoreError, match="differ only in case"):
            store.ensure_patient("p-0042")
        store.ensure_patient("P-0042")  # the recorded patient is found as before
        assert store.patient_ids() == ["P-0042"]


def test_a_close_id_asks_did_you_mean(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    assert _approve(cli, db, "LBP-A1").exit_code == 0
    refused = _approve(cli, db, "LBP_A1")
    assert refused.exit_code == 2, refused.output
    assert "Did you mean 'LBP-A1'?" in refused.stderr and "--new-patient" in refused.stderr
    scripted = cli("run", "neck-pain", "--patient", "LBPA1", "--db", db, "--answers", _answers(tmp_path), "--date", DAY)
    assert scripted.exit_code == 2 and "Did you mean 'LBP-A1'?" in scripted.stderr
    assert _approve(cli, db, "LBP_A1", "--new-patient").exit_code == 0  # the clinician says it is a new patient
    assert _approve(cli, db, "LBP-A2").exit_code == 0  # the next patient in a series is not a typo
    with Store(db) as store:
        assert store.patient_ids() == ["LBP-A1", "LBP-A2", "LBP_A1"]


def test_at_a_terminal_did_you_mean_is_a_question(rehabkit, tmp_path) -> None:
    import os
    import sys

    pexpect = pytest.importorskip("pexpect")
    db = str(tmp_path / "s.db")
    assert rehabkit("approve", "P-0042", "--protocol", "neck-pain", "--phase", "acute", "--db", db).returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("REHABKIT_")}
    command = [sys.executable, "-m", "rehabkit", "approve", "P-OO42", "--protocol", "neck-pain", "--phase", "acute"]
    child = pexpect.spawn(command[0], [*command[1:], "--db", db], env=env, encoding="utf-8", timeout=120)
    child.expect(r"Did you mean 'P-0042'\? Start a new patient 'P-OO42' \[y/N\]")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    with Store(db) as store:
        assert store.patient_ids() == ["P-0042"]


def test_review_names_the_option_that_gave_the_name(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    assert _approve(cli, db, "P-1").exit_code == 0
    result = cli("review", "P-1", "--outcome", "resume", "--clinician", "Jane Smith", "--db", db)
    assert result.exit_code == 2
    assert "Invalid value for '--clinician'" in result.stderr and "'--by'" not in result.stderr
    by = cli("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--by", "Jane Smith", "--db", db)
    assert by.exit_code == 2 and "Invalid value for '--by'" in by.stderr


def test_show_lists_the_screening_question_ids(cli) -> None:
    result = cli("show", "neck-pain")
    assert result.exit_code == 0, result.output
    assert "by these ids in an answers file's 'screening'" in result.stdout
    for question in ("numbness-weakness", "spreading-pain", "hand-clumsiness", "no-improvement"):
        assert f"  - {question}: " in result.stdout
