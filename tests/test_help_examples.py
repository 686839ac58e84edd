"""Every example in every command's --help, and the README's command block, runs as written.

The examples run in a clinic's working folder (the shipped protocols beside
it, an answers file, a draft protocol) against a store where the example
patients exist. Commands about protocols, rules and files must succeed;
commands about a patient may meet the course's state (a gate, a pause), but an
example is never a usage error, a failure or a traceback.
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml

from rehabkit._plugins.command_table import COMMANDS

from conftest import CORPUS, REPO

#: Commands whose examples depend on a patient's course: their state may refuse them (exit 1, 4-7), 130 at a prompt.
PATIENT_COMMANDS = {"approve", "review", "run", "next-day", "measure", "history", "calendar", "report", "handout"}
STATE_CODES = {0, 1, 4, 5, 6, 7, 130}
#: The usage errors that come from the course's state, not from the command line.
_STATE_REFUSALS = (
    "is before the latest entry of this course",
    "is not earlier than the patient's phase",
    "a next-morning report is for the morning after a session",
)
#: What click says when a command line itself is wrong.
_MALFORMED = (
    "No such option",
    "Missing argument",
    "Missing option",
    "unexpected extra argument",
    "is not one of",
    "is not a valid",
    "requires an argument",
)


def _help_examples() -> list[str]:
    examples = []
    from rehabkit.cli import main

    for doc in [main.help or "", *(_command(name).help or "" for name in sorted(COMMANDS))]:
        if "Examples:" in doc:
            for line in doc.split("Examples:", 1)[1].splitlines():
                line = line.strip()
                if line.startswith("rehabkit ") and "..." not in line:
                    examples.append(line)
    return examples


def _readme_examples() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## The command", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.startswith("rehabkit ")]


def _command(name: str):
    module, attr = COMMANDS[name][0].split(":")
    return getattr(importlib.import_module(module), attr)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory, test_packs):
    """A working folder with protocols/, an answers file and a draft protocol, and a store of the example patients."""
    from click.testing import CliRunner

    from rehabkit.cli import main

    folder = tmp_path_factory.mktemp("clinic")
    (folder / "protocols").symlink_to(REPO / "protocols")
    (folder / "today.yaml").write_text(
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
    draft = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    draft["reviewed"] = str(draft["reviewed"])
    for name in ("my-protocol.yaml", "draft.yaml"):
        (folder / name).write_text(yaml.safe_dump(draft))
    env = {"REHABKIT_DB": str(folder / "store.sqlite3")}
    runner = CliRunner()
    for args in (
        ["staff", "add", "CLIN-7", "--role", "physiotherapist", "--role", "clinician", "--role", "surgeon"],
        ["approve", "P-0042", "--protocol", "neck-pain", "--phase", "acute", "--date", "2026-11-01"],
        # 'patient erase' erases its example patient, whom no other example names.
        ["approve", "P-0099", "--protocol", "neck-pain", "--phase", "acute", "--date", "2026-11-01"],
        ["run", "neck-pain", "--patient", "P-0042", "--answers", str(folder / "today.yaml"), "--date", "2026-11-19"],
        ["staff", "add", "P-0042", "--role", "patient"],  # 'rehabkit invite P-0042' makes their sign-in link
        [
            "approve",
            "P-7",
            "--protocol",
            "low-back-pain-acute",
            "--phase",
            "acute",
            "--date",
            "2026-11-01",
        ],
        [
            "approve",
            "P-9",
            "--protocol",
            "post-surgical-lumbar",
            "--phase",
            "acute",
            "--kind",
            "surgeon-clearance",
            "--surgery-date",
            "2026-10-01",
            "--date",
            "2026-11-01",
        ],
    ):
        result = runner.invoke(main, args, env=env)
        assert result.exit_code == 0, result.output
    return folder, env


@pytest.mark.parametrize("example", sorted(set(_help_examples() + _readme_examples())))
def test_every_example_runs_as_written(clinic, monkeypatch, example) -> None:
    from click.testing import CliRunner

    from rehabkit.cli import main

    folder, env = clinic
    monkeypatch.chdir(folder)
    args = shlex.split(example)[1:]
    if any(a.endswith(".pdf") for a in args):
        pytest.importorskip("weasyprint", reason="a .pdf example needs the pdf extra (pip install 'rehabkit[pdf]')")
    if args and args[0] == "new-plugin":
        monkeypatch.chdir(Path(folder / "..").resolve())  # writes a pack folder: keep it out of the clinic
    result = CliRunner().invoke(main, args, env=env, input="")
    output = result.output
    assert "internal error" not in output and "Traceback" not in output, output
    assert "No such option" not in output and "No such command" not in output, output
    command = args[0] if args else ""
    if command in PATIENT_COMMANDS and (command != "handout" or "--patient" in args):
        # The shared store's state may refuse it, even as a usage error, but only for these reasons of state (a date
        # before the last session, a phase that is not earlier, ...): never because the example itself is malformed.
        assert result.exit_code in STATE_CODES or (
            result.exit_code == 2 and any(s in output for s in _STATE_REFUSALS)
        ), (example, output)
        assert not any(words in output for words in _MALFORMED), (example, output)
    else:
        assert result.exit_code == 0, (example, output)


def test_the_examples_cover_every_command() -> None:
    named = {shlex.split(e)[1] for e in _help_examples() + _readme_examples() if len(shlex.split(e)) > 1}
    missing = sorted(set(COMMANDS) - named)
    assert not missing, f"commands without an example in their --help or the README: {missing}"
    assert not [e for e in _help_examples() if re.search(r"rehabkit \S+ .*\.\.\.$", e)]
