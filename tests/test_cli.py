"""The rehabkit command: help, exit codes, validate, list, show, schema, start-up weight."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rehabkit._documents.loader import load_file
from rehabkit._documents.validation import iter_document_files
from rehabkit.cli import COMMANDS

from conftest import CORPUS, PROTOCOLS, REPO, clean_env


def test_help_lists_commands_and_exit_codes(cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.stdout
    assert "3    rehabkit or a plugin pack failed" in result.stdout


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from rehabkit.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('jsonschema', 'jsonschema_rs', 'yaml', 'pluggy', 'attrs', 'rehabkit_neck',"
        " 'importlib.metadata', 'starlette', 'uvicorn', 'rehabkit._web.app') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env())
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr


def test_validating_one_json_file_imports_only_what_it_needs(tmp_path) -> None:
    """One JSON protocol is checked without YAML, the pure-Python schema validator, the store, the pack-document
    cache's hashing and pickling or the session code (packs are loaded: their lint rules run) (start-up is most of
    its time). Of the engine, only the outcome measures' scoring is read (the criteria's scales come from the
    installed measures)."""
    document = tmp_path / "one.json"
    document.write_text(json.dumps(yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text()), default=str))
    code = (
        "import sys\n"
        "from rehabkit.cli import main\n"
        f"try:\n    main(['validate', {str(document)!r}])\nexcept SystemExit as exc:\n    print('EXIT', exc.code)\n"
        "unneeded = [m for m in ('yaml', 'jsonschema', 'sqlite3', 'hashlib', 'pickle', "
        "'rehabkit._sessions.runner', 'jinja2') if m in sys.modules]\n"
        "unneeded += [m for m in sys.modules if m.startswith('rehabkit.engine.') and m != 'rehabkit.engine.outcomes']\n"
        "print('UNNEEDED', unneeded)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env())
    assert "EXIT 0" in result.stdout and "UNNEEDED []" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("how", ["script", "module"])
def test_the_command_ends_with_its_exit_code_and_all_of_its_output(how, tmp_path) -> None:
    """The console script and python -m (rehabkit.__main__.run: the garbage collector paused during start-up,
    a quick shutdown) keep the exit code and write every byte, to a file as to a pipe."""
    from importlib import metadata

    script = next(ep for ep in metadata.entry_points(group="console_scripts") if ep.name == "rehabkit")
    assert script.value == "rehabkit.__main__:run"
    command = (
        [str(Path(sys.executable).with_name("rehabkit"))] if how == "script" else [sys.executable, "-m", "rehabkit"]
    )
    args = [*command, "validate", "--format", "json", str(CORPUS / "bad"), str(CORPUS / "good")]
    piped = subprocess.run(args, capture_output=True, text=True, env=clean_env())
    with open(tmp_path / "out.json", "w") as handle:
        to_file = subprocess.run(args, stdout=handle, stderr=subprocess.PIPE, text=True, env=clean_env())
    assert piped.returncode == to_file.returncode == 1, piped.stderr
    report = json.loads(piped.stdout)
    assert report == json.loads((tmp_path / "out.json").read_text())
    expected = [p for d in ("bad", "good") for p in iter_document_files(CORPUS / d)]
    assert [f["path"] for f in report["files"]] == expected and report["summary"]["files"] == len(expected) > 20


def test_the_command_runs_its_own_work_with_the_garbage_collector_on(tmp_path) -> None:
    """In the command's own process the collector is paused only until the packs are loaded (what start-up made
    is then frozen); under CliRunner, in someone else's process, it is never touched."""
    code = (
        "import atexit, gc, sys\n"
        "from rehabkit.__main__ import run\n"
        "print('AT IMPORT', gc.isenabled())\n"
        "atexit.register(lambda: print('AT EXIT', gc.isenabled(), gc.get_freeze_count() > 10000))\n"
        "sys.argv = ['rehabkit', *sys.argv[1:]]\n"
        "run()\n"
    )
    good = CORPUS / "good" / "minimal.yaml"
    result = subprocess.run(
        [sys.executable, "-c", code, "validate", str(good)], capture_output=True, text=True, env=clean_env()
    )
    assert result.returncode == 0, result.stderr
    assert "AT IMPORT False" in result.stdout and "AT EXIT True True" in result.stdout, result.stdout
    import gc

    from click.testing import CliRunner

    from rehabkit.cli import main

    frozen = gc.get_freeze_count()
    assert CliRunner().invoke(main, ["validate", str(good)]).exit_code == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rehabkit", "--version"], capture_output=True, text=True, env=clean_env()
    )
    assert result.returncode == 0
    assert result.stdout.startswith("rehabkit, version ")


