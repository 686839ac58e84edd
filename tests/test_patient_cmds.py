"""history, next-day and measure against a real store file."""

from __future__ import annotations

import json

import pytest

from rehabkit.store import Store

ODI = ["pain-intensity=2", "personal-care=1", "lifting=3", "walking=1", "sitting=2", "standing=2", "sleeping=1",
       "social-life=2", "travelling=2"]


def _scores(values: list[str]) -> list[str]:
    return [arg for value in values for arg in ("--score", value)]


def test_measure_scores_and_records_with_a_skipped_section(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    result = cli("measure", "P1", "ODI", "--db", db, *_scores(ODI), "--skip", "sex-life")
    assert result.exit_code == 0, result.output
    assert result.stdout == "ODI 35.6 % (moderate disability), 9 of 10 items answered: recorded for P1.\n"
    with Store(db) as store:
        assert store.latest_measures("P1") == {"odi": 35.6}


def test_measure_asks_for_items_not_given_and_reprompts_bad_answers(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    result = cli("measure", "P1", "ndi", "--db", db, "--format", "json", input="2\n1\n9\n2\n2\n3\n1\n2\n\n2\n1\n")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{"):])
    assert (report["value"], report["skipped"]) == (17.8, ["driving"])
    assert "please answer a whole number from 0 to 5" in result.stderr


@pytest.mark.parametrize(("args", "words"), [
    (("measure", "P1", "sf36"), "no installed outcome measure 'sf36'. Installed: ndi, nprs, odi."),
    (("measure", "P1", "odi", "--score", "walking=x"), "write ITEM=N"),
    (("measure", "Jane Doe", "nprs", "--score", "pain=3"), "never a name"),
])
def test_bad_measure_input_is_named(cli, tmp_path, args, words) -> None:
    result = cli(*args, "--db", str(tmp_path / "s.db"))
    assert result.exit_code == 2
    assert words in result.stderr


def test_out_of_range_score_is_a_clear_error(cli, tmp_path) -> None:
    result = cli("measure", "P1", "nprs", "--score", "pain=11", "--db", str(tmp_path / "s.db"))
    assert result.exit_code == 1
    assert "Pain now must be a whole number from 0 to 10 (got 11)" in result.stderr


def test_next_day_attaches_to_the_latest_session_and_history_lists_it(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    with Store(db) as store:
        session = store.start_session("P1", "neck-pain", "2.0.0", "acute")
        store.record_answer(session, "pain-before", "pain", 2)
        store.record_answer(session, "pain-after", "pain", 3)
        store.finish_session(session, "complete", "continue")
    result = cli("next-day", "P1", "--pain", "4", "--db", db)
    assert result.stdout == f"next-morning pain 4/10 recorded for P1, after session {session} (pain before that session: 2/10).\n"
    listed = cli("history", "P1", "--db", db)
    header, row = listed.stdout.splitlines()
    assert header.split() == ["DATE", "PROTOCOL", "PHASE", "STATUS", "PAIN", "DECISION"]
    assert row.split()[1:] == ["neck-pain", "acute", "complete", "2->3", "continue"]
    data = json.loads(cli("history", "P1", "--db", db, "--format", "json").stdout)
    assert data["sessions"][0]["pain_after"] == 3
    assert cli("next-day", "P1", "--pain", "11", "--db", db).exit_code == 2


def test_store_path_comes_from_the_environment(cli, tmp_path) -> None:
    db = tmp_path / "env.db"
    result = cli("measure", "P1", "nprs", "--score", "pain=3", env={"REHABKIT_DB": str(db)})
    assert result.exit_code == 0
    assert db.exists()
