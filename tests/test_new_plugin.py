"""``rehabkit new-plugin``: a generated pack installs with pip, passes its own tests and shows up in rehabkit."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from rehabkit._authoring.scaffold import ScaffoldError, pack_names

from conftest import clean_env


def _layered_env(root: Path) -> Path:
    """A virtual environment that sees this test environment's packages (rehabkit, pytest, hatchling).

    The generated pack is installed into it with pip, for real, without touching the
    test environment itself; returns its python.
    """
    venv.EnvBuilder(with_pip=False).create(root)
    python = root / "bin" / "python"
    purelib = subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
    ).strip()
    # addsitedir, not a plain path line, so that the test environment's own .pth files (the
    # editable rehabkit) are processed too.
    Path(purelib, "_test_environment.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n"
    )
    return python


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), *args], capture_output=True, text=True, cwd=cwd, env=clean_env(), timeout=300)


def test_a_generated_pack_installs_passes_its_tests_and_shows_in_plugins_and_list(tmp_path: Path) -> None:
    created = _run(Path(sys.executable), "-m", "rehabkit", "new-plugin", "myclinic", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    pack = tmp_path / "myclinic"
    for name in (
        "pyproject.toml",
        "README.md",
        "src/rehabkit_myclinic/__init__.py",
        "src/rehabkit_myclinic/protocols/myclinic-sample.yaml",
        "tests/test_rehabkit_myclinic.py",
    ):
        assert (pack / name).is_file(), name
        assert name.rsplit("/", 1)[-1] in created.stdout
    assert 'pip install -e "./myclinic[test]"' in created.stdout

    python = _layered_env(tmp_path / "env")
    installed = _run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--disable-pip-version-check",
        "./myclinic",
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stderr

    tests = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "myclinic", cwd=tmp_path)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "6 passed" in tests.stdout

    plugins = _run(python, "-m", "rehabkit", "--strict", "plugins", cwd=tmp_path)
    assert plugins.returncode == 0, plugins.stderr
    assert "myclinic (rehabkit-myclinic 0.1.0): loaded" in plugins.stdout
    assert "  protocols: myclinic-sample@1.0.0" in plugins.stdout
    assert "  lint rules: MYC001" in plugins.stdout

    listed = _run(python, "-m", "rehabkit", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "myclinic-sample" in listed.stdout and "myclinic" in listed.stdout.split("myclinic-sample", 1)[1]

    validated = _run(python, "-m", "rehabkit", "validate", "myclinic/src/rehabkit_myclinic/protocols", cwd=tmp_path)
    assert validated.returncode == 0, validated.stdout
    assert "1 file checked: all valid." in validated.stderr


def test_an_existing_folder_is_refused_and_left_alone(cli, tmp_path: Path) -> None:
    (tmp_path / "myclinic").mkdir()
    (tmp_path / "myclinic" / "notes.txt").write_text("keep me")
    result = cli("new-plugin", "myclinic", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert "already exists; new-plugin never overwrites" in result.stderr
    assert [p.name for p in (tmp_path / "myclinic").iterdir()] == ["notes.txt"]
    assert (tmp_path / "myclinic" / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("name", ["My_Clinic", "1clinic", "clinic--x", "clinic-", "x", "core", "rehabkit", "a1-2-3"])
def test_unusable_names_are_refused_with_what_to_use(cli, tmp_path: Path, name: str) -> None:
    result = cli("new-plugin", name, "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert f"{name!r}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_installed_packs_name_is_refused(cli, tmp_path: Path) -> None:
    result = cli("new-plugin", "neck", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert "a pack named 'neck' is already installed" in result.stderr


def test_names_derive_from_the_one_given() -> None:
    names = pack_names("rehabkit-north-clinic")
    assert (names.folder, names.pack, names.distribution, names.module) == (
        "rehabkit-north-clinic",
        "north-clinic",
        "rehabkit-north-clinic",
        "rehabkit_north_clinic",
    )
    assert names.code_prefix == "NOR"
    # RK is rehabkit's own code prefix; a pack's codes never start with it.
    assert pack_names("rkclinic").code_prefix == "XRK"
    with pytest.raises(ScaffoldError, match="two letters"):
        pack_names("a1-2-3")


def test_new_plugin_help_says_what_it_creates(cli) -> None:
    result = cli("new-plugin", "--help")
    assert result.exit_code == 0
    assert "pyproject.toml with the entry point" in result.output
    assert "never overwrites" in result.output
