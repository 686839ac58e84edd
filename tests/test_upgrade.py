"""`rehabkit upgrade` (issue 30): a protocol written for 0.1 becomes current, keeping its comments and key order,
says what it could not mend, validates with no deprecation warning left, and a second run changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import REPO

OLD = REPO / "tests" / "compat" / "rehabkit-compat-v01" / "rehabkit_compat_v01" / "protocols" / "cervical-postop.yaml"


def _copy(tmp_path: Path) -> Path:
    path = tmp_path / "cervical-postop.yaml"
    shutil.copyfile(OLD, path)
    return path


def test_upgrade_makes_a_01_protocol_current_and_keeps_its_comments_and_order(cli, tmp_path) -> None:
    path = _copy(tmp_path)
    result = cli("upgrade", str(path))
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.startswith("# Written for rehabkit 0.1: no 'format'")
    assert "reps: {min: 6, max: 10}   # 0.1 had no 'step'" in text
    keys = [line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha()]
    assert keys[:4] == ["kind", "format", "id", "version"]
    assert "review_after_weeks: 3" in text and "shared-spinal-cord-compression" not in text  # taken, not copied
    assert "shared_red_flags:\n  minimum_set_from: rehabkit-red-flags\n" in text
    assert "'shared-spinal-cord-compression' for 'spinal-cord-compression'" in result.stdout
    shown = cli("show", str(path))
    assert "- shared-spinal-cord-compression: " in shown.stdout, shown.output
    assert "not mended: phase 'early', exercise 'compat-chin-nod': the range of reps has no 'step'" in result.stderr
    checked = cli("validate", str(path), "--format", "json")
    assert checked.exit_code == 0, checked.output
    codes = {f["code"] for f in json.loads(checked.stdout)["files"][0]["findings"]}
    assert codes == {"RK205"}  # the step is the author's decision; no deprecation is left


def test_upgrade_is_idempotent(cli, tmp_path) -> None:
    path = _copy(tmp_path)
    assert cli("upgrade", str(path)).exit_code == 0
    once = path.read_bytes()
    again = cli("upgrade", str(path))
    assert again.exit_code == 0 and "upgraded" not in again.stdout
    assert path.read_bytes() == once
    assert cli("upgrade", "--check", str(path)).exit_code == 0


def test_check_and_diff_write_nothing(cli, tmp_path) -> None:
    path = _copy(tmp_path)
    check = cli("upgrade", "--check", str(tmp_path))
    assert check.exit_code == 1 and "not current" in check.stdout
    diff = cli("upgrade", "--diff", str(path))
    assert diff.exit_code == 0
    assert "+format: 2\n" in diff.stdout and "-    above: 3     # its own limit, as 0.1 allowed\n" in diff.stdout
    assert path.read_bytes() == OLD.read_bytes()


def test_current_documents_are_left_alone(cli, tmp_path) -> None:
    shipped = tmp_path / "neck-pain.yaml"
    shutil.copyfile(REPO / "protocols" / "neck" / "neck-pain.yaml", shipped)
    result = cli("upgrade", "--check", str(shipped))
    assert result.exit_code == 0 and result.stdout == ""


def test_unreadable_yaml_is_named_without_a_traceback(cli, tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: protocol\nid: [unclosed\n")
    result = cli("upgrade", str(bad))
    assert result.exit_code == 1 and f"{bad}: not readable as YAML" in result.stderr
    assert "Traceback" not in result.output


def _json_copy(tmp_path: Path) -> Path:
    import yaml

    data = yaml.safe_load(OLD.read_text())
    data["reviewed"] = str(data["reviewed"])
    path = tmp_path / "cervical-postop.json"
    path.write_text(json.dumps(data, indent=4) + "\n")
    return path


def test_upgrade_makes_a_01_json_protocol_current_keeping_its_key_order(cli, tmp_path) -> None:
    from rehabkit._common.exit_codes import ExitCode

    path = _json_copy(tmp_path)
    before = json.loads(path.read_text())
    check = cli("upgrade", "--check", str(tmp_path))  # a folder's .json documents are found too
    assert check.exit_code == ExitCode.FINDINGS and f"{path}: not current" in check.stdout
    result = cli("upgrade", str(path))
    assert result.exit_code == 0, result.output
    text = path.read_text()
    after = json.loads(text)
    kept = [key for key in after if key != "shared_red_flags"]  # added after red_flags (below)
    assert kept == [*list(before)[:1], "format", *list(before)[1:]] and after["format"] == 2
    assert text.startswith('{\n    "kind": "protocol",\n    "format": 2,\n')  # the indentation it had
    rules = [r for r in after["symptom_rules"] if r["measure"] == "no-improvement-weeks"]
    assert rules and all("above" not in r for r in rules)
    assert list(after["symptom_rules"][0]) == list(before["symptom_rules"][0])
    assert after["shared_red_flags"] == {"minimum_set_from": "rehabkit-red-flags"}
    assert list(after)[list(after).index("red_flags") + 1] == "shared_red_flags"
    checked = cli("validate", str(path), "--format", "json")
    assert checked.exit_code == 0, checked.output
    assert {f["code"] for f in json.loads(checked.stdout)["files"][0]["findings"]} == {"RK205"}
    once = path.read_bytes()
    again = cli("upgrade", str(path))
    assert again.exit_code == 0 and "upgraded" not in again.stdout and path.read_bytes() == once
    assert cli("upgrade", "--check", str(path)).exit_code == ExitCode.OK


def test_unreadable_json_is_named_without_a_traceback(cli, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "protocol",\n "id": }\n')
    twice = tmp_path / "twice.json"
    twice.write_text('{"kind": "protocol", "kind": "protocol"}\n')
    result = cli("upgrade", str(bad), str(twice))
    assert result.exit_code == 1, result.output
    assert f"{bad}: not readable as JSON: Expecting value (line 2, column 8)" in result.stderr
    assert f"{twice}: not readable as JSON: the key 'kind' is given twice" in result.stderr
    assert "Traceback" not in result.output


def test_a_tab_indented_json_protocol_keeps_its_tabs(cli, tmp_path) -> None:
    path = _json_copy(tmp_path)
    path.write_text(json.dumps(json.loads(path.read_text()), indent="\t") + "\n")
    assert cli("upgrade", str(path)).exit_code == 0
    text = path.read_text()
    assert text.startswith('{\n\t"kind": "protocol",\n\t"format": 2,\n') and json.loads(text)["format"] == 2


def test_a_format_that_is_not_a_number_and_a_file_that_is_not_utf8_are_named_without_a_traceback(cli, tmp_path) -> None:
    path = _json_copy(tmp_path)
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "format": None}, indent=2))
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"kind": "protocol", "title": "Nacken\u00fcbungen"}'.encode("latin-1"))
    result = cli("upgrade", str(path), str(latin))
    assert result.exit_code == 1, result.output  # the file it could not read
    assert "'format' is None, not a whole number: left as it is" in result.stderr
    assert f"{latin}: not UTF-8 text" in result.stderr and "Traceback" not in result.output
    assert json.loads(path.read_text())["format"] is None  # nothing written
