"""Bad input, garbage and concurrency: each gets a clear error and its exit code, never a traceback or silent
acceptance."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rehabkit._sessions.store import MIGRATIONS, Store

from conftest import REPO, clean_env, ctrl_c_as_at_a_terminal, signed_in


def test_a_patient_id_with_a_trailing_newline_is_refused(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    result = cli("approve", "P-1\n", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", db)
    assert result.exit_code == 2 and "never a name" in result.stderr
    staff = cli("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1\n", "--db", db)
    assert staff.exit_code == 2
    with pytest.raises(Exception, match="not valid"):
        with Store(db) as store:
            store.ensure_patient("P-1\n")


@pytest.mark.parametrize("fast_validator", [True, False], ids=["jsonschema-rs", "jsonschema only"])
def test_an_id_with_a_trailing_newline_is_refused_where_it_is(cli, tmp_path, monkeypatch, fast_validator) -> None:
    """The schema's patterns mean what ECMA-262 says: '$' is the end of the text, never before a final newline
    (Python's '$'), whichever validator reads them; the finding names the field at its line and column."""
    from rehabkit._documents import schemas

    if not fast_validator:  # as where jsonschema-rs has no wheel: the pure-Python validator decides alone
        monkeypatch.setattr(schemas, "_compile", lambda schema, resources: None)
    schemas.protocol_validator.cache_clear()
    text = (REPO / "tests" / "corpus" / "good" / "minimal.yaml").read_text()
    path = tmp_path / "id.yaml"
    path.write_text(text.replace("id: corpus-minimal", 'id: "corpus-minimal\\n"'))
    try:
        result = cli("validate", str(path))
    finally:
        schemas.protocol_validator.cache_clear()
    assert result.exit_code == 1
    assert result.stdout.startswith(f'{path}:2:5: RK020 "corpus-minimal\\n" has the wrong form.'), result.stdout


def test_a_pack_name_with_a_trailing_newline_is_refused(cli, tmp_path) -> None:
    result = cli("new-plugin", "myclinic\n", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_nan_is_never_a_pain_score(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    assert (
        cli(
            "approve",
            "P1",
            "--protocol",
            "neck-pain",
            "--phase",
            "acute",
            "--by",
            "PT-1",
            "--db",
            db,
            "--date",
            "2026-11-01",
        ).exit_code
        == 0
    )
    flags = 10
    typed = "n\n" * flags + "nan\n2\n" + "1\n" * 5 + "2\n" + "n\n"  # nan is refused and asked again
    result = cli("run", "neck-pain", "--patient", "P1", "--db", db, "--no-timer", "--date", "2026-11-02", input=typed)
    assert result.exit_code == 0, result.output
    assert "Please type a number from 0 (no pain) to 10" in result.stderr  # at the terminal, in a patient's words
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert session.pain_before == 2
    morning = cli("next-day", "P1", "--pain", "nan", "--db", db, "--date", "2026-11-03")
    assert morning.exit_code == 2 and "'nan' is not a number" in morning.stderr


def test_commands_that_read_a_record_never_create_a_store(cli, tmp_path) -> None:
    missing = tmp_path / "typo" / "store.db"
    for args in (
        ("history", "P1"),
        ("next-day", "P1", "--pain", "3"),
        ("review", "P1", "--clinician", "PT-1", "--outcome", "resume"),
    ):
        result = cli(*args, "--db", str(missing))
        assert result.exit_code == 1, args
        assert "there is no session store at" in result.stderr
    baseline = cli("measure", "P1", "nprs", "--score", "pain=3", "--db", str(missing))  # starts a record: as run does
    assert baseline.exit_code == 9 and "rehabkit staff add YOUR-STAFF-ID --role ROLE" in baseline.stderr
    plan = cli("run", "neck-pain", "--patient", "P1", "--db", str(missing), "--plan")
    assert plan.exit_code == 7  # the first gate: nothing recorded, and no store made to say so
    assert not missing.parent.exists()


def test_another_programs_database_is_refused_and_left_alone(cli, tmp_path) -> None:
    other = tmp_path / "other-app.sqlite3"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    connection.commit()
    connection.close()
    before = other.read_bytes()
    result = cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", str(other))
    assert result.exit_code == 1
    assert "is not a rehabkit session store (it holds the tables invoices)" in result.stderr
    assert other.read_bytes() == before
    connection = sqlite3.connect(other)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    connection.close()


def test_a_file_that_is_not_a_database_is_a_clear_error(cli, tmp_path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("my notes, not a database\n" * 100)
    result = cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", str(junk))
    assert result.exit_code == 1 and "cannot open the session store" in result.stderr


def _spawn_many(commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    for command in commands:
        signed_in(command, None)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "rehabkit", *c],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=clean_env(),
        )
        for c in commands
    ]
    results = []
    for process, command in zip(processes, commands, strict=True):
        out, err = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


def test_concurrent_first_use_of_a_new_store_by_real_processes(tmp_path) -> None:
    db = str(tmp_path / "new.db")
    commands = [
        ["approve", f"P{n}", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", db]
        for n in range(6)
    ]
    results = _spawn_many(commands)
    assert [r.returncode for r in results] == [0] * 6, [r.stderr for r in results]
    with Store(db) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert all(store.has_patient(f"P{n}") for n in range(6))


def test_concurrent_upgrade_of_an_old_store_runs_each_migration_once(tmp_path) -> None:
    path = tmp_path / "v1.db"
    connection = sqlite3.connect(path)
    connection.executescript(MIGRATIONS[0])  # type: ignore[arg-type]
    connection.execute("PRAGMA user_version = 1")
    connection.execute("INSERT INTO patients (id, created) VALUES ('P1', '2026-01-01T00:00:00+00:00')")
    connection.commit()
    connection.close()
    results = _spawn_many([["db", "upgrade", "--db", str(path)] for _ in range(5)])
    assert [r.returncode for r in results] == [0] * 5, [r.stderr for r in results]
    assert sum(f"schema version 1 -> {len(MIGRATIONS)}" in r.stdout for r in results) >= 1
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS) and store.has_patient("P1")


def test_a_read_only_store_is_a_clear_error_not_a_bug(cli, tmp_path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes to read-only files; the check needs an unprivileged user")
    db = tmp_path / "s.db"
    assert (
        cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", str(db)).exit_code
        == 0
    )
    db.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        result = cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-2", "--db", str(db))
    finally:
        tmp_path.chmod(0o755)
        db.chmod(0o644)
    assert result.exit_code == 1 and "internal error" not in result.stderr


def test_the_docs_name_the_guarantees_and_their_tests() -> None:
    page = (REPO / "docs" / "guarantees.md").read_text()
    import re

    named = set(re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", page))
    assert named, "docs/guarantees.md names no test"
    for path, test in named:
        assert f"def {test}(" in (REPO / path).read_text(), (path, test)
    assert Path(REPO / "docs" / "guarantees.md").exists()


def test_a_damaged_store_is_a_clear_error_not_a_bug(cli, tmp_path) -> None:
    db = tmp_path / "s.db"
    for n in range(30):
        assert (
            cli(
                "approve", f"P{n}", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", str(db)
            ).exit_code
            == 0
        )
    with Store(db) as store:
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # a page of garbage
    db.write_bytes(bytes(data))
    result = cli("history", "P1", "--db", str(db))
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    assert "session store" in result.stderr


HOSTILE = ["hostile"]  # the folder under tests/plugins; its entry point is "test-hostile"


def _hostile(rehabkit, behaviour: str, *args: str):
    budget = {"REHABKIT_PACK_TIMEOUT": "1"} if "hang" in behaviour else {}  # a hanging pack is stopped after 1 s
    return rehabkit(*args, packs=HOSTILE, env={"HOSTILE_BEHAVIOUR": behaviour, **budget})


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        ("exit-in-import", "failed to import 'rehabkit_test_hostile': SystemExit: 0"),
        ("exit-in-hook", "hook rehabkit_register_lint_rules raised SystemExit: 0"),
        ("base-in-hook", "hook rehabkit_register_protocols raised HostileError: a BaseException of the pack's own"),
    ],
)
def test_whatever_a_pack_raises_it_is_named_and_the_rest_keep_working(rehabkit, behaviour, words) -> None:
    listed = _hostile(rehabkit, behaviour, "list")
    assert listed.returncode == 0, listed.stderr
    assert "plugin pack 'test-hostile'" in listed.stderr and words in listed.stderr
    assert "neck-pain" in listed.stdout
    invalid = _hostile(rehabkit, behaviour, "validate", str(REPO / "tests" / "corpus" / "bad" / "wrong-type.yaml"))
    assert invalid.returncode == 1  # an invalid document never passes because a pack misbehaved


def test_a_lint_rule_that_exits_is_a_named_failure_and_cannot_be_suppressed(rehabkit, tmp_path) -> None:
    import yaml

    bad = REPO / "tests" / "corpus" / "bad" / "wrong-type.yaml"
    assert _hostile(rehabkit, "rule-exits", "validate", str(bad)).returncode == 1
    data = yaml.safe_load((REPO / "tests" / "corpus" / "good" / "minimal.yaml").read_text())
    data["reviewed"] = str(data["reviewed"])
    data["suppress"] = [{"code": "RK099", "reason": "hide the crash"}, {"code": "HX001", "reason": "and the rule"}]
    path = tmp_path / "suppressed.yaml"
    path.write_text(yaml.safe_dump(data))
    result = _hostile(rehabkit, "rule-exits", "validate", str(path))
    assert result.returncode == 3
    assert "RK099 lint rule HX001 from pack 'test-hostile' failed (SystemExit: 0)" in result.stdout


def test_a_pack_that_prints_never_spoils_json_on_stdout(rehabkit) -> None:
    import json

    result = _hostile(
        rehabkit, "print-on-import,print-in-hook", "validate", str(REPO / "protocols" / "neck"), "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)
    assert "hostile pack says hello on stdout" in result.stderr


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        ("policy-exits", "its progression policy raised SystemExit: 0"),
        ("policy-string", "its progression policy answered 'continue' (str), which is not a rehabkit.Decision"),
        ("policy-raises", "its progression policy raised ValueError: the policy broke"),
        ("policy-hangs", "its progression policy took longer than 1 s and was stopped (REHABKIT_PACK_TIMEOUT"),
    ],
)
def test_a_broken_progression_policy_is_named_and_the_session_kept_incomplete(
    rehabkit, tmp_path, behaviour, words
) -> None:
    import yaml

    db = str(tmp_path / "s.db")
    answers = tmp_path / "a.yaml"
    answers.write_text(
        yaml.safe_dump(
            {
                "screening": {"all": False},
                "pain_before": 2,
                "exercises": {"all": 1},
                "pain_after": 2,
                "new_symptom": False,
            }
        )
    )
    assert (
        _hostile(
            rehabkit,
            behaviour,
            "approve",
            "P1",
            "--protocol",
            "neck-pain",
            "--phase",
            "acute",
            "--by",
            "PT-1",
            "--db",
            db,
        ).returncode
        == 0
    )
    result = _hostile(rehabkit, behaviour, "run", "neck-pain", "--patient", "P1", "--db", db, "--answers", str(answers))
    assert result.returncode == 3
    assert f"plugin pack 'test-hostile': {words}" in result.stderr
    with Store(db) as store:
        (session,) = store.sessions("P1")
        assert session.status == "incomplete" and session.pain_before == 2


def test_what_cannot_be_read_in_a_folder_is_a_finding_never_skipped(cli, tmp_path) -> None:
    import os

    (tmp_path / "good.yaml").write_text((REPO / "tests" / "corpus" / "good" / "minimal.yaml").read_text())
    os.symlink("loop", tmp_path / "loop")  # a symlink loop: nothing can be read there
    os.symlink("nowhere", tmp_path / "gone")  # a dangling link
    result = cli("validate", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert f"{tmp_path / 'loop'}: RK001 cannot read this directory" in result.stdout
    assert f"{tmp_path / 'gone'}: RK001 cannot read this directory" in result.stdout
    if os.geteuid() != 0:  # root reads a chmod 000 folder; others must be told it was not checked
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0)
        try:
            assert "locked: RK001 cannot read this directory" in cli("validate", str(tmp_path)).stdout
        finally:
            locked.chmod(0o755)


def test_a_fifo_is_never_read_among_paths_or_as_answers(cli, tmp_path) -> None:
    import os

    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    result = cli("validate", str(tmp_path))  # would block for ever if it were opened for reading
    assert result.exit_code == 1 and "RK001 this is not a regular file" in result.stdout
    answers = cli("run", "neck-pain", "--patient", "P1", "--answers", str(fifo), "--db", str(tmp_path / "s.db"))
    assert answers.exit_code == 2 and "not a regular file" in answers.stderr


def test_a_folder_deeper_than_pythons_recursion_limit_is_walked(cli, tmp_path) -> None:
    import os

    here = os.getcwd()
    try:
        os.chdir(tmp_path)
        for _ in range(1100):
            os.mkdir("d")
            os.chdir("d")
        (Path.cwd() / "x.yaml").write_text("kind: protocol\n")
    finally:
        os.chdir(here)
    try:
        result = cli("validate", str(tmp_path / "d"))
        assert result.exit_code == 1 and "RK020" in result.stdout and "internal error" not in result.output
    finally:
        _remove_deep(tmp_path)


def _remove_deep(top: Path) -> None:
    """Remove the d/d/d/... chain from the bottom up (shutil.rmtree, and so pytest's cleanup, recurses)."""
    import os

    here = os.getcwd()
    try:
        os.chdir(top)
        depth = 0
        while os.path.isdir("d"):
            os.chdir("d")
            depth += 1
        for name in os.listdir("."):
            os.remove(name)
        for _ in range(depth):
            os.chdir("..")
            os.rmdir("d")
    finally:
        os.chdir(here)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("reps: !!int abc", "'abc' is not a whole number YAML can read"),
        ("reps: !!float abc", "'abc' is not a number"),
        ("reps: " + "9" * 5001, "is not a whole number YAML can read"),
        ("reps: &a 10", "YAML anchor '&a' is not allowed"),
    ],
)
def test_yaml_values_that_cannot_be_read_are_findings_with_a_position(cli, tmp_path, text, words) -> None:
    source = (REPO / "tests" / "corpus" / "good" / "minimal.yaml").read_text()
    path = tmp_path / "doc.yaml"
    path.write_text(source.replace("reps: 10", text))
    result = cli("validate", str(path))
    assert result.exit_code == 1, result.output
    assert words in result.stdout and f"{path}:" in result.stdout and ":27:" in result.stdout


