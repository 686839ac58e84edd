"""The bad-input corpus: every broken file gets its exact message and position, never a traceback."""

from __future__ import annotations

import json

import pytest

from conftest import CORPUS, REPO

EXPECTED: dict[str, str] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_every_corpus_entry_has_an_expected_message() -> None:
    assert sorted(p.name for p in (CORPUS / "bad").iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gets_its_exact_message(cli, name: str) -> None:
    path = f"tests/corpus/bad/{name}"
    result = cli("validate", path)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [path + EXPECTED[name]]
    assert "Traceback" not in result.output


def test_whole_corpus_through_the_real_command(rehabkit) -> None:
    result = rehabkit("validate", *[f"tests/corpus/bad/{name}" for name in sorted(EXPECTED)])
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    for name, message in EXPECTED.items():
        assert f"tests/corpus/bad/{name}{message}" in lines
    assert f"{len(EXPECTED)} files checked: {len(EXPECTED)} invalid" in result.stderr


@pytest.mark.parametrize("name", ["minimal.yaml", "minimal.json"])
def test_good_corpus_files_are_valid(cli, name: str) -> None:
    result = cli("validate", f"tests/corpus/good/{name}")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "1 file checked: all valid." in result.stderr


def test_json_format_gives_position_and_json_path(cli) -> None:
    result = cli("validate", "--format", "json", "tests/corpus/bad/wrong-type.yaml", "tests/corpus/good/minimal.yaml")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["summary"] == {"files": 2, "invalid": 1, "findings": 1, "warnings": 0, "not_linted": 1}
    bad, good = report["files"]
    assert good == {"path": "tests/corpus/good/minimal.yaml", "valid": True, "linted": True, "findings": []}
    assert bad["linted"] is False
    (finding,) = bad["findings"]
    assert (finding["line"], finding["column"], finding["code"]) == (24, 25, "RK020")
    assert finding["json_path"] == "$.phases[0].exercises[0].dose.hold_seconds"


def test_file_over_the_size_limit(cli, tmp_path) -> None:
    big = tmp_path / "big.json"
    big.write_text('{"kind": "protocol", "notes": "' + "x" * 1_100_000 + '"}', encoding="utf-8")
    result = cli("validate", str(big))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{big}: RK002 the file is larger than 1,048,576 bytes")


def test_extreme_flow_nesting_is_refused_not_crashed(rehabkit, tmp_path) -> None:
    # libyaml's composer recurses in C: 100,000 open brackets used to crash the interpreter.
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 100_000, encoding="utf-8")
    result = rehabkit("validate", str(deep))
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(f"{deep}:1:35: RK008 nesting is deeper than 32 levels")


def test_extreme_json_nesting_is_refused(cli, tmp_path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 50_000 + "]" * 50_000, encoding="utf-8")
    result = cli("validate", str(deep))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{deep}:1:33: RK008")


def test_unreadable_suffix_in_explicit_path(cli, tmp_path) -> None:
    text = tmp_path / "protocol.txt"
    text.write_text("kind: protocol\n", encoding="utf-8")
    result = cli("validate", str(text))
    assert result.exit_code == 1
    assert "RK001 unknown file type '.txt': protocol documents end in .json, .yaml or .yml." in result.stdout


def test_flow_nesting_after_quoted_brackets_is_placed_at_the_bracket_past_the_limit(rehabkit, tmp_path) -> None:
    # Whatever PyYAML version is installed (6.0.4 refuses deep flow nesting itself, while scanning ahead), the
    # finding is rehabkit's RK008 at the bracket that crosses its limit, counting the block levels around it and
    # not the brackets inside quoted text.
    deep = tmp_path / "deep.yaml"
    deep.write_text('a:\n  b: ["x[[[", {c: [' + "[" * 5_000 + "\n", encoding="utf-8")
    result = rehabkit("validate", str(deep))
    assert result.returncode == 1, result.stderr
    # a, b, [, {, [ are five levels; 28 more brackets make 33: the 28th is at column 19 + 28.
    assert result.stdout.startswith(f"{deep}:2:47: RK008 nesting is deeper than 32 levels")
