"""The loader: fast parsing that still refuses what it must, with positions."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rehabkit._common.errors import DocumentError
from rehabkit._documents.loader import Limits, load_text
from rehabkit._documents.positions import locate_json, locate_yaml

keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=8)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=20),
)
documents = st.dictionaries(
    keys,
    st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=20
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(documents)
def test_json_and_yaml_round_trip_plain_data(data: dict) -> None:
    assert load_text(json.dumps(data), fmt="json").data == data
    assert load_text(yaml.safe_dump(data), fmt="yaml").data == data


def _leaf_paths(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaf_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaf_paths(v, (*path, i))
    else:
        yield path


@settings(max_examples=100, deadline=None)
@given(documents)
def test_located_positions_point_at_the_value(data: dict) -> None:
    text = json.dumps(data, indent=1)
    lines = text.splitlines()
    for path in _leaf_paths(data):
        line, column = locate_json(text, path)
        value = data
        for part in path:
            value = value[part]
        assert lines[line - 1][column - 1 :].startswith(json.dumps(value)[:5])


def test_yaml_positions_for_keys_and_values() -> None:
    text = "a:\n  b:\n    - 1\n    - {c: 2}\n"
    assert locate_yaml(text, ["a", "b", 1, "c"]) == (4, 11)
    assert locate_yaml(text, ["a", "b", 1, "c"], key=True) == (4, 8)
    assert locate_yaml(text, ["a", "missing"]) == (2, 3)


@pytest.mark.parametrize(
    ("fmt", "text", "code", "line", "column"),
    [
        ("yaml", "a: 1\nb:\n  c: 2\n  c: 3\n", "RK006", 4, 3),
        ("json", '{"a": {"b": 1,\n "b": 2}}', "RK006", 2, 2),
        ("json", '{"a": [{"x": 1}, {"x": 1, "y": 2, "x": 3}]}', "RK006", 1, 35),
        ("yaml", "a: &x [1]\nb: *x\n", "RK007", 1, 4),  # the anchor, before its alias
        ("yaml", "a: &x\n  b: 1\n", "RK007", 1, 4),  # an anchor on a mapping, even with no alias
        ("yaml", "a: 1\nb: *x\n", "RK007", 2, 4),  # an alias, even to nothing
        ("yaml", "base: {x: 1}\nother:\n  <<: {y: 2}\n", "RK007", 3, 3),
        ("yaml", "1: a\n", "RK009", 1, 1),
        ("yaml", "a: .inf\n", "RK009", 1, 4),
        ("yaml", "a: !!set {x}\n", "RK009", 1, 4),
        ("json", '{"a": -Infinity}', "RK009", 1, 7),
        ("yaml", "a: [1,\n", "RK005", 2, 1),
    ],
)
def test_refusals_name_code_and_position(fmt, text, code, line, column) -> None:
    with pytest.raises(DocumentError) as info:
        load_text(text, fmt=fmt, path="doc")
    assert (info.value.code, info.value.line, info.value.column) == (code, line, column)
    assert isinstance(info.value, ValueError)


def test_dates_stay_text_as_in_json() -> None:
    assert load_text("reviewed: 2026-01-01\n").data == {"reviewed": "2026-01-01"}


def test_byte_order_mark_is_accepted() -> None:
    assert load_text("\ufeffa: 1\n".encode("utf-8")).data == {"a": 1}


def test_limits_are_configurable() -> None:
    with pytest.raises(DocumentError) as info:
        load_text("a: {b: {c: 1}}\n", limits=Limits(max_depth=2))
    assert (info.value.code, info.value.line, info.value.column) == ("RK008", 1, 8)
    with pytest.raises(DocumentError) as info:
        load_text("a: 1\n", limits=Limits(max_bytes=3))
    assert info.value.code == "RK002"


TRICKY_JSON = [
    '{"reps": 18446744073709551617}',  # beyond 64 bits: orjson would give a float
    '{"reps": -9223372036854775809}',
    '{"reps": 9223372036854775808}',  # fits unsigned 64 bits
    '{"reps": 1234567890123456789}',  # 19 digits, fits
    '{"reps": 123456789012345678901234567890, "note": "e+ here"}',
    '{"x": 1e16, "y": 12345678901234567890.5, "z": 0.00000000000000000001}',
    '{"note": "call 12345678901234567890123 e+ later"}',
    '{"a": 1, "a": 2}',
    '{"a": {"b": 1, "b": 1}}',
    '{"a\\u003a": 1, "a:": 2}',
    '{"a\\u003a": 1, "a": 2, "b": 3}',
    '{"t": "x:y", "t": "z"}',
    '{"n": NaN}',
    '{"n": 1e400}',
    '{"s": "\\ud800"}',
    "[1, 2, 3]",
    '"text"',
]


@pytest.mark.parametrize("text", TRICKY_JSON)
def test_the_fast_json_reading_is_the_careful_one(text: str, monkeypatch) -> None:
    """orjson's reading is used only where it equals the standard library's strict reading (or its error)."""
    from rehabkit._documents import loader

    def outcome() -> object:
        try:
            data = load_text(text, fmt="json")
        except DocumentError as exc:
            return ("error", exc.code, exc.message, exc.line, exc.column)
        return ("data", json.dumps(data.data, sort_keys=True), repr(data.data))

    fast = outcome()
    monkeypatch.setattr(loader, "_orjson", None)  # the careful path alone
    assert fast == outcome()


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=20,
    )
)
def test_the_fast_json_reading_matches_on_any_value(value: object) -> None:
    from rehabkit._documents import loader

    text = json.dumps(value)
    fast = loader._fast_json(text)
    if fast is not None:  # when it answers at all, it answers as the standard library does
        assert repr(fast) == repr(json.loads(text))


def test_a_file_that_states_no_size_is_read_to_its_end(tmp_path) -> None:
    """/proc files are regular files of size 0: the reader asks for more until the end, as it would for a file that
    grew."""
    from rehabkit._documents.loader import read_file

    link = tmp_path / "status.json"
    link.symlink_to("/proc/self/status")
    fmt, raw = read_file(link)
    assert fmt == "json" and b"Name:" in raw and len(raw) > 100
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * 5000)
    assert len(read_file(big, Limits(max_bytes=100))[1]) == 101  # one byte past the limit, for the size error


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b.", ".", "..", "/", ".json", "x.yaml", "Y.YML", "é", " "]), max_size=6))
def test_a_files_type_is_read_from_its_suffix_as_pathlib_reads_it(parts: list[str]) -> None:
    """The loader's suffix (a batch asks it of every file, without building a path object) is PurePath's."""
    from pathlib import PurePath

    from rehabkit._documents.loader import _suffix

    name = "".join(parts)
    assert _suffix(name) == PurePath(name).suffix
