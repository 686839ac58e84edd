"""rehabkit's pytest plugin as a pack author meets it: what its fixtures report when a pack is broken.

Each case is a real pytest run in a subprocess, with the fixtures coming from
rehabkit's ``pytest11`` entry point and the packs installed for real.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import clean_env

CASES = {
    # module name: (pack under test, test body)
    "test_misspelt.py": ("test-misspelt", "def test_loads(rehabkit_pack):\n    rehabkit_pack.assert_loaded()\n"),
    "test_missing.py": ("no-such-pack", "def test_loads(rehabkit_pack):\n    pass\n"),
    "test_lint.py": ("test-conflict", "def test_clean(rehabkit_pack):\n    rehabkit_pack.assert_protocols_clean()\n"),
    "test_good.py": (
        "example-clinic",
        "import pytest\n\n"
        "@pytest.mark.rehabkit_with('exercises', 'neck')\n"
        "def test_good(rehabkit_pack, rehabkit_packs):\n"
        "    rehabkit_pack.assert_loaded()\n"
        "    assert rehabkit_pack.packs == ('example-clinic', 'exercises', 'neck')\n"
        "    assert rehabkit_packs('low-back').packs == ('example-clinic', 'exercises', 'neck', 'low-back')\n"
        "    assert rehabkit_pack.contributed('protocols') == {}\n",
    ),
}


def _project(tmp_path: Path, ini: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\n{ini}")
    tests = tmp_path / "tests"
    tests.mkdir()
    for name, (pack, body) in CASES.items():
        fixture = f"import pytest\n\n@pytest.fixture\ndef rehabkit_pack_name():\n    return {pack!r}\n\n"
        (tests / name).write_text(fixture + body)
    return tests


def _pytest(tmp_path: Path, test_packs: dict[str, Path], *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(str(test_packs[name]) for name in ("misspelt", "conflict", "example-clinic"))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={**clean_env(**env), "PYTHONPATH": path},
    )


def test_each_broken_pack_fails_its_test_with_the_reason_and_a_good_pack_passes(tmp_path, test_packs) -> None:
    _project(tmp_path)
    result = _pytest(tmp_path, test_packs)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "2 failed, 1 passed, 1 error" in out  # a missing pack is an error in the fixture, not the test
    assert "implements rehabkit_register_protocol, which is not a rehabkit hook" in out
    assert "pack(s) 'no-such-pack' not installed in this environment" in out
    assert "pip install -e ." in out
    # The lint failure lists each finding as file:line:col: CODE message.
    assert "pack 'test-conflict': protocols with findings:" in out
    assert "<pack test-conflict>:" in out and "RK" in out
    assert "Traceback" not in out


def test_strict_environment_fails_at_the_fixture(tmp_path, test_packs) -> None:
    _project(tmp_path)
    result = _pytest(tmp_path, test_packs, "tests/test_misspelt.py", REHABKIT_STRICT_PLUGINS="1")
    assert result.returncode == 1
    assert "did not load cleanly (REHABKIT_STRICT_PLUGINS is set)" in result.stdout


def test_a_project_that_names_no_pack_is_told_where_to_name_it(tmp_path, test_packs) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (tests / "test_x.py").write_text("def test_x(rehabkit_pack):\n    pass\n")
    result = _pytest(tmp_path, test_packs)
    assert result.returncode == 1
    assert (
        "no rehabkit pack under test: set 'rehabkit_pack = \"NAME\"' under [tool.pytest.ini_options]" in result.stdout
    )
    passed = _pytest(tmp_path, test_packs, "--rehabkit-pack", "example-clinic")
    assert passed.returncode == 0, passed.stdout
