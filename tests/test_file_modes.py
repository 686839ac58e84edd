"""Health data stays private on disk: what rehabkit creates is readable by its owner only (files 0600, folders
0700), and writing over a file never leaves it wider open (issue 25, privacy)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conftest import CORPUS


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _ordinary_umask():
    """The umask most accounts have (022): files would be world-readable unless rehabkit makes them private."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_store_its_journal_its_locks_and_a_new_folder_are_private(cli, tmp_path) -> None:
    db = tmp_path / "clinic" / "records" / "s.db"
    answers = CORPUS.parent.parent / "examples" / "answers-calm-session.yaml"
    assert (
        cli("approve", "P1", "--protocol", "neck-pain", "--phase", "acute", "--by", "PT-1", "--db", str(db)).exit_code
        == 0
    )
    result = cli("run", "neck-pain", "--patient", "P1", "--db", str(db), "--answers", str(answers))
    assert result.exit_code == 0, result.output
    made = [p for p in db.parent.iterdir() if p.name.startswith("s.db")]
    assert {p.name for p in made} >= {"s.db", "s.db-locks"}
    for path in made:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert _mode(db.parent) == 0o700  # the folder rehabkit made for the store


def test_outputs_are_private_and_writing_over_one_never_widens_it(cli, tmp_path) -> None:
    new = tmp_path / "neck.html"
    assert cli("handout", "neck-pain", "-o", str(new)).exit_code == 0
    assert _mode(new) == 0o600
    shared = tmp_path / "old.md"
    shared.write_text("an older handout")
    shared.chmod(0o644)
    assert cli("handout", "neck-pain", "-o", str(shared)).exit_code == 0
    assert _mode(shared) == 0o600 and "an older handout" not in shared.read_text()
