"""The cache of packs' parsed documents (issue 14): never stale, never needed.

A real installed pack (a .dist-info folder with its entry point, on PYTHONPATH) registers a protocol
file; `rehabkit` runs in subprocesses as a clinic would run it, with its own cache folder.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import PROTOCOLS, clean_env, signed_in

MODULE = """from pathlib import Path
from rehabkit import hookimpl

REHABKIT_HOOK_API = 1


@hookimpl
def rehabkit_register_protocols(register):
    register(Path(__file__).parent / "protocol.yaml")
"""


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """An installed pack whose one protocol is a copy of neck-pain with its own id; returns the protocol file."""
    site = tmp_path / "site"
    package = site / "cache_test_pack"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(MODULE, encoding="utf-8")
    document = (PROTOCOLS / "neck" / "neck-pain.yaml").read_text(encoding="utf-8")
    protocol = package / "protocol.yaml"
    protocol.write_text(document.replace("id: neck-pain\n", "id: cached-neck\n", 1), encoding="utf-8")
    info = site / "cache_test_pack-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cache-test-pack\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[rehabkit]\ncache-test = cache_test_pack\n", encoding="utf-8")
    return protocol


def run(pack: Path, *args: str, cache: Path | str) -> subprocess.CompletedProcess[str]:
    env = clean_env(PYTHONPATH=str(pack.parent.parent), REHABKIT_CACHE_DIR=str(cache))
    signed_in(args, None)
    return subprocess.run(
        [sys.executable, "-m", "rehabkit", *args], capture_output=True, text=True, env=env, timeout=120
    )


def _approve(pack: Path, db: str, cache: Path) -> None:
    """The clinician's approval that opens the pack protocol's first gate for P-1."""
    approval = ("approve", "P-1", "--protocol", "cached-neck", "--phase", "acute", "--by", "PT-1", "--db", db)
    assert run(pack, *approval, cache=cache).returncode == 0


def listed(pack: Path, cache: Path | str) -> dict[str, dict]:
    result = run(pack, "list", "--format", "json", cache=cache)
    assert result.returncode == 0, result.stderr
    return {row["id"]: row for row in json.loads(result.stdout)}


def test_an_edit_is_seen_at_once_even_of_the_same_size(pack: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert listed(pack, cache)["cached-neck"]["title"].startswith("Neck pain")
    assert [p.name for p in cache.iterdir() if p.name.startswith("documents-")]  # the model was kept
    text = pack.read_text(encoding="utf-8")
    title = yaml.safe_load(text)["title"]
    same_size = "X" * len(title)
    pack.write_text(text.replace(f"title: {title}", f"title: {same_size}", 1), encoding="utf-8")
    assert len(pack.read_bytes()) == len(text.encode("utf-8"))  # same size, written at once: a stamp could miss it
    assert listed(pack, cache)["cached-neck"]["title"] == same_size
    shown = run(pack, "show", "cached-neck", cache=cache)
    assert same_size in shown.stdout


def test_lint_marks_follow_the_document(pack: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert listed(pack, cache)["cached-neck"]["lint_errors"] == []
    data = yaml.safe_load(pack.read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    data["phases"][0]["exercises"][0]["dose"] = {"reps": 0}  # RK201: no dose
    pack.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert "RK201" in listed(pack, cache)["cached-neck"]["lint_errors"]
    assert "RK201" in listed(pack, cache)["cached-neck"]["lint_errors"]  # and from the cache, the same


def test_run_checks_the_bytes_it_runs_not_the_file_as_it_is_later(pack: Path, tmp_path: Path) -> None:
    """A protocol is checked in the bytes its model was built from: a file that changes between the two (here
    made clean just after the packs are loaded) cannot pass a broken protocol's model; list marks it too."""
    data = yaml.safe_load(pack.read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    clean = yaml.safe_dump(data, sort_keys=False)
    data["phases"][0]["exercises"][0]["dose"] = {"reps": 0}  # RK201
    pack.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    db = str(tmp_path / "s.sqlite3")
    assert run(pack, "show", "cached-neck", cache=tmp_path / "cache").returncode == 0  # its model cached, not linted
    probed = probe(
        pack,
        tmp_path,
        (
            "from rehabkit._plugins import manager\n"
            "original = manager.PluginManager._build_registry\n"
            "def then_mended(self, hooks):\n"
            "    registry = original(self, hooks)\n"
            f"    open({str(pack)!r}, 'w', encoding='utf-8').write({clean!r})\n"
            "    calls.append('mended')\n"
            "    return registry\n"
            "manager.PluginManager._build_registry = then_mended\n"
        ),
        "'MENDED', len(calls)",
    )
    refused = probed("run", "cached-neck", "--patient", "P-1", "--plan", "--db", db)
    assert refused.returncode == 1 and "RK201" in refused.stderr and "MENDED 1" in refused.stderr, refused.stderr[-800:]
    pack.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")  # broken again, for list
    listing = probed("list", "--format", "json")
    marks = {row["id"]: row["lint_errors"] for row in json.loads(listing.stdout)}
    assert marks["cached-neck"] == ["RK201"] and "MENDED 1" in listing.stderr


def test_run_refuses_a_protocol_whose_edit_broke_it_though_a_clean_result_is_cached(pack: Path, tmp_path: Path) -> None:
    """run takes a protocol's lint result from the cache while its file is unchanged; an edit is linted at once."""
    cache, db = tmp_path / "cache", str(tmp_path / "s.sqlite3")
    plan = ("run", "cached-neck", "--patient", "P-1", "--plan", "--db", db)
    _approve(pack, db, cache)
    for _ in range(2):  # linted, then the clean result from the cache
        assert run(pack, *plan, cache=cache).returncode == 0
    data = yaml.safe_load(pack.read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    data["phases"][0]["exercises"][0]["dose"] = {"reps": 0}  # RK201
    pack.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    for _ in range(2):  # linted, then the codes from the cache: still refused, with the findings
        refused = run(pack, *plan, cache=cache)
        assert refused.returncode == 1 and "has lint errors, so it is not run for patients" in refused.stderr
        assert "RK201" in refused.stderr and "protocol.yaml:" in refused.stderr


def test_a_broken_document_is_reported_every_time(pack: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    pack.write_text("kind: protocol\nid: [unclosed\n", encoding="utf-8")
    for _ in range(2):
        result = run(pack, "plugins", cache=cache)
        assert "set aside" in result.stdout + result.stderr and "protocol.yaml" in result.stdout + result.stderr


def test_the_cache_is_private_and_can_be_turned_off(pack: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    listed(pack, cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in cache.iterdir())
    off = tmp_path / "off"
    env = clean_env(
        PYTHONPATH=str(pack.parent.parent), REHABKIT_CACHE_DIR="off", XDG_CACHE_HOME=str(off), HOME=str(off)
    )
    result = subprocess.run([sys.executable, "-m", "rehabkit", "list"], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and "cached-neck" in result.stdout
    assert not off.exists()


def test_a_damaged_or_unwritable_cache_is_ignored(pack: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    expected = listed(pack, cache)
    for kept in cache.iterdir():
        kept.write_bytes(b"\x80\x04not a pickle at all")
    assert listed(pack, cache) == expected
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert listed(pack, blocked / "cache") == expected  # cannot be created: parsed as before, nothing said
    assert run(pack, "list", cache=blocked / "cache").stderr == ""


def probe(
    pack: Path, tmp_path: Path, patch: str, report: str, cache: str | None = None
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """A runner of `rehabkit ARGS...` in a subprocess with ``patch`` (Python that counts into ``calls``) applied
    first and ``report`` (an expression over ``calls``) printed to standard error at the end (``cache``: the
    REHABKIT_CACHE_DIR, by default a folder of its own)."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import runpy, sys\n"
        "calls = []\n"
        f"{patch}"
        "sys.argv = ['rehabkit', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('rehabkit', run_name='__main__')\n"
        "finally:\n"
        f"    print({report}, file=sys.stderr)\n",
        encoding="utf-8",
    )
    env = clean_env(PYTHONPATH=str(pack.parent.parent), REHABKIT_CACHE_DIR=cache or str(tmp_path / "cache"))

    def probed(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), *args], capture_output=True, text=True, env=env, timeout=120
        )

    return probed


def counting(module: str, attribute: str, record: str, also: tuple[str, ...] = ()) -> str:
    """A ``patch`` for :func:`probe`: ``module.attribute`` (a function, or ``Class.method``) wrapped so that each
    call appends ``record`` (an expression over the call's ``args``) to ``calls``; the modules in ``also``,
    which imported the same function by name, get the wrapper too."""
    return (
        f"import {module}\n"
        f"original = {module}.{attribute}\n"
        "def counted(*args, **kwargs):\n"
        f"    calls.append({record})\n"
        "    return original(*args, **kwargs)\n"
        f"{module}.{attribute} = counted\n"
        + "".join(f"import {other}\n{other}.{attribute} = counted\n" for other in also)
    )


def test_the_cache_is_used(pack: Path, tmp_path: Path) -> None:
    """The second command reads the model back instead of parsing the file (seen through a counting hook)."""
    probed = probe(
        pack,
        tmp_path,
        counting(
            "rehabkit._documents.builders",
            "protocol_from_document",
            "args[0].path",
            also=("rehabkit._plugins.manager",),
        ),
        "'PARSED', sum(1 for c in calls if c.endswith('protocol.yaml'))",
    )
    first, second = (probed("show", "cached-neck") for _ in range(2))
    assert "PARSED 1" in first.stderr and "PARSED 0" in second.stderr, (first.stderr[-500:], second.stderr[-500:])
    assert first.stdout == second.stdout and "cached-neck" in second.stdout


@pytest.mark.parametrize("cache", ["cold", "off"])
def test_a_command_that_lints_a_protocol_parses_it_once(pack: Path, tmp_path: Path, cache: str) -> None:
    """list and run lint the protocols they read: one just parsed to register it is not read and parsed again,
    with a cold cache or none; with a warm cache list parses nothing. The lint marks stay those of validate."""
    probed = probe(
        pack,
        tmp_path,
        counting("rehabkit._documents.loader", "_parse_yaml", "args[1]"),  # (text, path, limits)
        "'PARSED', sum(1 for c in calls if c.endswith('protocol.yaml'))",
        cache=None if cache == "cold" else "off",
    )
    listed_once = probed("list", "--format", "json")
    assert listed_once.returncode == 0 and "PARSED 1" in listed_once.stderr, listed_once.stderr[-500:]
    assert json.loads(listed_once.stdout) == json.loads(run(pack, "list", "--format", "json", cache="off").stdout)
    planned = probed("run", "cached-neck", "--patient", "P-1", "--plan", "--db", str(tmp_path / "s.sqlite3"))
    # linted before its plan, always, and parsed once: cache off, to register it (not again to lint it); cache
    # warm after list, to lint the bytes its cached model was built from
    assert planned.returncode == 7 and "still needed: your clinician's approval" in planned.stderr
    assert "PARSED 1" in planned.stderr, planned.stderr[-500:]
    if cache == "cold":
        assert "PARSED 0" in probed("list").stderr  # warm now


def test_list_reads_no_model_back_and_show_reads_one(pack: Path, tmp_path: Path) -> None:
    """With the cache warm, list needs only each protocol's summary; show reads back the one it shows."""
    probed = probe(
        pack,
        tmp_path,
        counting("rehabkit._plugins.doc_cache", "CachedProtocol.load", "args[0].key"),
        "'READ BACK', sorted(set(calls))",
    )
    cold = probed("list", "--format", "json")
    warm = probed("list", "--format", "json")
    assert cold.returncode == warm.returncode == 0, warm.stderr
    assert cold.stdout == warm.stdout and "cached-neck" in warm.stdout
    assert "READ BACK []" in warm.stderr, warm.stderr[-500:]
    shown = probed("show", "cached-neck")
    assert shown.returncode == 0 and "READ BACK ['cached-neck@" in shown.stderr, shown.stderr[-500:]
    assert shown.stdout == run(pack, "show", "cached-neck", cache="off").stdout


def test_a_damaged_model_in_the_cache_is_parsed_again(pack: Path, tmp_path: Path) -> None:
    """One stored model that cannot be read back: the file is parsed again and the command answers as without a
    cache."""
    import pickle

    cache = tmp_path / "cache"
    assert run(pack, "list", cache=cache).returncode == 0
    (stored,) = cache.glob("documents-*.pickle")
    data = pickle.loads(stored.read_bytes())
    data["models"] = {
        key: (summary, b"not a pickle" if summary else model) for key, (summary, model) in data["models"].items()
    }
    stored.write_bytes(pickle.dumps(data))
    shown = run(pack, "show", "cached-neck", cache=cache)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == run(pack, "show", "cached-neck", cache="off").stdout


def test_a_cached_protocol_stands_for_its_model(pack: Path, tmp_path: Path) -> None:
    """In the registry, a protocol not yet read back compares, hashes, finds and reads as the model itself."""
    from rehabkit._plugins.doc_cache import CachedProtocol
    from rehabkit._plugins.manager import PluginManager
    from rehabkit._plugins.registry import Registered

    os.environ["REHABKIT_CACHE_DIR"] = str(tmp_path / "cache")
    sys.path.insert(0, str(pack.parent.parent))
    try:
        registries = []
        for _ in range(2):
            manager = PluginManager.from_environment((), strict=False)
            manager.load()
            registries.append(manager.registry())
    finally:
        sys.path.remove(str(pack.parent.parent))
        del os.environ["REHABKIT_CACHE_DIR"]
        for name in [m for m in sys.modules if m.startswith("cache_test_pack")]:
            del sys.modules[name]
    fresh, warm = (r.find_protocol("cached-neck") for r in registries)
    assert type(warm.peek()) is CachedProtocol and warm.peek().key == fresh.item.key
    assert warm == fresh and hash(warm) == hash(fresh)
    assert warm.item == fresh.item and type(warm.peek()) is type(fresh.item)
    assert Registered(item=fresh.item, pack=fresh.pack, source=fresh.source) == fresh


RULE_MODULE = """from rehabkit import LintRule, Severity, Violation, hookimpl

from . import words


def check(context):
    if words.FORBIDDEN in context.protocol.title:
        yield Violation(f"the title holds {words.FORBIDDEN!r}", ("title",))


@hookimpl
def rehabkit_register_lint_rules(register):
    register(LintRule(code="TX101", severity=Severity.ERROR, summary="a forbidden word in a title", check=check))
"""


def test_a_cached_lint_result_follows_the_modules_a_rule_imports(pack: Path, tmp_path: Path) -> None:
    """An edit to a module a pack's rule reads (not the rule's own module) is linted afresh by list and run."""
    package = pack.parent
    (package / "rule.py").write_text(RULE_MODULE, encoding="utf-8")
    (package / "words.py").write_text('FORBIDDEN = "nothing of the sort"\n', encoding="utf-8")
    (package / "__init__.py").write_text(
        MODULE + "\nfrom .rule import rehabkit_register_lint_rules  # noqa: F401\n", encoding="utf-8"
    )
    cache, db = tmp_path / "cache", str(tmp_path / "s.sqlite3")
    _approve(pack, db, cache)
    plan = ("run", "cached-neck", "--patient", "P-1", "--plan", "--db", db)
    assert listed(pack, cache)["cached-neck"]["lint_errors"] == []
    assert run(pack, *plan, cache=cache).returncode == 0
    (package / "words.py").write_text('FORBIDDEN = "Neck"\n', encoding="utf-8")
    assert listed(pack, cache)["cached-neck"]["lint_errors"] == ["TX101"]
    refused = run(pack, *plan, cache=cache)
    assert refused.returncode == 1 and "TX101" in refused.stderr and "'Neck'" in refused.stderr


FACTORY_MODULE = """import json
from pathlib import Path

from rehabkit import LintRule, Severity, Violation, hookimpl


def make_rule(limit):
    def check(context):
        if len(context.protocol.phases) > limit:
            yield Violation(f"more than {limit} phases", ("phases",))
    return LintRule(code="TX102", severity=Severity.ERROR, summary="too many phases", check=check)


@hookimpl
def rehabkit_register_lint_rules(register):
    settings = json.loads((Path(__file__).parent / "settings.json").read_text())
    register(make_rule(settings["max_phases"]))
"""


def test_list_marks_follow_the_settings_a_rule_was_made_with(pack: Path, tmp_path: Path) -> None:
    """A rule made with a limit from its pack's settings (held in its closure): a new limit is linted afresh."""
    package = pack.parent
    (package / "rule.py").write_text(FACTORY_MODULE, encoding="utf-8")
    (package / "settings.json").write_text('{"max_phases": 99}', encoding="utf-8")
    (package / "__init__.py").write_text(
        MODULE + "\nfrom .rule import rehabkit_register_lint_rules  # noqa: F401\n", encoding="utf-8"
    )
    cache = tmp_path / "cache"
    assert listed(pack, cache)["cached-neck"]["lint_errors"] == []
    (package / "settings.json").write_text('{"max_phases": 1}', encoding="utf-8")
    assert listed(pack, cache)["cached-neck"]["lint_errors"] == ["TX102"]
    (package / "settings.json").write_text('{"max_phases": 99}', encoding="utf-8")
    assert listed(pack, cache)["cached-neck"]["lint_errors"] == []


def test_a_damaged_model_rebuilt_later_is_read_as_its_own_file(pack: Path, tmp_path: Path) -> None:
    """A pack registers a folder of two protocols and the cached model of the first cannot be read back: `show`
    parses that file again, and keeps the document it parsed for the lint rules under that file's name. (The
    rebuild once ran after the pack had registered both files and took the folder's last file name: the first
    protocol's document was kept as the second file's, and a check of the second file read the first one.)"""
    import pickle

    package = pack.parent
    folder = package / "protocols"
    folder.mkdir()
    data = yaml.safe_load(pack.read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    data["id"] = "alpha-neck"
    (folder / "a.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    pack.rename(folder / "b.yaml")  # cached-neck, the folder's last file
    (package / "__init__.py").write_text(MODULE.replace('"protocol.yaml"', '"protocols"'), encoding="utf-8")
    probed = probe(
        pack,
        tmp_path,
        "import rehabkit._plugins.doc_cache as doc_cache\n"
        "original = doc_cache.DocumentCache.__init__\n"
        "def remembered(self, *args, **kwargs):\n"
        "    calls.append(self)\n"
        "    original(self, *args, **kwargs)\n"
        "doc_cache.DocumentCache.__init__ = remembered\n",
        f"'KEPT', sorted((p.rsplit('/', 1)[-1], d.data['id']) for c in calls for p, d in c.parsed.items() "
        f"if p.startswith({str(folder)!r}))",
    )
    cold = probed("show", "alpha-neck")
    assert cold.returncode == 0, cold.stderr
    assert "KEPT [('a.yaml', 'alpha-neck'), ('b.yaml', 'cached-neck')]" in cold.stderr, cold.stderr[-500:]
    (stored,) = (tmp_path / "cache").glob("documents-*.pickle")
    stored_data = pickle.loads(stored.read_bytes())
    alpha = [key for key, (summary, _) in stored_data["models"].items() if summary and summary[0] == "alpha-neck"]
    assert len(alpha) == 1
    stored_data["models"][alpha[0]] = (stored_data["models"][alpha[0]][0], b"not a pickle")
    stored.write_bytes(pickle.dumps(stored_data))
    rebuilt = probed("show", "alpha-neck")
    assert rebuilt.returncode == 0 and rebuilt.stdout == cold.stdout, rebuilt.stderr
    assert "KEPT [('a.yaml', 'alpha-neck')]" in rebuilt.stderr, rebuilt.stderr[-500:]


class _Planted:
    """What someone else might leave in a shared cache folder: unpickling it runs their code (here, it makes a
    file)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _plant(cache: Path, marker: Path) -> Path:
    import pickle

    from rehabkit._plugins.doc_cache import _build_id

    cache.mkdir(exist_ok=True)
    planted = cache / f"documents-{_build_id()}.pickle"
    planted.write_bytes(pickle.dumps(_Planted(marker)))
    planted.chmod(0o600)
    return planted


@pytest.mark.skipif(os.name != "posix", reason="owners and modes are POSIX's")
@pytest.mark.parametrize("how", ["folder writable by others", "file writable by others", "file of another owner"])
def test_a_cache_someone_else_could_write_is_never_loaded(pack: Path, tmp_path: Path, how: str) -> None:
    cache, marker = tmp_path / "shared-cache", tmp_path / "their-code-ran"
    planted = _plant(cache, marker)
    cache.chmod(0o777 if how == "folder writable by others" else 0o700)
    if how == "file writable by others":
        planted.chmod(0o666)
    if how == "file of another owner":
        if os.geteuid() != 0:
            pytest.skip("giving a file to another owner needs root")
        os.chown(planted, 65534, 65534)
    before = planted.read_bytes()
    assert "cached-neck" in listed(pack, cache)
    assert not marker.exists(), "a pickle someone else could write was loaded"
    if how == "folder writable by others":
        assert planted.read_bytes() == before and os.listdir(cache) == [planted.name]  # nor written into
    else:  # the folder is one's own: the file is replaced by one rehabkit writes, its owner's alone
        assert planted.stat().st_uid == os.geteuid() and stat.S_IMODE(planted.stat().st_mode) == 0o600


def test_a_cache_of_ones_own_is_loaded(pack: Path, tmp_path: Path) -> None:
    """The control for the test above: the same planted file, in a folder and file of one's own, is read (so a
    test that saw no marker there saw rehabkit refuse it, not miss it)."""
    cache, marker = tmp_path / "own-cache", tmp_path / "loaded"
    _plant(cache, marker).parent.chmod(0o700)
    listed(pack, cache)
    assert marker.exists()


def test_list_keeps_protocols_registered_as_mappings_as_it_keeps_files(rehabkit, tmp_path: Path) -> None:
    """Issue 29, finding 8: a pack's protocols registered as mappings (here 2,000) were built and linted by every
    `list`. Now they are kept as a file's are, by their content: the second `list` lints none of them (the pack's
    rule MN001 writes a line for each protocol it checks) and lists them all."""
    log = tmp_path / "rule-calls.txt"
    env = {"MANY_PROTOCOLS": "2000", "MANY_RULE_LOG": str(log), "REHABKIT_CACHE_DIR": str(tmp_path / "cache")}
    first = rehabkit("list", "--format", "json", packs=["many"], env=env)
    assert first.returncode == 0, first.stderr
    checked = log.read_text().split()
    assert len([c for c in checked if c.startswith("many-")]) == 2000
    second = rehabkit("list", "--format", "json", packs=["many"], env=env)
    assert second.returncode == 0, second.stderr
    assert log.read_text().split() == checked  # nothing linted again
    listed = [row["id"] for row in json.loads(second.stdout) if row["pack"] == "test-many"]
    assert listed == [f"many-{index:05d}" for index in range(2000)]
    assert json.loads(second.stdout) == json.loads(first.stdout)
    changed = rehabkit("list", packs=["many"], env={**env, "MANY_PROTOCOLS": "2001"})
    assert changed.returncode == 0 and "many-02000" in changed.stdout
    assert len(log.read_text().split()) == len(checked) + 1  # only the new protocol is linted


def test_run_still_lints_a_protocol_registered_as_a_mapping_every_time(rehabkit, tmp_path: Path) -> None:
    """The gate before a patient's session takes no cached result (see cli/protocols.py), mapping or file."""
    log = tmp_path / "rule-calls.txt"
    env = {"MANY_PROTOCOLS": "3", "MANY_RULE_LOG": str(log), "REHABKIT_CACHE_DIR": str(tmp_path / "cache")}
    for _ in range(2):
        result = rehabkit("run", "many-00001", "--plan", "--patient", "P1", packs=["many"], env=env)
        assert result.returncode == 0, result.stderr
        assert "Today's plan: Many 1" in result.stdout
    assert log.read_text().split().count("many-00001") == 2
