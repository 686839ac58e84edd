"""The public surface: rehabkit's root names resolve, are documented, stay light, and type-check in a pack."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import pytest

import rehabkit

from conftest import REPO, clean_env

API_PAGE = (REPO / "docs" / "api.md").read_text()


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert rehabkit.__all__ == sorted(rehabkit.__all__)
    assert set(rehabkit.__all__) == {
        "HOOK_API_VERSION",
        "__version__",
        *rehabkit._PUBLIC,
    }  # the literal list is complete
    for name in rehabkit.__all__:
        assert getattr(rehabkit, name) is not None, name
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        rehabkit.nothing  # noqa: B018


def test_the_type_checkers_imports_are_the_table_one_import_per_module() -> None:
    """The root names each public name once, in its table (``_PUBLIC``: name -> module); the imports type checkers
    read mirror it, one per module, so that a name added to one and not the other fails here."""
    import ast

    tree = ast.parse(inspect.getsource(rehabkit))
    (block,) = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    modules = [node.module for node in block.body if isinstance(node, ast.ImportFrom) and node.level == 1]
    assert len(modules) == len(block.body) and len(set(modules)) == len(modules)  # nothing else, and each once
    imported = {
        alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    assert imported == rehabkit._PUBLIC


@pytest.mark.parametrize("name", rehabkit.__all__)
def test_every_public_name_is_documented_on_the_api_page(name: str) -> None:
    assert f"| `{name}` |" in API_PAGE


@pytest.mark.parametrize(
    "name",
    [n for n in rehabkit.__all__ if inspect.isclass(getattr(rehabkit, n)) or inspect.isfunction(getattr(rehabkit, n))],
)
def test_every_public_class_and_function_has_a_docstring(name: str) -> None:
    assert inspect.getdoc(getattr(rehabkit, name)), name


def test_importing_rehabkit_loads_neither_pluggy_nor_attrs() -> None:
    code = "import sys, rehabkit; print('pluggy' in sys.modules, 'attrs' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(), check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_py_typed_ships_with_the_package() -> None:
    assert (REPO / "src" / "rehabkit" / "py.typed").exists()


def test_a_pack_using_only_public_names_type_checks_strictly(tmp_path) -> None:
    pack = tmp_path / "mypack.py"
    pack.write_text(
        textwrap.dedent('''
        """A pack written from docs/api.md alone."""
        from __future__ import annotations

        from collections.abc import Iterator

        import click

        from rehabkit import (CommandState, Decision, Facts, LintContext, LintRule, Range, RegisterCommand,
                              RegisterLintRule, SessionPlan, SessionResult, Severity, Violation, hookimpl)

        REHABKIT_HOOK_API = 1


        def _short_titles(context: LintContext) -> Iterator[Violation]:
            if context.protocol is not None and len(context.protocol.title) < 5:
                yield Violation("the title is too short.", ("title",))


        @hookimpl
        def rehabkit_register_lint_rules(register: RegisterLintRule) -> None:
            register(LintRule(code="MY001", severity=Severity.WARNING, summary="short title", check=_short_titles))


        @click.command("count")
        @click.pass_obj
        def count(state: CommandState) -> None:
            click.echo(str(len(state.registry().protocols)))


        @hookimpl
        def rehabkit_register_commands(register: RegisterCommand) -> None:
            register(count)


        @hookimpl
        def rehabkit_progression_decision(plan: SessionPlan, result: SessionResult, facts: Facts) -> Decision | None:
            if plan.protocol.id != "my-protocol":
                return None
            reps: Range | None = plan.items[0].dose.reps if plan.items and plan.items[0].dose else None
            return Decision(action="hold", reasons=(f"clinic policy ({reps})",))
    ''')
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(pack)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_first_party_and_example_packs_import_only_public_names() -> None:
    import re

    private = []
    for path in sorted((REPO / "plugins").glob("*/src/*/*.py")) + sorted(
        (REPO / "src" / "rehabkit" / "_authoring" / "scaffold").glob("*.tmpl")
    ):
        for module in re.findall(r"^\s*from (rehabkit[\w.]*) import", path.read_text(), re.MULTILINE):
            if module not in (
                "rehabkit",
                "rehabkit.hookspecs",
                "rehabkit.model",
                "rehabkit.engine",
                "rehabkit.testing",
            ):
                private.append(f"{path.relative_to(REPO)}: {module}")
    assert private == []


def test_loading_packs_does_not_import_the_command_line() -> None:
    code = (
        "import sys; from rehabkit._plugins.manager import PluginManager; m = PluginManager(); m.load(); "
        "m.registry(); print('rehabkit.cli' in sys.modules, 'click' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(), check=True
    ).stdout
    assert out.split()[0] == "False"


def test_the_command_example_in_plugins_md_runs_and_handles_an_unknown_id(tmp_path, monkeypatch) -> None:
    import importlib
    import re

    from click.testing import CliRunner

    from rehabkit.cli import AppState

    page = (REPO / "docs" / "plugins.md").read_text()
    section = page[page.index("### A command") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    (tmp_path / "doc_command.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("doc_command")
    for key in [k for k in __import__("os").environ if k.startswith("REHABKIT_")]:
        monkeypatch.delenv(key)
    unknown = CliRunner().invoke(module.dose_table, ["neck-pian"], obj=AppState((), None))
    assert unknown.exit_code == 1 and "no installed protocol 'neck-pian'" in unknown.output
    known = CliRunner().invoke(module.dose_table, ["neck-pain"], obj=AppState((), None))
    assert known.exit_code == 0 and "Settle pain and keep the neck moving" in known.output


def test_make_wheels_builds_rehabkit_and_every_first_party_pack(tmp_path) -> None:
    import re
    import zipfile

    makefile = (REPO / "Makefile").read_text()
    packs = re.search(r"^PACKS = (.+)$", makefile, re.MULTILINE).group(1).split()
    line = next(text for text in makefile.splitlines() if "pip wheel" in text)
    assert all(p in line or "$(PACKS)" in line for p in packs)
    projects = [str(REPO), *(str(REPO / p) for p in packs)]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            *projects,
        ],
        check=True,
        cwd=tmp_path,
        env=clean_env(),
    )
    wheels = sorted(p.name.split("-")[0] for p in tmp_path.glob("*.whl"))
    assert wheels == sorted(
        ["rehabkit", "rehabkit_exercises", "rehabkit_neck", "rehabkit_low_back", "rehabkit_post_surgery"]
    )
    neck = next(tmp_path.glob("rehabkit_neck-*.whl"))
    assert any(name.endswith("neck-pain.yaml") for name in zipfile.ZipFile(neck).namelist())  # the protocols travel
    core = zipfile.ZipFile(next(tmp_path.glob("rehabkit-*.whl"))).namelist()
    for page in ("base.html", "exercise.html", "style.css"):  # rehabkit serve's pages travel too
        assert f"rehabkit/_web/templates/{page}" in core
    workflow = (REPO / ".github" / "workflows" / "release.yml").read_text()
    assert "make wheels" in workflow and "dist/*.whl" in workflow


def test_old_module_paths_keep_working_for_packs_written_for_0_1(recwarn) -> None:
    code = (
        "import warnings; warnings.simplefilter('always'); "
        "from rehabkit.lint import LintRule, Violation; from rehabkit.errors import Severity; "
        "from rehabkit.outcomes import OutcomeMeasure; import rehabkit; "
        "print(LintRule is rehabkit.LintRule, Severity is rehabkit.Severity, OutcomeMeasure is rehabkit.OutcomeMeasure)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(), check=True)
    assert result.stdout.split() == ["True", "True", "True"]
    assert "rehabkit.lint moved to a private module; import its public names from 'rehabkit'" in result.stderr


def test_the_package_root_holds_only_the_public_modules() -> None:
    root = REPO / "src" / "rehabkit"
    public = sorted(p.stem for p in root.glob("*.py"))
    assert public == ["__init__", "__main__", "hookspecs", "model", "pytest_plugin", "testing"]
    packages = sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert packages == [
        "_authoring",
        "_common",
        "_documents",
        "_outputs",
        "_plugins",
        "_sessions",
        "_web",
        "cli",
        "default_plugins",
        "engine",
    ]