def test_json_numbers_too_large_or_written_as_floats(cli, tmp_path) -> None:
    source = (REPO / "tests" / "corpus" / "good" / "minimal.json").read_text()
    assert '"reps": 10' in source
    for written, code in (("10.0", 0), ("1e1", 0), ("1e400", 1)):
        path = tmp_path / f"doc-{written}.json"
        path.write_text(source.replace('"reps": 10', f'"reps": {written}', 1))
        result = cli("validate", str(path))
        assert result.exit_code == code, (written, result.output)
    assert "RK009 1e400 is too large to be a number" in result.stdout


def test_a_score_that_is_not_a_plain_digit_is_a_usage_error(cli, tmp_path) -> None:
    db = str(tmp_path / "s.db")
    with Store(db) as store:
        store.ensure_patient("P1")
    result = cli("measure", "P1", "odi", "--score", "pain-intensity=²", "--db", db)
    assert result.exit_code == 2 and "write ITEM=N" in result.stderr


ESCAPES = "\u001b]0;pwned\a\u001b[2J"


def test_terminal_escapes_in_a_protocol_are_shown_never_sent(cli, tmp_path) -> None:
    import yaml

    data = yaml.safe_load((REPO / "tests" / "corpus" / "good" / "minimal.yaml").read_text())
    data["reviewed"] = str(data["reviewed"])
    data["title"] = f"Evil{ESCAPES} title"
    data["exercises"][0]["steps"] = [f"Step{ESCAPES}\u2028fake line"]
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(data))
    shown = cli("show", str(path))
    plan = cli("run", str(path), "--patient", "T1", "--plan", "--db", str(tmp_path / "s.db"))
    answers = tmp_path / "a.yaml"
    answers.write_text(
        yaml.safe_dump(
            {
                "screening": {"all": False},
                "pain_before": 1,
                "exercises": {"all": 1},
                "pain_after": 1,
                "new_symptom": False,
            }
        )
    )
    ran = cli("run", str(path), "--patient", "T1", "--answers", str(answers), "--db", str(tmp_path / "s.db"))
    for result in (shown, plan, ran):
        assert result.exit_code == 0, result.output
        assert "\u001b" not in result.output and "\a" not in result.output and "\u2028" not in result.output
    assert "Evil\\x1b]0;pwned\\x07\\x1b[2J title" in shown.stdout
    assert "Step\\x1b]0;pwned\\x07\\x1b[2J\\u2028fake line" in ran.stdout


