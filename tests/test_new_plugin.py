"""``rehabkit new-plugin``: a generated pack installs with pip, passes its own tests and shows up in rehabkit."""

from __future__ import annotations

import json
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


def test_the_generated_sample_takes_the_shared_red_flags_and_is_an_example_run_refuses(tmp_path: Path) -> None:
    """Where a clinic's policy pack raises the red-flag minimum set (the example clinic adds immunosuppression), the
    generated sample still validates clean: it takes rehabkit's shared red-flag set. It is marked 'status: example':
    'run --plan' shows it, 'run' refuses to record a session in it; once its author removes the mark, a session runs
    and asks the shared questions, immunosuppression once (the clinic's own question)."""
    import shutil

    import yaml

    from conftest import EXAMPLE_PACK

    assert _run(Path(sys.executable), "-m", "rehabkit", "new-plugin", "myclinic", cwd=tmp_path).returncode == 0
    python = _layered_env(tmp_path / "env")
    for source in ("./myclinic", str(EXAMPLE_PACK)):
        installed = _run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                         "--disable-pip-version-check", source, cwd=tmp_path)  # fmt: skip
        assert installed.returncode == 0, installed.stderr
    sample = tmp_path / "myclinic" / "src" / "rehabkit_myclinic" / "protocols" / "myclinic-sample.yaml"
    assert yaml.safe_load(sample.read_text())["shared_red_flags"] == {"minimum_set_from": "rehabkit-red-flags"}
    validated = _run(python, "-m", "rehabkit", "validate", "--strict", str(sample), cwd=tmp_path)
    assert validated.returncode == 0, validated.stdout  # no RK301 for immunosuppression, no warning at all
    shown = " ".join(_run(python, "-m", "rehabkit", "show", "myclinic-sample", cwd=tmp_path).stdout.split())
    assert "- shared-night-or-rest-pain: " in shown and "- shared-no-improvement: " in shown

    def rehabkit(*args: str) -> subprocess.CompletedProcess[str]:
        return _run(python, "-m", "rehabkit", *args, cwd=tmp_path)

    assert rehabkit("staff", "add", "PT-1", "--role", "physiotherapist", "--name", "A", "--db", "s.db").returncode == 0
    answers = tmp_path / "calm.yaml"
    answers.write_text(yaml.safe_dump({"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 1},
                                       "pain_after": 2, "new_symptom": False}))  # fmt: skip
    planned = rehabkit("run", "myclinic-sample", "--patient", "P-1", "--plan")  # planned, not refused: its gate
    assert planned.returncode == 7 and "still needed: your clinician's approval" in planned.stderr, planned.stderr
    refused = rehabkit("run", "myclinic-sample", "--patient", "P-1", "--db", "s.db", "--answers", str(answers))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "myclinic-sample@1.0.0 is an example ('status: example'), not a protocol for patients" in refused.stderr
    approve = rehabkit("approve", "P-1", "--protocol", "myclinic-sample", "--phase", "settle", "--db", "s.db")
    assert approve.returncode == 1 and "is an example" in approve.stderr, approve.stderr
    assert rehabkit("history", "P-1", "--db", "s.db", "--format", "json").returncode == 1  # nothing recorded

    mine = tmp_path / "mine.yaml"  # the author's own: the mark removed, a version of its own
    data = yaml.safe_load(sample.read_text())
    del data["status"]
    data.update(version="1.0.1", reviewed=str(data["reviewed"]))
    mine.write_text(yaml.safe_dump(data, sort_keys=False))
    approved = rehabkit("approve", "P-1", "--protocol", str(mine), "--phase", "settle", "--db", "s.db")
    assert approved.returncode == 0 and "Recorded the clinician's approval" in approved.stdout, approved.stderr
    ran = rehabkit("run", str(mine), "--patient", "P-1", "--db", "s.db", "--answers", str(answers))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    history = json.loads(rehabkit("history", "P-1", "--db", "s.db", "--format", "json").stdout)
    assert [s["decision"] for s in history["sessions"]] == ["continue"]
    from rehabkit._sessions.store import Store

    with Store(str(tmp_path / "s.db")) as store:
        (session,) = store.sessions("P-1")
        asked = [key for kind, key, _ in store.answers(session.id) if kind == "screening"]
    assert asked[:3] == ["numbness-weakness", "spreading-pain", "hand-clumsiness"]
    assert {"shared-night-or-rest-pain", "shared-no-improvement", "immune-or-steroid-treatment"} <= set(asked)
    assert "shared-immunosuppression" not in asked and len(asked) == len(set(asked))
    shutil.rmtree(tmp_path / "env")


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
