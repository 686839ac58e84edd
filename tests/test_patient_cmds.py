"""history, next-day and measure against a real store file."""

from __future__ import annotations

import json

import pytest

from rehabkit._sessions.store import Store

from conftest import sign_in

ODI = [
    "pain-intensity=2",
    "personal-care=1",
    "lifting=3",
    "walking=1",
    "sitting=2",
    "standing=2",
    "sleeping=1",
    "social-life=2",
    "travelling=2",
]


def _scores(values: list[str]) -> list[str]:
    return [arg for value in values for arg in ("--score", value)]


@pytest.fixture
def db(tmp_path) -> str:
    """A store that knows patient P1 (commands that add to a record never create a patient)."""
    path = str(tmp_path / "s.db")
    with Store(path) as store:
        store.ensure_patient("P1")
    return path


def test_measure_scores_and_records_with_a_skipped_section(cli, db) -> None:
    result = cli("measure", "P1", "ODI", "--db", db, *_scores(ODI), "--skip", "sex-life")
    assert result.exit_code == 0, result.output
    assert result.stdout == "ODI 35.6 % (moderate disability), 9 of 10 items answered: recorded for P1.\n"
    with Store(db) as store:
        assert store.latest_measures("P1") == {"odi": 35.6}


def test_a_baseline_measure_before_the_first_session_records_the_patient(cli, tmp_path) -> None:
    """Issue 30: the first visit scores a baseline before any session; the store made by 'staff add' records the
    patient with it, as 'run' and 'approve' do."""
    db = str(tmp_path / "s.db")
    sign_in(db)  # 'rehabkit staff add': the only command that makes a store
    result = cli("measure", "M-1", "nprs", "--score", "pain=6", "--db", db, "--date", "2026-11-02")
    assert result.exit_code == 0, result.output
    assert result.stdout == "NPRS 6 /10: recorded for M-1.\n"
    history = cli("history", "M-1", "--db", db, "--format", "json")
    assert history.exit_code == 0, history.output
    assert json.loads(history.stdout)["measures"] == [
        {"measure": "nprs", "value": 6.0, "date": "2026-11-02", "band": None}
    ]


def test_a_baseline_measure_on_a_look_alike_id_asks_for_new_patient(cli, db) -> None:
    refused = cli("measure", "P-1", "nprs", "--score", "pain=6", "--db", db)
    assert refused.exit_code == 2
    assert "Did you mean 'P1'?" in refused.stderr and "--new-patient" in refused.stderr
    with Store(db) as store:
        assert not store.has_patient("P-1")
    given = cli("measure", "P-1", "nprs", "--score", "pain=6", "--new-patient", "--db", db)
    assert given.exit_code == 0, given.output


def test_a_measure_names_a_patient_id_that_is_a_name(cli, db) -> None:
    refused = cli("measure", "Jane Doe", "nprs", "--score", "pain=6", "--db", db)
    assert refused.exit_code == 2
    assert "'Jane Doe' is not a patient id" in refused.stderr and "Traceback" not in refused.output


def test_a_measure_with_no_store_is_refused_and_names_staff_add(cli, tmp_path) -> None:
    db = tmp_path / "none.db"
    result = cli("measure", "M-1", "nprs", "--score", "pain=6", "--db", str(db))
    assert result.exit_code == 9
    assert "rehabkit staff add YOUR-STAFF-ID --role ROLE" in result.stderr
    assert not db.exists()


def test_measure_asks_for_items_not_given_and_reprompts_bad_answers(cli, db) -> None:
    result = cli("measure", "P1", "ndi", "--db", db, "--format", "json", input="2\n1\n9\n2\n2\n3\n1\n2\n\n2\n1\n")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert (report["value"], report["skipped"]) == (17.8, ["driving"])
    assert "please answer a whole number from 0 to 5" in result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("measure", "P1", "sf36"), "no installed outcome measure 'sf36'. Installed: ndi, nprs, odi, peg, startback."),
        (("measure", "P1", "odi", "--score", "walking=x"), "write ITEM=N"),
    ],
)
def test_bad_measure_input_is_named(cli, db, args, words) -> None:
    result = cli(*args, "--db", db)
    assert result.exit_code == 2
    assert words in result.stderr


def test_out_of_range_score_is_a_clear_error(cli, db) -> None:
    result = cli("measure", "P1", "nprs", "--score", "pain=11", "--db", db)
    assert result.exit_code == 1
    assert "Pain now must be a whole number from 0 to 10 (got 11)" in result.stderr