#: What a pack's words may hold (as tests/plugins' hostile pack's do): a terminal title, a bell, a cleared screen, a
#: bidirectional override, the 8-bit CSI and NEXT LINE controls, a carriage return, and a newline forging a line.
PACK_ESCAPES = "\x1b]0;pwned\x07\x1b[2J\u202e\x9b2J\x85\r\nFORGED LINE"
#: Bytes a terminal acts on: ESC, BEL, CR, and in UTF-8 the RIGHT-TO-LEFT OVERRIDE, CSI and NEXT LINE.
ACTED_ON = (b"\x1b", b"\x07", b"\r", "\u202e".encode(), "\x9b".encode(), "\x85".encode())


def _hostile_documents(tmp_path: Path) -> tuple[Path, Path]:
    """A protocol (id 'hostile-text') and an exercise library (exercise 'hostile-row') whose every kind of text a
    patient or clinician reads holds PACK_ESCAPES."""
    import yaml

    data = yaml.safe_load((REPO / "tests" / "corpus" / "good" / "minimal.yaml").read_text())
    data.update(id="hostile-text", reviewed=str(data["reviewed"]), title=f"Hostile{PACK_ESCAPES} title")
    data["summary"] = f"Summary{PACK_ESCAPES}"
    data["supervision"]["statement"] = f"Statement{PACK_ESCAPES}"
    exercise = data["exercises"][0]
    exercise.update(name=f"Chin{PACK_ESCAPES} tuck", steps=[f"Step{PACK_ESCAPES}"], cues=[f"Cue{PACK_ESCAPES}"])
    phase = data["phases"][0]
    phase["name"] = f"Acute{PACK_ESCAPES}"
    phase["exercises"][0].update(note=f"Note{PACK_ESCAPES}")
    phase["exercises"][0]["dose"]["note"] = f"gently{PACK_ESCAPES}"
    data["red_flags"][0]["question"] = f"Worse{PACK_ESCAPES}?"
    data["symptom_rules"][0]["message"] = f"Too much{PACK_ESCAPES}"
    protocol = tmp_path / "hostile.yaml"
    protocol.write_text(yaml.safe_dump(data, sort_keys=False))
    library = {
        "kind": "exercise-library",
        "id": "hostile-library",
        "version": "1.0.0",
        "title": f"Library{PACK_ESCAPES}",
        "exercises": [
            {
                "id": "hostile-row",
                "name": f"Row{PACK_ESCAPES}",
                "component": "core-and-spinal-strengthening",
                "region": "thoracic",
                "steps": [f"Pull{PACK_ESCAPES}"],
                "dose": {"reps": 10, "note": f"slowly{PACK_ESCAPES}"},
            }
        ],
        "references": [{"citation": "Test corpus.", "url": "https://example.org/rehabkit-test-corpus"}],
        "reviewed": "2026-01-01",
    }
    exercises = tmp_path / "hostile-library.yaml"
    exercises.write_text(yaml.safe_dump(library, sort_keys=False))
    return protocol, exercises


