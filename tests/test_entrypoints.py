"""rehabkit's entry-point reader agrees with importlib.metadata on real installed packages."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from rehabkit._plugins.entrypoints import _parse_group, entry_points


def _importlib_view(group: str, path: list[str] | None = None) -> list[tuple[str, str, str, str]]:
    dists = metadata.distributions() if path is None else metadata.distributions(path=path)
    seen, rows = set(), []
    for dist in dists:
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        rows += [
            (ep.name, ep.value, dist.metadata["Name"], dist.version) for ep in dist.entry_points if ep.group == group
        ]
    return sorted(rows)


def _ours(group: str, path: list[str] | None = None) -> list[tuple[str, str, str, str]]:
    return sorted((ep.name, ep.value, ep.distribution, ep.version) for ep in entry_points(group, path))


def test_agrees_with_importlib_metadata_for_the_installed_packs() -> None:
    assert _ours("rehabkit") == _importlib_view("rehabkit")
    assert {"neck", "low-back", "post-surgery"} <= {row[0] for row in _ours("rehabkit")}


def test_agrees_for_other_groups_too() -> None:
    for group in ("console_scripts", "pytest11"):
        assert _ours(group) == _importlib_view(group)


def test_test_packs_installed_with_pip_target(test_packs, monkeypatch) -> None:
    path = [str(folder) for folder in test_packs.values()]
    assert _ours("rehabkit", path) == _importlib_view("rehabkit", path)
    monkeypatch.syspath_prepend(str(test_packs["extras"]))
    loaded = next(ep for ep in entry_points("rehabkit", path) if ep.name == "test-extras").load()
    assert loaded.__name__ == "rehabkit_test_extras"


def test_parser_reads_sections_and_ignores_comments() -> None:
    text = "[console_scripts]\na = b:c\n\n[rehabkit]\n# a comment\nneck = rehabkit_neck\n  spaced =  mod.sub:attr.x  \n"
    assert list(_parse_group(text, "rehabkit")) == [("neck", "rehabkit_neck"), ("spaced", "mod.sub:attr.x")]


def test_plugin_loading_does_not_import_importlib_metadata() -> None:
    code = (
        "import sys\nfrom rehabkit._plugins.manager import PluginManager\nm = PluginManager(); m.load(); m.registry()\n"
        "print('metadata' if 'importlib.metadata' in sys.modules else 'clean', len(m.registry().protocols))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["clean", "10"]  # the ten first-party protocols


def test_odd_bytes_in_installed_metadata_do_not_stop_the_search(tmp_path) -> None:
    """An entry_points.txt or METADATA with bytes that are not UTF-8 (a broken install) is read around them;
    a file without the group is skipped before it is parsed; an unreadable one is passed over."""

    def dist(name: str, entry_points: bytes | None, metadata_bytes: bytes) -> None:
        info = tmp_path / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_bytes(metadata_bytes)
        if entry_points is not None:
            (info / "entry_points.txt").write_bytes(entry_points)

    dist(
        "odd_pack",
        b"[console_scripts]\nx = caf\xe9:main\n\n[rehabkit]\nodd = odd_pack\n",
        b"Metadata-Version: 2.1\nName: Odd-Pack\nSummary: caf\xe9\n\nlong text\n",
    )
    dist("plain_tool", b"[console_scripts]\ntool = plain_tool:main\n", b"Metadata-Version: 2.1\nName: plain-tool\n")
    dist("no_entry_points", None, b"Metadata-Version: 2.1\nName: no-entry-points\n")
    dist("bad_name", b"[rehabkit]\nbad = bad_name\n", b"Metadata-Version: 2.1\nName: Bad\xff-Name\n")
    (tmp_path / "locked-1.0.dist-info").mkdir()
    (tmp_path / "locked-1.0.dist-info" / "entry_points.txt").mkdir()  # not a file: cannot be read
    found = sorted((ep.name, ep.value, ep.distribution, ep.version) for ep in entry_points("rehabkit", [str(tmp_path)]))
    assert found == [("bad", "bad_name", "Bad\ufffd-Name", "1.0"), ("odd", "odd_pack", "Odd-Pack", "1.0")]
    assert sorted(ep.name for ep in entry_points("console_scripts", [str(tmp_path)])) == ["tool", "x"]