def test_validate_shipped_protocols_is_clean(cli, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    result = cli("validate", "protocols/")
    assert result.exit_code == 0, result.stdout
    count = len(list(PROTOCOLS.rglob("*.yaml")))
    assert f"{count} files checked: all valid." in result.stderr


@pytest.mark.parametrize(
    "args", [("validate",), ("validate", "no/such/file.yaml"), ("validate", "--format", "xml", "protocols")]
)
def test_usage_errors_exit_2(cli, args, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    result = cli(*args)
    assert result.exit_code == 2


def test_directory_is_searched_recursively_and_hidden_entries_skipped(cli, tmp_path) -> None:
    good = (CORPUS / "good" / "minimal.yaml").read_text()
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.yml").write_text(good)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "broken.yaml").write_text("a: [")
    (tmp_path / "notes.txt").write_text("not a protocol")
    result = cli("validate", str(tmp_path))
    assert result.exit_code == 0, result.stdout
    assert "1 file checked: all valid." in result.stderr


def test_parallel_batch_reports_exactly_what_a_serial_run_does(cli, tmp_path) -> None:
    good = (CORPUS / "good" / "minimal.yaml").read_text()
    for i in range(120):
        text = good.replace("corpus-minimal", f"corpus-{i}")
        if i % 7 == 0:
            text = text.replace("hold_seconds: 5", "hold_seconds: -1")
        (tmp_path / f"p{i:03}.yaml").write_text(text)
    serial = cli("validate", "--jobs", "1", str(tmp_path))
    parallel = cli("validate", "--jobs", "2", str(tmp_path))
    assert serial.exit_code == parallel.exit_code == 1
    assert parallel.stdout == serial.stdout
    assert len(serial.stdout.splitlines()) == len(range(0, 120, 7))


def test_list_shows_installed_protocols_with_their_packs(cli) -> None:
    result = cli("list", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["ID", "VERSION", "PACK", "TITLE", "CONDITIONS"]
    ids = [row.split()[0] for row in rows]
    shipped = sorted(
        yaml.safe_load(p.read_text())["id"] for p in PROTOCOLS.rglob("*.yaml") if p.parent.name != "exercises"
    )
    assert ids == shipped
    assert len(ids) == 10
    rows_json = json.loads(cli("list", "--format", "json").stdout)
    neck = next(r for r in rows_json if r["id"] == "neck-pain")
    assert neck["pack"] == "neck" and neck["conditions"] == ["neck-pain"]


def test_show_prints_phases_in_order_with_doses_and_safety(cli) -> None:
    result = cli("show", "low-back-pain-acute")
    assert result.exit_code == 0
    out = result.stdout
    document = yaml.safe_load((PROTOCOLS / "low-back" / "low-back-pain-acute.yaml").read_text())
    assert document["supervision"]["statement"].split()[0] in out.split("\n", 2)[2]
    positions = [out.index(f"({phase['id']})") for phase in document["phases"]]
    assert positions == sorted(positions)
    assert (
        "Table-supported stretch [table-supported-lumbar-stretch]: 1 set x 1 rep, hold 8-10 s, 3-5 times a day,"
        " pain limit 3/10" in out
    )
    for section in ("Red flags", "Precautions", "Pain and symptom rules", "Daily advice", "References"):
        assert f"\n{section}" in out
    assert "Start when:" in out and "Move on when:" in out
    assert "doi:10.2519/jospt.2021.0304" in out


def test_show_post_surgical_states_surgeon_clearance(cli) -> None:
    out = cli("show", "post-surgical-lumbar").stdout
    assert "! Start only with your surgeon's clearance." in out
    assert "weeks-since-surgery >= 6" in out


def test_show_prints_a_draft_file_in_full_with_what_it_still_lacks(cli, tmp_path) -> None:
    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    phase = data["phases"][0]
    for field in ("entry", "exit", "review_after_weeks"):
        del phase[field]
    phase["exercises"].append({"exercise": "made-up-exercise"})
    path = tmp_path / "draft.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = cli("show", str(path))
    assert result.exit_code == 0 and "RK101" in result.stderr
    shown = result.stdout.split("Phase 1: Acute (acute)\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert shown[:3] == [
        "  Focus: pain-and-spasm-control",
        "  Exercises:",
        "    * Chin tuck [chin-tuck]: 10 reps, hold 5 s",
    ]
    assert shown[-1] == "    * made-up-exercise (not installed) [made-up-exercise]: no dose given"


def test_show_json_is_the_document(cli) -> None:
    result = cli("show", "neck-pain@2.1.0", "--format", "json")
    shown = json.loads(result.stdout)
    assert shown["pack"] == "neck"
    assert shown["protocol"] == load_file(str(PROTOCOLS / "neck" / "neck-pain.yaml")).data


def test_show_unknown_protocol(cli) -> None:
    result = cli("show", "neck-pian")
    assert result.exit_code == 1
    assert (
        "no installed protocol 'neck-pian'. Installed: desk-posture, disc-conservative, low-back-pain-acute, "
        "low-back-pain-chronic, neck-arm-pain, neck-pain, post-surgical-lumbar, recurrent-back-pain, spinal-stiffness, "
        "upper-back-posture."
    ) in result.stderr


def test_schema_command_prints_and_writes(cli, tmp_path) -> None:
    printed = cli("schema").stdout
    assert printed == (REPO / "schemas" / "protocol.schema.json").read_text()
    target = tmp_path / "protocol.schema.json"
    assert cli("schema", "-o", str(target)).exit_code == 0
    assert target.read_text() == printed
    result = cli("schema", "-o", str(tmp_path / "missing" / "x.json"))
    assert result.exit_code == 2
    assert "cannot write" in result.stderr


def test_exercises_lists_ids_movements_and_stages_and_shows_one(cli) -> None:
    listed = cli("exercises", "--movement", "hang")
    assert listed.exit_code == 0
    ids = [line.split()[0] for line in listed.stdout.splitlines()[1:]]
    assert ids == ["bar-hang", "half-hang-thoracic-stretch", "wall-bar-hang-facing"]
    one = cli("exercises", "bar-hang", "--format", "json")
    data = json.loads(one.stdout)
    assert (data["id"], data["earliest_stage"], data["pack"]) == ("bar-hang", "maintenance", "exercises")
    assert "hang" in data["movements"] and data["dose"]["hold_seconds"]["step"] >= 1
    missing = cli("exercises", "glute-brige")
    assert missing.exit_code == 1 and "Did you mean 'glute-bridge'?" in missing.stderr


@pytest.mark.parametrize("columns", ["80", "60", "200"])
def test_list_fits_the_terminal_and_json_keeps_every_field_whole(cli, columns) -> None:
    import json as _json

    result = cli("list", env={"COLUMNS": columns})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= int(columns)
    rows = _json.loads(cli("list", "--format", "json").stdout)
    words = " ".join(result.stdout.split())
    for row in rows:
        assert row["id"] in words and " ".join(row["title"].split()) in words  # nothing cut: wrapped, not truncated
        assert all(condition in words for condition in row["conditions"])