def test_validate_warns_about_control_characters_in_text_at_their_line_and_column(rehabkit, tmp_path) -> None:
    protocol, exercises = _hostile_documents(tmp_path)
    result = rehabkit("validate", str(protocol), str(exercises))
    assert result.returncode == 0, result.stdout + result.stderr  # warnings: the documents are valid
    warnings = [line for line in result.stdout.splitlines() if " RK501 " in line]
    assert len(warnings) == 15, warnings  # each text: 11 of the protocol, 4 of the library
    text = protocol.read_text().splitlines()
    title = next(n for n, line in enumerate(text, 1) if line.startswith("title:"))
    assert (
        f"{protocol}:{title}:8: RK501 warning: 'title' holds \\x1b (ESCAPE) at characters 8 and 18, \\x07 (BELL) at "
        "character 17, \\u202e (RIGHT-TO-LEFT OVERRIDE) at character 22, \\x9b (CONTROL SEQUENCE INTRODUCER) at "
        "character 23, \\x85 (NEXT LINE) at character 26, \\x0d (CARRIAGE RETURN) at character 27, \\x0a (LINE "
        "FEED, a newline) at character 28: a title is one line: join the lines"
    ) in result.stdout
    step = next(n for n, line in enumerate(text, 1) if line.lstrip().startswith('- "Step'))
    assert f"{protocol}:{step}:" in result.stdout and "item 1 of 'steps' holds" in result.stdout
    assert "[$.exercises[0].name]" in result.stdout and "[$.red_flags[0].question]" in result.stdout
    assert "[$.exercises[0].steps[0]]" in result.stdout and "[$.phases[0].exercises[0].dose.note]" in result.stdout
    assert not any(raw in result.stdout.encode() for raw in ACTED_ON)


