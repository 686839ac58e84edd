"""A clinic's repository validates its protocols on commit through rehabkit's pre-commit hook.

The hook repository is a git copy of this working tree; pre-commit builds the
hook's own environment from it with pip, exactly as it would from GitHub.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import CORPUS, REPO, clean_env

_HOOK_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "src", "schemas")


def _git(cwd: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    # A commit runs the installed hook, which builds its environment in PRE_COMMIT_HOME: keep it in the test's folder.
    env = clean_env(
        GIT_AUTHOR_NAME="Clinic",
        GIT_AUTHOR_EMAIL="clinic@example.org",
        GIT_COMMITTER_NAME="Clinic",
        GIT_COMMITTER_EMAIL="clinic@example.org",
        PRE_COMMIT_HOME=str(home or cwd / ".no-pre-commit-home"),
        HOME=str(cwd.parent / "user-home"),
    )
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """rehabkit's hook repository as a git repo at one commit: (path, commit)."""
    root = tmp_path_factory.mktemp("hook") / "rehabkit"
    root.mkdir()
    for name in _HOOK_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / name)
    assert _git(root, "init", "-q").returncode == 0
    _git(root, "add", "-A")
    assert _git(root, "commit", "-q", "-m", "rehabkit").returncode == 0
    return root, _git(root, "rev-parse", "HEAD").stdout.strip()


def _pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(
        PRE_COMMIT_HOME=str(home),
        GIT_AUTHOR_NAME="Clinic",
        GIT_AUTHOR_EMAIL="clinic@example.org",
        GIT_COMMITTER_NAME="Clinic",
        GIT_COMMITTER_EMAIL="clinic@example.org",
    )
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=900
    )


def test_hook_definitions_are_valid_and_run_validate() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["rehabkit-validate", "rehabkit-validate-all"]
    for hook in hooks:
        assert hook["entry"].startswith("rehabkit validate")
        assert hook["language"] == "python"


def test_clinic_repository_validates_protocols_on_commit(hook_repo: tuple[Path, str], tmp_path: Path) -> None:
    source, commit = hook_repo
    clinic = tmp_path / "clinic"
    (clinic / "protocols").mkdir(parents=True)
    assert _git(clinic, "init", "-q").returncode == 0
    (clinic / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": str(source), "rev": commit, "hooks": [{"id": "rehabkit-validate"}]}]})
    )
    (clinic / "notes.yaml").write_text("not: a protocol\n")  # outside protocols/: the hook leaves it alone
    good = (CORPUS / "good" / "minimal.yaml").read_text().replace("corpus-minimal", "clinic-neck")
    (clinic / "protocols" / "clinic-neck.yaml").write_text(good)
    home = tmp_path / "pre-commit-home"

    installed = _pre_commit(clinic, home, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr

    _git(clinic, "add", "-A")
    first = _git(clinic, "commit", "-m", "Add our neck protocol", home=home)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "rehabkit validate" in first.stdout + first.stderr
    assert "Passed" in first.stdout + first.stderr

    bad = (
        good.replace("corpus-minimal", "clinic-bad")
        .replace("reps: 10", "reps: 0")
        .replace("id: clinic-neck", "id: clinic-bad")
    )
    (clinic / "protocols" / "clinic-bad.yaml").write_text(bad)
    _git(clinic, "add", "-A")
    refused = _git(clinic, "commit", "-m", "Add a broken protocol", home=home)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "Failed" in output
    assert "protocols/clinic-bad.yaml:27:17: RK201 'chin-tuck' in phase 'acute': 0 repetitions is no dose" in output
    assert "clinic-bad" not in _git(clinic, "log", "--stat").stdout  # the commit was refused

    (clinic / "protocols" / "clinic-bad.yaml").write_text(bad.replace("reps: 0", "reps: 8"))
    _git(clinic, "add", "-A")
    fixed = _git(clinic, "commit", "-m", "Add a fixed protocol", home=home)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    # The hook's environment was built in the test's folder, not in the user's ~/.cache/pre-commit.
    assert any(home.iterdir()) and not (tmp_path / "user-home" / ".cache" / "pre-commit").exists()
