"""A hostile or edited FHIR file gets findings from 'rehabkit import', never "internal error" (issue 29, finding 9).

The fuzzing campaign found 200,000 nested brackets (RecursionError), a Bundle whose 'entry' is not a list of
objects (AttributeError), single-value type changes to a real export (StopIteration, AttributeError) and messages
such as "TypeError(...) is missing", and no size limit. FHIR input now has the limits protocol files have (size,
nesting), and every problem is one finding naming its FHIRPath, exit 1.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_courses import Course

from rehabkit.cli.fhir_cmds import FHIR_LIMITS_BYTES

#: Values of another type, put in place of one value of a real export.
OTHER_TYPES: list[Any] = [None, True, 0, -1, 1.5, "x", "", [], {}, ["x"], {"x": 1}, 10**400]


def _course_export(cli, tmp_path: Path) -> dict[str, Any]:
    """A real course Bundle: 'rehabkit export --patient ... --fhir r5' after two sessions."""
    course = Course(cli, tmp_path, "neck-pain", patient="P-0042")
    course.approve("acute", 0)
    for n in range(2):
        result, _ = course.run(n, pain_before=3, pain_after=2)
        assert result.exit_code == 0, result.output
    exported = course.do("export", "--patient", "P-0042", "--fhir", "r5", n=2)
    assert exported.exit_code == 0, exported.output
    bundle: dict[str, Any] = json.loads(exported.stdout)
    return bundle


def _places(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _places(value, (*path, index))


def _changed(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    changed = copy.deepcopy(data)
    parent = changed
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return changed


def _import(cli, path: Path, data: Any) -> Any:
    path.write_text(json.dumps(data), encoding="utf-8")
    return cli("import", "--fhir", str(path), "-o", str(path.with_suffix(".yaml")))


def test_single_type_changes_to_a_real_export_are_findings_never_a_crash(cli, tmp_path) -> None:
    """Hypothesis over every place of a real course Bundle (its PlanDefinition included) and a value of another
    type, through the real command: exit 0 (a change import does not read) or 1 with findings, never 3."""
    bundle = _course_export(cli, tmp_path)
    places = [path for path in _places(bundle) if path[:1] == ("entry",)]
    target = tmp_path / "changed.json"

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.sampled_from(places), st.sampled_from(OTHER_TYPES))
    def one_change(path: tuple[Any, ...], value: Any) -> None:
        result = _import(cli, target, _changed(bundle, path, value))
        assert result.exit_code in (0, 1), result.output
        assert "internal error" not in result.output and "Traceback" not in result.output
        if result.exit_code == 1:
            assert all(line.startswith("rehabkit: ") for line in result.stderr.splitlines()), result.stderr

    one_change()


def test_every_problem_is_named_with_its_fhirpath_each_on_its_own_line(cli, tmp_path) -> None:
    bundle = _course_export(cli, tmp_path)
    index = next(i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == "PlanDefinition")
    plan = bundle["entry"][index]["resource"]
    phase = next(i for i, a in enumerate(plan["action"]) if a["id"] == "acute")
    changed = _changed(bundle, ("entry", index, "resource", "title"), 7)
    changed = _changed(changed, ("entry", index, "resource", "action", phase, "condition"), "none")
    del changed["entry"][index]["resource"]["version"]
    result = _import(cli, tmp_path / "edited.json", changed)
    assert result.exit_code == 1 and result.stdout == ""
    where = f"Bundle.entry[{index}].resource"
    lines = result.stderr.splitlines()
    assert (
        f"rehabkit: error: {tmp_path / 'edited.json'}: {where}.title is a number, not a text as rehabkit writes it."
        in lines
    )
    assert any(f"{where}.version is missing: rehabkit writes a text here." in line for line in lines)
    assert any(f"{where}.action[{phase}].condition is a text, not a list of objects" in line for line in lines)
    assert "(3 problems, each named above with its FHIRPath)" in lines[-1], result.stderr
    assert "Nothing was imported." in lines[-1]
    assert "is missing)" not in result.stderr and "Error(" not in result.stderr


def test_the_campaigns_bundles_are_findings(cli, tmp_path) -> None:
    not_a_list = _import(cli, tmp_path / "a.json", {"resourceType": "Bundle", "entry": "notalist"})
    assert not_a_list.exit_code == 1
    assert "Bundle.entry is a text, not a list of objects as rehabkit writes it." in not_a_list.stderr
    not_objects = _import(cli, tmp_path / "b.json", {"resourceType": "Bundle", "entry": ["x"]})
    assert not_objects.exit_code == 1
    assert "Bundle.entry[0] is a text, not an object as rehabkit writes it." in not_objects.stderr


def test_200000_nested_brackets_are_refused_at_the_nesting_limit(cli, tmp_path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000, encoding="utf-8")
    result = cli("import", "--fhir", str(path))
    assert result.exit_code == 1, result.output
    assert f"{path}:1:33: RK008 nesting is deeper than 32 levels: FHIR exports are much shallower" in result.stderr


def test_a_file_over_the_size_limit_is_refused_without_being_read_whole(cli, tmp_path) -> None:
    """A sparse file of 1 GiB: read whole, it would take a gigabyte of memory; the limit stops reading past it."""
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.write(b'{"resourceType": "Bundle", "entry": [')
        os.truncate(handle.fileno(), 1 << 30)
    result = cli("import", "--fhir", str(path))
    assert result.exit_code == 1, result.output
    assert f"RK002 the file is larger than {FHIR_LIMITS_BYTES:,} bytes" in result.stderr
    assert "check that it is a FHIR export. Nothing was imported." in result.stderr


def test_a_bundle_of_a_hundred_thousand_wrong_entries_names_the_first_hundred(cli, tmp_path) -> None:
    result = _import(cli, tmp_path / "many.json", {"resourceType": "Bundle", "entry": [7] * 100_000})
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 101 and lines[99].endswith(
        "Bundle.entry[99] is a number, not an object as rehabkit writes it."
    )
    assert "(100000 problems, the first 100 named above with their FHIRPaths)" in lines[-1]