def test_a_packs_control_characters_never_reach_the_terminal_raw(rehabkit, tmp_path) -> None:
    """Every command that prints a pack's words writes its control characters out, newlines included: no escape
    sequence, bell, carriage return or bidirectional override is sent, and no line of the pack's forges one of
    rehabkit's. The raw bytes are checked, as a terminal would receive them."""
    import json

    import yaml

    protocol, exercises = _hostile_documents(tmp_path)
    env = {"HOSTILE_BEHAVIOUR": "text-escapes", "HOSTILE_PROTOCOL": str(protocol), "HOSTILE_EXERCISES": str(exercises)}
    env["COLUMNS"] = "300"  # list's titles beside the conditions, unwrapped: the written-out title is found whole
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        yaml.safe_dump(
            {"screening": {"all": False}, "pain_before": 1, "exercises": {"all": 1}, "pain_after": 1, "new_symptom": 0}
        ).replace("new_symptom: 0", "new_symptom: false")
    )
    db = str(tmp_path / "s.db")
    commands = {
        "list": ["list"],
        "show": ["show", "hostile-text"],
        "show a file": ["show", str(protocol)],
        "exercises": ["exercises"],
        "exercises ID": ["exercises", "hostile-row"],
        "rules": ["rules"],
        "rules CODE": ["rules", "HX002"],
        "plugins": ["plugins"],
        "run --plan": ["run", "hostile-text", "--patient", "T1", "--plan", "--db", db],
        "run --answers": ["run", "hostile-text", "--patient", "T1", "--answers", str(answers), "--db", db],
        "handout (Markdown)": ["handout", "hostile-text", "-o", "-"],
    }
    outputs = {}
    for name, args in commands.items():
        result = rehabkit(*args, packs=HOSTILE, env=env, raw=True)
        assert result.returncode == 0, (name, result.stderr.decode())
        outputs[name] = result.stdout + result.stderr
    # a session typed in at the prompts (standard input not a terminal: no pacing), its questions a pack's
    typed = rehabkit(
        "run",
        "hostile-text",
        "--patient",
        "T2",
        "--db",
        db,
        packs=HOSTILE,
        env=env,
        raw=True,
        input=b"n\nn\nn\n1\n1\n1\nn\n",
    )
    assert typed.returncode == 0, typed.stderr.decode()
    outputs["run at the prompts"] = typed.stdout + typed.stderr
    for name, output in outputs.items():
        assert not [raw for raw in ACTED_ON if raw in output], name
        assert not [line for line in output.split(b"\n") if line.lstrip().startswith(b"FORGED LINE")], name
    written = b"\\x1b]0;pwned\\x07\\x1b[2J\\u202e\\x9b2J\\x85\\x0d\\x0aFORGED LINE"
    for name in ("list", "show", "exercises ID", "rules", "rules CODE", "run --plan", "run --answers"):
        assert written in outputs[name], (name, outputs[name].decode())
    asked = b"Worse" + written + b"? [y/n, ? if not sure]"  # the pack's question, as asked
    assert asked in outputs["run at the prompts"]
    assert b"Hostile question" + written in outputs["run at the prompts"]  # a question a pack registers
    # a pack's error message, as a warning and as the error that ends the command
    broken = rehabkit("handout", "hostile-text", "-o", "-", "--renderer", "hostile", packs=HOSTILE, env=env, raw=True)
    assert broken.returncode == 3 and b"its renderer 'hostile' raised ValueError: the renderer broke" in broken.stderr
    assert written in broken.stderr and not [raw for raw in ACTED_ON if raw in broken.stdout + broken.stderr]
    failed = rehabkit("hostile-fails", packs=HOSTILE, env=env, raw=True)  # click's own error, from a pack's command
    assert failed.returncode == 1 and b"Error: it failed" + written in failed.stderr, failed.stderr
    assert not [raw for raw in ACTED_ON if raw in failed.stdout + failed.stderr]
    # JSON is the same data, its control characters escaped
    for args, text, expected in (
        (["show", "hostile-text", "--format", "json"], lambda data: data["protocol"]["title"], "Hostile{} title"),
        (["exercises", "hostile-row", "--format", "json"], lambda data: data["name"], "Row{}"),
    ):
        result = rehabkit(*args, packs=HOSTILE, env=env, raw=True)
        assert result.returncode == 0 and not [raw for raw in ACTED_ON if raw in result.stdout]
        assert text(json.loads(result.stdout)) == expected.format(PACK_ESCAPES)


