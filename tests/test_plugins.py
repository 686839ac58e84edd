"""Plugin packs: discovery through real entry points, isolation, selection, conflicts."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from rehabkit._common.errors import PluginError
from rehabkit._plugins.manager import PluginManager, Selection
from rehabkit._plugins.registry import Contributions, Registered, Registry

from conftest import CORPUS, REPO


def _core_codes() -> list[str]:
    import importlib

    from rehabkit.default_plugins import DEFAULT_PLUGINS

    return sorted(rule.code for name in DEFAULT_PLUGINS for rule in getattr(importlib.import_module(name), "RULES", ()))


CORE_CODES = _core_codes()
NECK = ["desk-posture@1.2.0", "neck-arm-pain@1.1.0", "neck-pain@2.1.0", "upper-back-posture@1.1.0"]
LOW_BACK = [
    "disc-conservative@1.1.0",
    "low-back-pain-acute@1.1.0",
    "low-back-pain-chronic@1.1.0",
    "recurrent-back-pain@1.2.0",
    "spinal-stiffness@1.1.0",
]
#: pack -> the protocols it contributes
FIRST_PARTY = {"neck": NECK, "low-back": LOW_BACK, "post-surgery": ["post-surgical-lumbar@2.2.0"]}
PACK_VERSIONS = {"exercises": "1.0.0", "neck": "2.0.0", "low-back": "2.0.0", "post-surgery": "2.0.0"}


def test_first_party_packs_load_through_entry_points() -> None:
    manager = PluginManager()
    manager.load()
    registry = manager.registry()
    for pack, keys in FIRST_PARTY.items():
        assert manager.packs[pack].status == "loaded"
        assert manager.packs[pack].hooks == ["rehabkit_register_protocols"]
        assert sorted(manager.packs[pack].registered["protocols"]) == keys
        for key in keys:
            assert registry.protocols[key].pack == pack
    assert manager.packs["exercises"].hooks == ["rehabkit_register_exercises"]
    assert {"chin-tuck", "bird-dog", "bar-hang", "toes-and-chin-stretch"} <= set(
        manager.packs["exercises"].registered["exercises"]
    )
    assert all(r.pack == "exercises" for r in registry.exercises.values())
    assert manager.packs["core"].registered["lint_rules"] == CORE_CODES


def test_broken_packs_are_reported_by_name_and_the_rest_work(rehabkit) -> None:
    result = rehabkit("plugins", packs=["broken-import", "garbage"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for pack, version in PACK_VERSIONS.items():
        assert f"\n{pack} (rehabkit-{pack} {version}): loaded" in out
    assert "test-broken-import (rehabkit-test-broken-import 0.0.1): failed" in out
    assert (
        "error: failed to import 'rehabkit_test_broken_import': ImportError: this test pack is broken on purpose" in out
    )
    assert "test-garbage (rehabkit-test-garbage 0.0.1): failed" in out
    assert "rehabkit_register_protocols registered 42 (int): expected a protocol document" in out
    assert "rehabkit_register_exercises registered an invalid exercise 'garbage-exercise'" in out
    assert "rehabkit_register_commands registered 'not a command' (str): expected a click.Command" in out
    assert "a command named 'list', which is a built-in rehabkit command" in out
    assert "Traceback" not in result.stderr


def test_plugins_json_lists_status_hooks_and_errors(rehabkit) -> None:
    result = rehabkit("plugins", "--format", "json", packs=["broken-import"])
    packs = {p["name"]: p for p in json.loads(result.stdout)}
    assert packs["neck"]["status"] == "loaded"
    assert sorted(packs["neck"]["registered"]["protocols"]) == NECK
    assert packs["test-broken-import"]["status"] == "failed"
    assert packs["test-broken-import"]["distribution"] == "rehabkit-test-broken-import"
    assert "ImportError" in packs["test-broken-import"]["errors"][0]


def test_other_commands_warn_about_broken_packs_and_keep_working(rehabkit) -> None:
    result = rehabkit("list", packs=["broken-import", "garbage"])
    assert result.returncode == 0
    assert "rehabkit: warning: plugin pack 'test-broken-import' failed" in result.stderr
    assert "rehabkit: warning: plugin pack 'test-garbage' failed" in result.stderr
    assert all(key.split("@")[0] in result.stdout for keys in FIRST_PARTY.values() for key in keys)


def test_contributions_of_a_failed_pack_are_set_aside(rehabkit, tmp_path) -> None:
    document = (
        (CORPUS / "good" / "minimal.yaml")
        .read_text()
        .replace("exercise: chin-tuck", "exercise: garbage-valid-exercise")
    )
    path = tmp_path / "uses-garbage.yaml"
    path.write_text(document)
    result = rehabkit("validate", str(path), packs=["garbage"])
    assert result.returncode == 1
    assert "RK101 phase 'acute' names exercise 'garbage-valid-exercise'" in result.stdout


@pytest.mark.parametrize("how", [("--strict",), ("env",)])
def test_strict_makes_a_broken_pack_fatal(rehabkit, how) -> None:
    if how == ("env",):
        result = rehabkit("list", packs=["broken-import"], env={"REHABKIT_STRICT_PLUGINS": "1"})
    else:
        result = rehabkit("--strict", "list", packs=["broken-import"])
    assert result.returncode == 3
    assert "rehabkit: error: plugin pack 'test-broken-import' failed" in result.stderr
    assert result.stdout == ""


def test_strict_plugins_command_lists_then_fails(rehabkit) -> None:
    result = rehabkit("--strict", "plugins", packs=["garbage"])
    assert result.returncode == 3
    assert "test-garbage (rehabkit-test-garbage 0.0.1): failed" in result.stdout


def test_allow_list_from_environment(cli) -> None:
    result = cli("list", "--format", "json", env={"REHABKIT_LOAD_PLUGINS": "neck"})
    assert [f"{row['id']}@{row['version']}" for row in json.loads(result.stdout)] == NECK
    result = cli("list", "--format", "json", env={"REHABKIT_LOAD_PLUGINS": ""})
    assert json.loads(result.stdout) == []


def test_block_and_allow_options(cli) -> None:
    result = cli("-p", "no:neck", "list", "--format", "json")
    assert sorted(f"{row['id']}@{row['version']}" for row in json.loads(result.stdout)) == sorted(
        LOW_BACK + FIRST_PARTY["post-surgery"]
    )
    result = cli("-p", "low-back", "list", "--format", "json")
    assert [f"{row['id']}@{row['version']}" for row in json.loads(result.stdout)] == LOW_BACK
    result = cli("list", "--format", "json", env={"REHABKIT_BLOCK_PLUGINS": "neck,low-back"})
    assert [row["id"] for row in json.loads(result.stdout)] == ["post-surgical-lumbar"]


def test_blocked_pack_is_listed_as_blocked(cli) -> None:
    result = cli("-p", "no:neck", "plugins", "--format", "json")
    packs = {p["name"]: p for p in json.loads(result.stdout)}
    assert packs["neck"]["status"] == "blocked"
    assert packs["neck"]["registered"] == {}
    assert packs["low-back"]["status"] == "loaded"


def test_a_blocked_broken_pack_is_never_imported(rehabkit) -> None:
    result = rehabkit("-p", "no:test-broken-import", "list", packs=["broken-import"])
    assert result.returncode == 0
    assert "warning" not in result.stderr


def test_conflicting_protocol_names_both_packs(rehabkit) -> None:
    result = rehabkit("list", packs=["conflict"])
    assert result.returncode == 0
    assert (
        "conflict: protocol 'neck-pain@2.1.0' is contributed by packs 'neck', 'test-conflict'; neither is used."
        in result.stderr
    )
    assert "\nneck-pain " not in result.stdout
    assert "\nneck-arm-pain " in result.stdout
    shown = rehabkit("show", "neck-pain", packs=["conflict"])
    assert shown.returncode == 1
    assert "conflict: protocol 'neck-pain@2.1.0'" in shown.stderr
    strict = rehabkit("--strict", "list", packs=["conflict"])
    assert strict.returncode == 3
    assert "'neck', 'test-conflict'" in strict.stderr


def test_registry_conflict_with_three_packs_names_all() -> None:
    registry = Registry()
    for pack in ("a", "b", "c"):
        rule = Registered(item=type("Rule", (), {"code": "XX001"})(), pack=pack)
        registry.add(Contributions.of(lint_rules=[rule]))
    (conflict,) = registry.conflicts
    assert conflict.packs == ("a", "b", "c")
    assert "XX001" not in registry.lint_rules


def test_library_exercises_screening_and_rules_from_a_pack(rehabkit, tmp_path) -> None:
    document = (CORPUS / "good" / "minimal.yaml").read_text()
    document = document.replace("exercise: chin-tuck", "exercise: wall-angel").replace(
        "  - id: no-better", "  - id: worse"
    )
    path = tmp_path / "uses-library.yaml"
    path.write_text(document)
    result = rehabkit("validate", str(path), packs=["extras"])
    # The library exercise resolves; the broken rule is reported by code and pack; other rules still ran.
    assert "RK101" not in result.stdout
    assert (
        "RK099 lint rule TX001 from pack 'test-extras' failed (RuntimeError: this rule is broken on purpose)"
        in result.stdout
    )
    assert "RK102 id 'worse' is used twice in 'red_flags'" in result.stdout
    assert result.returncode == 3
    plugins = json.loads(rehabkit("plugins", "--format", "json", packs=["extras"]).stdout)
    extras = next(p for p in plugins if p["name"] == "test-extras")
    assert extras["registered"] == {
        "protocols": [],
        "exercises": ["wall-angel"],
        "screening": ["recent-fall"],
        "lint_rules": ["TX001", "TX002"],
        "outcome_measures": [],
        "commands": [],
        "clinical_policy": [],
        "renderers": [],
        "red_flag_libraries": ["test-extra-red-flags"],
    }
    blocked = rehabkit("-p", "no:test-extras", "validate", str(path), packs=["extras"])
    assert "RK101 phase 'acute' names exercise 'wall-angel'" in blocked.stdout


def test_strict_loading_in_the_api_raises_plugin_error() -> None:
    manager = PluginManager(Selection(allow=frozenset({"neck"})), strict=True)
    manager.load()
    assert sorted(manager.registry().protocols) == NECK


def test_plugin_error_is_a_runtime_error() -> None:
    assert issubclass(PluginError, RuntimeError)


@pytest.mark.parametrize("pack", ["rehabkit-exercises", "rehabkit-neck", "rehabkit-low-back", "rehabkit-post-surgery"])
def test_pack_builds_a_wheel_that_carries_its_protocols(pack, tmp_path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(REPO / "plugins" / pack),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    module = pack.replace("-", "_")
    folder = pack.removeprefix("rehabkit-")
    data = "exercises" if folder == "exercises" else "protocols"
    expected = sorted(p.name for p in (REPO / "protocols" / folder).iterdir())
    assert sorted(n.rsplit("/", 1)[-1] for n in names if n.startswith(f"{module}/{data}/")) == expected
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert f"{folder} = {module}" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_core_wheel_ships_the_schema(tmp_path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("rehabkit-*.whl")
    shipped = zipfile.ZipFile(wheel).read("rehabkit/schema_files/protocol.schema.json")
    assert shipped == (REPO / "schemas" / "protocol.schema.json").read_bytes()
    library_schema = zipfile.ZipFile(wheel).read("rehabkit/schema_files/exercise-library.schema.json")
    assert library_schema == (REPO / "schemas" / "exercise-library.schema.json").read_bytes()
    for data in ("clinical_policy.json", "outcome_measures.json"):  # rehabkit's clinical data travels too
        shipped = zipfile.ZipFile(wheel).read(f"rehabkit/_common/{data}")
        assert shipped == (REPO / "src" / "rehabkit" / "_common" / data).read_bytes()


def test_partial_registry_skips_protocols_and_a_full_one_follows() -> None:
    manager = PluginManager()
    manager.load()
    partial = manager.registry(protocols=False)
    assert partial.protocols == {}
    assert [rule.code for rule in partial.rules()] == CORE_CODES
    full = manager.registry()
    assert sorted(full.protocols) == sorted(key for keys in FIRST_PARTY.values() for key in keys)
    assert manager.packs["core"].registered["lint_rules"] == CORE_CODES
    assert manager.packs["neck"].errors == []


def test_one_broken_document_is_named_and_the_packs_other_protocols_stay_usable(tmp_path) -> None:
    import subprocess
    import sys

    from conftest import CORPUS, clean_env

    documents = tmp_path / "documents"
    documents.mkdir()
    good = (CORPUS / "good" / "minimal.yaml").read_text()
    (documents / "good.yaml").write_text(good)
    (documents / "broken.yaml").write_text(
        good.replace("corpus-minimal", "broken-one").replace("hold_seconds: 5", "hold_secs: 5")
    )
    (documents / "unreadable.yaml").write_text("title: a: b\n")
    pack = tmp_path / "site"
    (pack / "halfpack").mkdir(parents=True)
    (pack / "halfpack" / "__init__.py").write_text(
        "import os\nfrom rehabkit import hookimpl\nREHABKIT_HOOK_API = 1\n\n"
        "@hookimpl\ndef rehabkit_register_protocols(register):\n    register(os.environ['HALF_DOCS'])\n"
    )
    info = pack / "halfpack-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: halfpack\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[rehabkit]\nhalfpack = halfpack\n")
    env = clean_env(PYTHONPATH=str(pack), HALF_DOCS=str(documents))

    def rehabkit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rehabkit", *args], capture_output=True, text=True, env=env, timeout=120
        )

    listed = rehabkit("list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert "corpus-minimal" in {p["id"] for p in json.loads(listed.stdout)}  # the good one is still there
    assert (
        f"plugin pack 'halfpack': the protocol {documents / 'broken.yaml'} does not match the schema" in listed.stderr
    )
    assert "RK020 unknown field 'hold_secs'" in listed.stderr
    assert f"the protocol {documents / 'unreadable.yaml'} could not be read" in listed.stderr
    planned = rehabkit("run", "corpus-minimal", "--patient", "P-1", "--plan")
    assert planned.returncode == 0 and "Chin tuck" in planned.stdout  # the pack's good protocol runs
    plugins = rehabkit("plugins")
    assert "halfpack (halfpack 1.0): loaded" in plugins.stdout and "set aside: the protocol" in plugins.stdout
    strict = rehabkit("--strict", "list")
    assert strict.returncode == 3 and "broken.yaml" in strict.stderr


def test_with_no_protocols_list_says_how_to_get_some_outside_a_clone(tmp_path) -> None:
    import subprocess
    import sys

    from conftest import clean_env

    result = subprocess.run(
        [sys.executable, "-m", "rehabkit", "-p", "core", "list"],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0
    assert "No protocols installed" in result.stderr and "rehabkit-neck" in result.stderr
    assert "plugins/rehabkit-neck" not in result.stderr  # a path that exists only inside a clone


def test_hook_discovery_finds_what_pluggy_itself_finds(tmp_path, monkeypatch) -> None:
    """The manager's quick reading of a pack module's functions gives pluggy's own answer for every name of
    every shipped and test pack (and of a module with the awkward cases), and names the hooks it found."""
    import importlib
    import types

    import pluggy

    from rehabkit._plugins.manager import _Pluggy

    module = types.ModuleType("awkward_pack")
    exec(  # a test module with the cases pluggy treats specially
        "import os\nfrom functools import partial\nfrom rehabkit import hookimpl\n"
        "@hookimpl\ndef rehabkit_register_protocols(register): pass\n"
        "@hookimpl(specname='rehabkit_register_exercises')\ndef exercises(register): pass\n"
        "def rehabkit_register_screening(register): pass\n"
        "class Holder:\n    @staticmethod\n    @hookimpl\n    def rehabkit_register_lint_rules(register): pass\n"
        "static_hook = Holder.__dict__['rehabkit_register_lint_rules']\n"
        "bound = partial(print)\nnot_a_marker = print\nNUMBER = 3\n"
        "import functools\n"
        "@hookimpl\n@functools.lru_cache(maxsize=None)\ndef rehabkit_register_outcome_measures(register): pass\n"
        "class Proxy:\n"
        "    def __init__(self, wrapped): self.__wrapped__ = wrapped\n"
        "    def __call__(self, *a, **k): return self.__wrapped__(*a, **k)\n"
        "    def __getattr__(self, name): return getattr(self.__wrapped__, name)\n"
        "    @property\n    def __class__(self): return type(self.__wrapped__)\n"
        "@hookimpl\ndef _policy(register): pass\n"
        "rehabkit_register_clinical_policy = Proxy(_policy)\n"
        "@hookimpl\nclass rehabkit_register_renderers: pass\n",
        module.__dict__,
    )
    module.odd = lambda: None
    module.odd.rehabkit_impl = "not options"  # type: ignore[attr-defined]
    plugins: list[object] = [module]
    before = set(sys.modules)
    for folder in [*(REPO / "plugins").glob("rehabkit-*/src/*"), *(REPO / "tests" / "plugins").glob("*/rehabkit_*")]:
        monkeypatch.syspath_prepend(str(folder.parent))
        try:
            plugins.append(importlib.import_module(folder.name))
        except Exception:  # a test pack that fails to import on purpose
            continue
    for name in set(sys.modules) - before:  # other tests import the packs as installed
        del sys.modules[name]
    assert len(plugins) > 8
    ours, theirs = _Pluggy("rehabkit"), pluggy.PluginManager("rehabkit")
    for plugin in plugins:
        ours.found = []
        expected = []
        for name in dir(plugin):
            mine, pluggys = ours.parse_hookimpl_opts(plugin, name), theirs.parse_hookimpl_opts(plugin, name)
            assert mine == pluggys, (plugin, name)
            if pluggys is not None:
                expected.append(pluggys.get("specname") or name)
        assert ours.found == expected
    assert "rehabkit_register_exercises" in _found(module) and "rehabkit_register_screening" not in _found(module)


def _found(module: object) -> list[str]:
    from rehabkit._plugins.manager import _Pluggy

    manager = _Pluggy("rehabkit")
    for name in dir(module):
        manager.parse_hookimpl_opts(module, name)
    return manager.found