def test_next_day_attaches_to_the_session_before_it_and_history_lists_it(cli, db) -> None:
    import datetime

    with Store(db) as store:
        session = store.start_session("P1", "neck-pain", "2.0.0", "acute", datetime.date(2026, 11, 2))
        store.record_answer(session, "pain-before", "pain", 2)
        store.record_answer(session, "pain-after", "pain", 3)
        store.finish_session(session, "complete", "continue")
    result = cli("next-day", "P1", "--pain", "4", "--date", "2026-11-03", "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "Next-morning pain 4/10 recorded for P1 on 2026-11-03, after the session of 2026-11-02 "
        "(pain before that session: 2/10).\n"
    )
    listed = cli("history", "P1", "--db", db).stdout.splitlines()
    assert listed[1].split() == ["DATE", "PROTOCOL", "PHASE", "STATUS", "PAIN", "DECISION"]
    assert listed[2].split() == ["2026-11-02", "neck-pain", "acute", "complete", "2->3/4", "continue"]
    data = json.loads(cli("history", "P1", "--db", db, "--format", "json").stdout)
    assert data["sessions"][0]["pain_after"] == 3
    assert data["sessions"][0]["next_morning"] == {"date": "2026-11-03", "pain": 4, "settled_after_hours": None}
    assert cli("next-day", "P1", "--pain", "11", "--db", db).exit_code == 2
    same_day = cli("next-day", "P1", "--pain", "4", "--date", "2026-11-02", "--db", db)
    assert same_day.exit_code == 1 and "no session before 2026-11-02" in same_day.stderr


def test_a_next_morning_report_naming_a_protocol_that_is_not_there_records_nothing(cli, db) -> None:
    import datetime

    with Store(db) as store:
        session = store.start_session("P1", "neck-pain", "2.0.0", "acute", datetime.date(2026, 11, 2))
        store.finish_session(session, "complete", "continue")
    result = cli("next-day", "P1", "--pain", "4", "--date", "2026-11-03", "--protocol", "nekc-pain", "--db", db)
    assert result.exit_code == 1 and "nekc-pain" in result.stderr, result.stderr
    with Store(db) as store:
        assert store.next_day("P1") == {}  # refused before anything was recorded


@pytest.mark.parametrize(
    "args",
    [
        ("next-day", "NEWGUY", "--pain", "3"),
        ("history", "NEWGUY"),
        ("review", "NEWGUY", "--clinician", "PT-1", "--outcome", "resume"),
    ],
)
def test_commands_on_an_unknown_patient_are_errors_and_create_nothing(cli, db, args) -> None:
    result = cli(*args, "--db", db)
    assert result.exit_code == 1, result.output
    assert "no patient 'NEWGUY' in the session store" in result.stderr
    with Store(db) as store:
        assert not store.has_patient("NEWGUY")


def test_a_measure_can_be_dated_but_not_in_the_future(cli, db) -> None:
    assert cli("measure", "P1", "nprs", "--score", "pain=3", "--date", "2026-10-01", "--db", db).exit_code == 0
    with Store(db) as store:
        assert store.measures("P1") == [("nprs", 3.0, "2026-10-01")]
    future = cli("measure", "P1", "nprs", "--score", "pain=3", "--date", "2999-01-01", "--db", db)
    assert future.exit_code == 2 and "is in the future" in future.stderr


def test_ctrl_c_or_end_of_input_while_scoring_records_nothing(cli, db) -> None:
    result = cli("measure", "P1", "odi", "--db", db, input="2\n1\n")  # input ends after two sections
    assert result.exit_code == 130
    assert "nothing was recorded for P1" in result.stderr
    with Store(db) as store:
        assert store.measures("P1") == []


def test_store_path_comes_from_the_environment(cli, tmp_path) -> None:
    db = tmp_path / "env.db"
    with Store(db) as store:
        store.ensure_patient("P1")
    result = cli("measure", "P1", "nprs", "--score", "pain=3", env={"REHABKIT_DB": str(db)})
    assert result.exit_code == 0
    with Store(db) as store:
        assert store.latest_measures("P1") == {"nprs": 3.0}


def test_history_says_which_programme_a_discharge_ended(cli, db) -> None:
    import datetime

    day = datetime.date(2026, 11, 2)
    with Store(db) as store:
        store.add_event("P1", "enter-phase", day, protocol="neck-pain", phase="acute")
        store.add_event("P1", "review", day, protocol="neck-pain", by="PT-1", detail={"outcome": "discharge"})
        store.add_event("P1", "enter-phase", day, protocol="low-back-pain-acute", phase="acute")
    data = json.loads(cli("history", "P1", "--db", db, "--format", "json").stdout)
    assert data["status"] == "active; discharged from neck-pain on 2026-11-02"