def test_rehabkits_own_lines_stay_lines_while_a_packs_newline_is_written_out(rehabkit, tmp_path) -> None:
    """The lines rehabkit itself gives a message stay lines ('who are you?' names the command that registers one
    on a line of its own), though every line is shown one line at a time."""
    refused = rehabkit(
        "approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--db", str(tmp_path / "s.db"), as_staff=False
    )
    assert refused.returncode == 9, refused.stderr
    assert "  rehabkit staff add YOUR-STAFF-ID --role ROLE" in refused.stderr.splitlines()
    assert "\\x0a" not in refused.stderr


def test_a_file_name_cannot_forge_a_finding_line(cli, tmp_path) -> None:
    evil = tmp_path / "evil\nfake.yaml:1:1: RK000 spoofed.yaml"
    evil.write_text("kind: protocol\n")
    result = cli("validate", str(evil))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert not any(line.startswith("fake.yaml") for line in lines)
    assert "evil\\x0afake.yaml:1:1: RK000 spoofed.yaml" in result.stdout


def test_a_character_yaml_refuses_is_one_line_with_line_and_column(cli, tmp_path) -> None:
    path = tmp_path / "ctrl.yaml"
    path.write_bytes(b'kind: protocol\ntitle: "a\x01b"\n')
    result = cli("validate", str(path))
    assert result.exit_code == 1
    (line,) = [text for text in result.stdout.splitlines() if "RK005" in text]
    assert (
        line == f"{path}:2:10: RK005 YAML syntax error: the character U+0001 is not allowed in YAML: remove it, or "
        "write it as an escape inside double quotes."
    )


