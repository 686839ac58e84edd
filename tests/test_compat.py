"""Hook API compatibility and load-time hook checks, with real installed packs.

An incompatible pack, one that declares no hook API, one with a misspelt or
undecorated hook and one whose hook asks for an argument the hook does not
offer are each reported by name with what to do, and the other packs keep
working.
"""

from __future__ import annotations

import json

import yaml

from rehabkit import HOOK_API_VERSION, __version__
from rehabkit._plugins.compat import HOOK_API_INTRODUCED, SUPPORTED_HOOK_APIS

from conftest import PROTOCOLS

BAD = ["future-api", "undeclared", "misspelt", "wrong-args"]


def _packs(rehabkit, *args):
    result = rehabkit("plugins", "--format", "json", *args, packs=BAD)
    return result, {p["name"]: p for p in json.loads(result.stdout)}


def test_a_pack_for_a_newer_hook_api_is_refused_naming_the_rehabkit_it_needs(rehabkit) -> None:
    _result, packs = _packs(rehabkit)
    future = packs["test-future-api"]
    assert future["status"] == "incompatible"
    assert future["registered"] == {}
    (message,) = future["errors"]
    assert f"was written for hook API 2, but rehabkit {__version__} provides hook API {HOOK_API_VERSION}" in message
    # The release it needs comes from the pack's own requirement on rehabkit.
    assert "it needs rehabkit>=0.3 (from the requirements of rehabkit-test-future-api)" in message
    assert "upgrade rehabkit" in message and "-p no:test-future-api" in message


def test_a_pack_that_declares_no_hook_api_is_told_the_line_to_add(rehabkit) -> None:
    _, packs = _packs(rehabkit)
    undeclared = packs["test-undeclared"]
    assert undeclared["status"] == "incompatible"
    assert f"add 'REHABKIT_HOOK_API = {HOOK_API_VERSION}' to 'rehabkit_test_undeclared'" in undeclared["errors"][0]


def test_misspelt_and_undecorated_hooks_fail_the_pack_at_load_time(rehabkit) -> None:
    _, packs = _packs(rehabkit)
    misspelt = packs["test-misspelt"]
    assert misspelt["status"] == "failed"
    errors = "\n".join(misspelt["errors"])
    assert (
        "implements rehabkit_register_protocol, which is not a rehabkit hook, so rehabkit would never call it. "
        "Did you mean 'rehabkit_register_protocols'?" in errors
    )
    assert "defines rehabkit_register_lint_rules without @hookimpl" in errors
    # Its valid hook is set aside with the rest of the pack.
    assert misspelt["registered"] == {}


def test_a_hook_with_an_argument_the_hook_does_not_offer_fails_the_pack(rehabkit) -> None:
    _, packs = _packs(rehabkit)
    wrong = packs["test-wrong-args"]
    assert wrong["status"] == "failed"
    assert "rehabkit_register_screening" in wrong["errors"][0]
    assert "clinic" in wrong["errors"][0]


def test_the_other_packs_keep_working_and_every_bad_pack_is_named(rehabkit) -> None:
    result, packs = _packs(rehabkit)
    assert result.returncode == 0
    assert all(packs[name]["status"] == "loaded" for name in ("core", "exercises", "neck", "low-back", "post-surgery"))
    listed = rehabkit("list", packs=BAD)
    assert listed.returncode == 0
    assert "neck-pain" in listed.stdout
    for name, verb in (
        ("test-future-api", "is incompatible"),
        ("test-undeclared", "is incompatible"),
        ("test-misspelt", "failed"),
        ("test-wrong-args", "failed"),
    ):
        assert f"rehabkit: warning: plugin pack {name!r} {verb}:" in listed.stderr
    assert "Traceback" not in listed.stderr


def test_nothing_a_refused_pack_registered_reaches_a_session(rehabkit, tmp_path) -> None:
    # Answers name neck-pain's own red flags one by one: an extra question from a bad pack would be unanswered.
    protocol = yaml.safe_load((PROTOCOLS / "neck" / "neck-pain.yaml").read_text())
    answers = {
        "screening": {flag["id"]: False for flag in protocol["red_flags"]},
        "pain_before": 2,
        "exercises": {"all": 2},
        "pain_after": 2,
        "new_symptom": False,
    }
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    db = str(tmp_path / "s.db")
    approved = rehabkit("approve", "P-1", "--protocol", "neck-pain", "--phase", "acute", "--db", db, packs=BAD)
    assert approved.returncode == 0, approved.stderr
    result = rehabkit(
        "run",
        "neck-pain",
        "--patient",
        "P-1",
        "--answers",
        str(path),
        "--db",
        str(tmp_path / "s.db"),
        "--format",
        "json",
        packs=BAD,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["decision"]["action"] == "continue"


def test_strict_mode_turns_each_of_them_into_exit_3(rehabkit) -> None:
    for pack in BAD:
        result = rehabkit("--strict", "list", packs=[pack])
        assert result.returncode == 3, (pack, result.stderr)
        assert f"plugin pack 'test-{pack}'" in result.stderr


def test_every_supported_hook_api_names_the_release_that_introduced_it() -> None:
    assert HOOK_API_VERSION in SUPPORTED_HOOK_APIS
    assert set(SUPPORTED_HOOK_APIS) <= set(HOOK_API_INTRODUCED)
