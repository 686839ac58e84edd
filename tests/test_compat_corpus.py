"""The compatibility corpus (issue 30): each pack of tests/compat, as written for an earlier rehabkit, installed for
real, passes its own tests unchanged and carries a course through the real commands. A change that breaks one fails
here and must say so in CHANGELOG.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO, clean_env, sign_in

COMPAT = REPO / "tests" / "compat"
V01 = COMPAT / "rehabkit-compat-v01"
PROTOCOL = V01 / "rehabkit_compat_v01" / "protocols" / "cervical-postop.yaml"
CALM = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 2}, "pain_after": 2, "new_symptom": False}


@pytest.fixture(scope="module")
def v01(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 0.1 pack installed with pip into its own folder (put it on PYTHONPATH to load it)."""
    target = tmp_path_factory.mktemp("compat") / "v01"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--no-build-isolation", "--no-index", "--target", str(target), str(V01)],
        check=True, cwd=target.parent,
    )  # fmt: skip
    return target


def _env(v01: Path, **extra: str) -> dict[str, str]:
    env = clean_env(**extra)
    env["PYTHONPATH"] = os.pathsep.join([str(v01), env.get("PYTHONPATH", "")]).strip(os.pathsep)
    return env


def _rehabkit(v01: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[Any]:
    return subprocess.run(
        [sys.executable, "-m", "rehabkit", *args], capture_output=True, text=True, env=_env(v01, **extra), timeout=120
    )


def test_the_01_packs_own_tests_pass_unchanged(v01, tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "default::DeprecationWarning",
         "--rootdir", str(V01), "-c", str(V01 / "pyproject.toml"), str(V01 / "tests")],
        capture_output=True, text=True, env=_env(v01), cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
    assert "DeprecationWarning" in result.stdout  # what the author will have to change is said, not hidden


def test_the_01_protocol_validates_with_deprecation_warnings_only(v01) -> None:
    result = _rehabkit(v01, "validate", str(PROTOCOL), "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    findings = json.loads(result.stdout)["files"][0]["findings"]
    assert {f["severity"] for f in findings} == {"warning"}
    assert {f["code"] for f in findings} >= {"RK205", "RK301", "RK302"}


def test_a_course_through_the_01_pack(v01, tmp_path) -> None:
    db = str(tmp_path / "clinic.db")
    sign_in(db)  # 'rehabkit staff add'
    env = {"REHABKIT_DB": db}
    baseline = _rehabkit(v01, "measure", "M-1", "arm-pain-nrs", "--score", "arm-pain=6", "--date", "2026-11-01", **env)
    assert baseline.returncode == 0, baseline.stderr
    answers = tmp_path / "calm.yaml"
    answers.write_text(yaml.safe_dump(CALM))
    for day in ("2026-11-02", "2026-11-03"):
        ran = _rehabkit(
            v01, "run", "compat-cervical-postop", "--patient", "M-1", "--answers", str(answers), "--date", day, **env
        )
        assert ran.returncode == 0, ran.stdout + ran.stderr
    history = json.loads(_rehabkit(v01, "history", "M-1", "--format", "json", **env).stdout)
    assert [s["date"] for s in history["sessions"]] == ["2026-11-02", "2026-11-03"]
    assert history["latest_measures"] == {"arm-pain-nrs": 6.0}
    from rehabkit._sessions.store import Store

    with Store(db) as store:
        asked = {key for kind, key, _ in store.answers(store.sessions("M-1")[0].id) if kind == "screening"}
    # the pack's question, and the shared one for the neck's sign the 0.1 protocol does not cover
    assert {"compat-new-medicine", "shared-spinal-cord-compression"} <= asked


def test_ci_runs_the_compatibility_corpus() -> None:
    """CI (.ci/run) is 'make test', whose pytest runs the suite's testpaths with nothing left out: this module, and
    with it every pack of tests/compat, is in it; each corpus pack is one this module installs and runs."""
    import fnmatch
    import tomllib

    import conftest

    assert (REPO / ".ci" / "run").read_text().rstrip().endswith("\nmake test")
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "\n\t$(TEST_VENV)/bin/python -m pytest\n" in recipe + "\n", recipe  # no -k, --ignore or path narrowing
    settings = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert settings["testpaths"] == ["tests"] and "-k" not in settings["addopts"].split()
    here = Path(__file__).relative_to(REPO / "tests").as_posix()
    assert not any(fnmatch.fnmatch(here, glob) for glob in conftest.collect_ignore_glob)
    packs = sorted(p.name for p in COMPAT.iterdir() if p.is_dir() and p.name.startswith("rehabkit-compat-"))
    assert packs == [V01.name], f"a corpus pack this module does not run: {packs}"