def test_thousands_of_findings_are_each_placed_on_their_own_line(cli, tmp_path) -> None:
    import json

    data = json.loads((REPO / "tests" / "corpus" / "good" / "minimal.json").read_text())
    data["phases"][0]["exercises"] = [{"exercise": f"nope-{i}", "dose": {"reps": 10}} for i in range(2000)]
    path = tmp_path / "many.json"
    text = json.dumps(data, indent=2)
    path.write_text(text)
    result = cli("validate", str(path))
    lines = {f"nope-{i}": text[: text.index(f'"nope-{i}"')].count("\n") + 1 for i in range(2000)}
    placed = [line for line in result.stdout.splitlines() if "RK101" in line]
    assert len(placed) == 2000
    for line in placed:
        name = line.split("names exercise '")[1].split("'")[0]
        assert line.startswith(f"{path}:{lines[name]}:"), line


def test_ctrl_c_on_a_pack_that_hangs_in_import_names_it(test_packs, tmp_path) -> None:
    import os
    import signal
    import time

    env = clean_env(HOSTILE_BEHAVIOUR="hang-in-import", PYTHONPATH=str(test_packs["hostile"]))
    process = subprocess.Popen(
        [sys.executable, "-m", "rehabkit", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )
    deadline = time.monotonic() + 60
    line = ""
    while "hostile pack hangs" not in line and time.monotonic() < deadline:
        line = process.stderr.readline()  # the pack's prints go to stderr
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted while plugin pack 'test-hostile' was being imported" in err
    assert "block it with -p no:test-hostile" in err and "Traceback" not in err
    assert os.environ.get("HOSTILE_BEHAVIOUR") is None


def test_a_full_disk_during_a_session_is_a_clear_error_and_the_session_is_marked_incomplete(cli, tmp_path) -> None:
    """A file-size limit (RLIMIT_FSIZE, honoured for root too) stands in for a full disk mid-session."""
    import resource
    import signal

    import yaml

    db = str(tmp_path / "s.db")
    assert (
        cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", db).exit_code == 0
    )
    answers = tmp_path / "a.yaml"
    answers.write_text(
        yaml.safe_dump(
            {
                "screening": {"all": False},
                "pain_before": 2,
                "exercises": {"all": 1},
                "pain_after": 2,
                "new_symptom": False,
            }
        )
    )

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rehabkit",
            "run",
            "neck-pain",
            "--patient",
            "P1",
            "--answers",
            str(answers),
            "--db",
            db,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=clean_env(),
        preexec_fn=full_disk,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "the session store could not be written or read" in result.stderr and "Traceback" not in result.stderr
    assert cli("run", "neck-pain", "--patient", "P1", "--answers", str(answers), "--db", db).exit_code == 0
    with Store(db) as store:
        statuses = [s.status for s in store.sessions("P1")]
    assert statuses in (["incomplete", "complete"], ["complete"])  # a started session is never left in progress
