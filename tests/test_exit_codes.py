"""Exit codes are defined once (rehabkit._common.exit_codes): --help, the README and docs/run.md say exactly the
same."""

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


def test_the_top_level_help_has_the_one_complete_table(cli) -> None:
    text = " ".join(cli("--help").stdout.split())
    for code in ExitCode:
        assert f"{int(code)} {EXIT_CODE_MEANINGS[code]}" in text


GENERAL = {0, 1, 2, 3}


@pytest.mark.parametrize(
    ("command", "codes"),
    [
        ("validate", GENERAL),
        ("list", GENERAL),
        ("show", GENERAL),
        ("history", GENERAL | {10}),
        ("approve", GENERAL | {8, 9, 10}),
        ("review", GENERAL | {8, 9, 10}),
        ("report", GENERAL | {10}),
        ("measure", GENERAL | {8, 9, 10, 130}),
        ("next-day", GENERAL | {4, 5, 8, 9, 10}),
        ("handout", GENERAL | {6, 7, 10}),
        ("calendar", GENERAL | {6, 7, 10}),
        ("export", GENERAL | {10}),
        ("run", {int(c) for c in RUN_EXIT_CODES}),
    ],
)
def test_each_command_names_only_the_codes_it_can_return(cli, command: str, codes: set[int]) -> None:
    from rehabkit._common.exit_codes import EXIT_CODE_NAMES

    text = " ".join(cli(command, "--help").stdout.split())
    line = text[text.index("Exit codes: ") :]
    named = {int(n) for n in re.findall(r"(\d+) [a-z]", line.split("(")[0])}
    assert named == codes
    for code in codes:
        assert f"{code} {EXIT_CODE_NAMES[ExitCode(code)]}" in line
    assert EXIT_CODE_MEANINGS[ExitCode.FAILURE] not in text  # the table itself is in one place: rehabkit --help


def test_the_readme_finding_codes_are_the_ones_rules_explains(cli) -> None:
    from rehabkit._documents.finding_codes import FINDING_CODES

    text = (REPO / "README.md").read_text()
    table = dict(re.findall(r"^\| (RK0\d\d) \| (.+?) \|$", text[text.index("### Finding codes") :], re.MULTILINE))
    assert table == {code: summary for code, (summary, _) in FINDING_CODES.items()}
    explained = cli("rules", "RK006")
    assert explained.exit_code == 0 and "a key appears twice in one mapping" in explained.stdout


def test_every_rehabkit_exception_is_a_rehabkit_error_and_a_builtin() -> None:
    import inspect

    from rehabkit._authoring.scaffold import ScaffoldError
    from rehabkit._common.errors import RehabkitError
    from rehabkit._sessions import outcomes, runner, store
    from rehabkit.testing import PackTestError

    errors = [
        ScaffoldError,
        PackTestError,
        outcomes.ScoringError,
        store.StoreError,
        *(
            cls
            for _, cls in inspect.getmembers(runner, inspect.isclass)
            if issubclass(cls, Exception) and cls.__module__ == runner.__name__
        ),
    ]
    for error in errors:
        assert issubclass(error, RehabkitError), error
        assert len(error.__mro__) > 3 or error.__name__ == "SessionInterrupted", (
            error
        )  # and the built-in it specialises


def test_no_bare_exit_code_literals_in_the_command_line() -> None:
    offenders = []
    for path in sorted((REPO / "src" / "rehabkit").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"(SystemExit|ctx\.exit|sys\.exit)\((\d+)\)", line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []
