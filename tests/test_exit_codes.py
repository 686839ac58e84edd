"""Exit codes are defined once (rehabkit._common.exit_codes): --help, the README and docs/run.md say exactly the same."""

from __future__ import annotations

import re

import pytest

from rehabkit._common.exit_codes import EXIT_CODE_MEANINGS, RUN_EXIT_CODES, ExitCode

from conftest import REPO


def _table(text: str) -> dict[int, str]:
    start = text.index("<!-- exit-codes:")
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", text[start:], re.MULTILINE)
    block = []
    for code, meaning in rows:
        if block and int(code) <= block[-1][0]:
            break
        block.append((int(code), meaning))
    return dict(block)


@pytest.mark.parametrize("document", ["README.md", "docs/run.md"])
def test_documents_list_every_exit_code_with_its_meaning(document: str) -> None:
    assert _table((REPO / document).read_text()) == {int(code): meaning for code, meaning in EXIT_CODE_MEANINGS.items()}


def test_run_help_lists_every_exit_code(cli) -> None:
    text = " ".join(cli("run", "--help").stdout.split())
    for code in RUN_EXIT_CODES:
        assert f"{int(code)} {EXIT_CODE_MEANINGS[code]}" in text


@pytest.mark.parametrize("command", ["validate", "list", "history", "approve", "review", "measure"])
def test_every_command_help_lists_the_general_codes(cli, command: str) -> None:
    text = " ".join(cli(command, "--help").stdout.split())
    for code in (ExitCode.OK, ExitCode.FINDINGS, ExitCode.USAGE, ExitCode.FAILURE):
        assert f"{int(code)} {EXIT_CODE_MEANINGS[code]}" in text


def test_the_readme_finding_codes_are_the_ones_rules_explains(cli) -> None:
    from rehabkit._documents.finding_codes import FINDING_CODES

    text = (REPO / "README.md").read_text()
    table = dict(re.findall(r"^\| (RK0\d\d) \| (.+?) \|$", text[text.index("### Finding codes"):], re.MULTILINE))
    assert table == {code: summary for code, (summary, _) in FINDING_CODES.items()}
    explained = cli("rules", "RK006")
    assert explained.exit_code == 0 and "a key appears twice in one mapping" in explained.stdout


def test_every_rehabkit_exception_is_a_rehabkit_error_and_a_builtin() -> None:
    import inspect

    from rehabkit._authoring.scaffold import ScaffoldError
    from rehabkit._common.errors import RehabkitError
    from rehabkit._sessions import outcomes, runner, store
    from rehabkit.testing import PackTestError

    errors = [ScaffoldError, PackTestError, outcomes.ScoringError, store.StoreError,
              *(cls for _, cls in inspect.getmembers(runner, inspect.isclass) if issubclass(cls, Exception) and cls.__module__ == runner.__name__)]
    for error in errors:
        assert issubclass(error, RehabkitError), error
        assert len(error.__mro__) > 3 or error.__name__ == "SessionInterrupted", error  # and the built-in it specialises


def test_no_bare_exit_code_literals_in_the_command_line() -> None:
    offenders = []
    for path in sorted((REPO / "src" / "rehabkit").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"(SystemExit|ctx\.exit|sys\.exit)\((\d+)\)", line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []
