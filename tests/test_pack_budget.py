"""Plugin packs that fail, hang or raise KeyboardInterrupt (issue 29, findings 5-7), through real installed packs.

The hostile test pack (tests/plugins/rehabkit-test-hostile) misbehaves as HOSTILE_BEHAVIOUR says: a lint rule
that exits, a hook or rule that sleeps for ten minutes, a KeyboardInterrupt of its own. Every command runs as a
real process; one that could hang has a timeout of ten times its budget and more, far below the pack's sleep, and
the tests wait for what the command writes, never for a fixed time.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, clean_env, ctrl_c_as_at_a_terminal

NECK_PAIN = REPO / "protocols" / "neck" / "neck-pain.yaml"
#: The budget the tests give a pack's code (REHABKIT_PACK_TIMEOUT), in seconds.
BUDGET = "1"
#: The longest a command that must not hang may take: the budget, and a wide margin for a busy 2-core machine.
#: The hostile pack sleeps 600 s, so a hang cannot pass for a slow run.
MARGIN = 90


def _env(test_packs: dict[str, Path], behaviour: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        HOSTILE_BEHAVIOUR=behaviour,
        PYTHONPATH=str(test_packs["hostile"]),
        REHABKIT_CACHE_DIR=str(tmp_path / "cache"),
        **extra,
    )


def _command(test_packs: dict[str, Path], tmp_path: Path, behaviour: str, *args: str, **extra: str) -> Any:
    """Run ``rehabkit ARGS`` with the hostile pack behaving as ``behaviour``; a hang fails the test (timeout)."""
    extra.setdefault("REHABKIT_PACK_TIMEOUT", BUDGET)
    return subprocess.run(
        [sys.executable, "-m", "rehabkit", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_env(test_packs, behaviour, tmp_path, **extra),
        timeout=MARGIN,
    )


# --- finding 5: a lint rule that fails is one failure, one exit code, in every command -------------------------

RULE_CHECKING_COMMANDS = [
    ("validate", str(NECK_PAIN)),
    ("list",),
    ("list", "--format", "json"),
    ("show", "neck-pain"),
    ("run", "neck-pain", "--plan", "--patient", "P1"),
    ("handout", "neck-pain", "-o", "{tmp}/handout.html"),
]


@pytest.mark.parametrize("behaviour", ["rule-exits", "hang-in-rule", "rule-interrupts"])
@pytest.mark.parametrize("args", RULE_CHECKING_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_lint_rule_that_fails_exits_3_in_every_command_that_checks_a_protocol(
    test_packs, tmp_path, behaviour, args
) -> None:
    """A rule that raises (SystemExit), takes longer than its budget or raises KeyboardInterrupt itself is
    RK099, exit 3 (the README's 'a lint rule from a pack raised'), named with its pack: validate said 3, run 1,
    list and show 0."""
    rule = {"rule-exits": "HX001", "hang-in-rule": "HX003", "rule-interrupts": "HX004"}[behaviour]
    what = {
        "rule-exits": "failed (SystemExit: 0)",
        "hang-in-rule": f"took longer than {BUDGET} s and was stopped (REHABKIT_PACK_TIMEOUT",
        "rule-interrupts": "failed (KeyboardInterrupt: raised by the rule)",
    }[behaviour]
    result = _command(test_packs, tmp_path, behaviour, *(a.format(tmp=tmp_path) for a in args))
    assert result.returncode == 3, result.stderr
    assert f"RK099 lint rule {rule} from pack 'test-hostile' {what}" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if args[0] != "validate":
        assert "block its pack with -p no:PACK" in result.stderr
    if args[0] == "run":
        assert "Today's plan" not in result.stdout  # a protocol that could not be checked is not run


def test_list_still_lists_when_a_rule_fails_and_a_failure_is_not_kept_in_the_cache(test_packs, tmp_path) -> None:
    first = _command(test_packs, tmp_path, "rule-exits", "list")
    assert first.returncode == 3 and "neck-pain (!)" in first.stdout
    healed = _command(test_packs, tmp_path, "", "list")  # the rule works again: nothing cached says otherwise
    assert healed.returncode == 0, healed.stderr
    assert "(!)" not in healed.stdout and "RK099" not in healed.stderr


# --- finding 6: a KeyboardInterrupt a pack raises is its failure; the user's Ctrl-C is the user's --------------


def test_a_keyboard_interrupt_a_pack_raises_is_its_failure_not_the_users_ctrl_c(test_packs, tmp_path) -> None:
    result = _command(test_packs, tmp_path, "interrupt-in-hook", "list")
    assert result.returncode == 0, result.stderr
    assert (
        "rehabkit: warning: plugin pack 'test-hostile' failed: hook rehabkit_register_screening raised "
        "KeyboardInterrupt" in result.stderr
    )
    assert "interrupted" not in result.stderr and "neck-pain" in result.stdout
    plugins = _command(test_packs, tmp_path, "interrupt-in-hook", "plugins")
    assert plugins.returncode == 0 and "test-hostile (rehabkit-test-hostile 0.0.1): failed" in plugins.stdout


def _interrupt_when(process: subprocess.Popen[str], text: str) -> str:
    """Read the process's standard error until ``text`` shows (at most MARGIN seconds), press Ctrl-C (SIGINT), and
    return all it wrote."""
    import queue
    import threading

    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stderr or ()], daemon=True)
    reader.start()
    seen = ""
    try:
        while text not in seen:
            seen += lines.get(timeout=MARGIN)
    except queue.Empty:
        process.kill()
        pytest.fail(f"the command did not write {text!r} within {MARGIN} s: {seen}")
    process.send_signal(signal.SIGINT)
    process.wait(timeout=MARGIN)
    reader.join(timeout=MARGIN)
    while not lines.empty():
        seen += lines.get()
    return seen


def _started(test_packs, tmp_path: Path, behaviour: str, *args: str, budget: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rehabkit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=_env(test_packs, behaviour, tmp_path, REHABKIT_PACK_TIMEOUT=budget),
        preexec_fn=ctrl_c_as_at_a_terminal,
    )


@pytest.mark.parametrize(
    ("behaviour", "args", "where"),
    [
        ("hang-in-hook", ("list",), "was running its hook rehabkit_register_screening"),
        ("hang-in-rule", ("validate", str(NECK_PAIN)), "was running its lint rule HX003"),
    ],
)
def test_ctrl_c_while_a_pack_hangs_with_no_budget_is_the_users(test_packs, tmp_path, behaviour, args, where) -> None:
    """With the budget off (REHABKIT_PACK_TIMEOUT=0) a hanging pack hangs; the user's Ctrl-C stops the command
    (exit 130), naming the pack where it was running its hook."""
    process = _started(test_packs, tmp_path, behaviour, *args, budget="0")
    err = _interrupt_when(process, "hostile pack hangs in")
    assert process.returncode == 130, err
    assert f"interrupted while plugin pack 'test-hostile' {where}" in err
    assert "block it with -p no:test-hostile" in err
    assert "Traceback" not in err


# --- finding 7: a pack that hangs does not hang everything -----------------------------------------------------


@pytest.mark.parametrize("args", [("list",), ("plugins",), ("validate", str(NECK_PAIN)), ("show", "neck-pain")])
def test_a_hook_that_hangs_is_stopped_after_its_budget_and_its_pack_set_aside(test_packs, tmp_path, args) -> None:
    result = _command(test_packs, tmp_path, "hang-in-hook", *args)
    assert result.returncode == 0, result.stderr
    words = f"hook rehabkit_register_screening took longer than {BUDGET} s and was stopped (REHABKIT_PACK_TIMEOUT"
    assert words in result.stdout + result.stderr
    assert (
        "plugin pack 'test-hostile' failed" in result.stderr or "test-hostile (rehabkit-test-hostile" in result.stdout
    )


def test_a_rule_that_hangs_costs_one_budget_not_one_per_protocol(test_packs, tmp_path) -> None:
    """The rule is stopped once and set aside for the rest of the command: it starts once (it says so as it
    starts), though list checks every installed protocol."""
    result = _command(test_packs, tmp_path, "hang-in-rule", "list")
    assert result.returncode == 3
    assert result.stdout.count("(!)") >= 10  # every protocol is listed, each marked
    assert result.stderr.count("hostile pack hangs in a rule") == 1


def test_a_pack_still_importing_after_the_budget_is_named_with_how_to_block_it(test_packs, tmp_path) -> None:
    """An import is not interrupted; after the budget a line names the pack and how to block it, and Ctrl-C
    then stops the command naming it."""
    process = _started(test_packs, tmp_path, "hang-in-import", "plugins", budget=BUDGET)
    err = _interrupt_when(process, "is still being imported")
    assert (
        f"rehabkit: plugin pack 'test-hostile' is still being imported after {BUDGET} s. If it hangs, press Ctrl-C "
        "and block it with -p no:test-hostile (or REHABKIT_BLOCK_PLUGINS=test-hostile)." in err
    )
    assert process.returncode == 130
    assert "interrupted while plugin pack 'test-hostile' was being imported" in err


def test_the_pack_that_hung_can_be_blocked(test_packs, tmp_path) -> None:
    result = _command(test_packs, tmp_path, "hang-in-import", "-p", "no:test-hostile", "list")
    assert result.returncode == 0 and "neck-pain" in result.stdout


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_budget_that_is_not_a_number_of_seconds_is_a_usage_error(test_packs, tmp_path, value) -> None:
    result = _command(test_packs, tmp_path, "", "list", REHABKIT_PACK_TIMEOUT=value)
    assert result.returncode == 2
    assert f"REHABKIT_PACK_TIMEOUT={value!r} is not a number of seconds" in result.stderr
    assert "Traceback" not in result.stderr


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=12), st.floats(allow_nan=True, allow_infinity=True).map(str)))
def test_any_budget_setting_is_a_number_of_seconds_none_or_an_error_naming_the_variable(text: str) -> None:
    """Whatever REHABKIT_PACK_TIMEOUT holds, the budget is a positive finite number of seconds, None (no budget:
    0, off, ...), the default (empty), or a ValueError that names the variable; never anything else."""
    from rehabkit._common.pack_budget import DEFAULT_SECONDS, budget_seconds

    try:
        seconds = budget_seconds({"REHABKIT_PACK_TIMEOUT": text})
    except ValueError as exc:
        assert str(exc).startswith(f"REHABKIT_PACK_TIMEOUT={text.strip()!r} is not a number of seconds")
        return
    if not text.strip():
        assert seconds == DEFAULT_SECONDS
    elif seconds is not None:
        assert 0 < seconds < float("inf") and seconds == float(text.strip())
    else:  # str.strip() takes more as space than float() does ("0\x1f" is 0)
        assert text.strip().lower() in ("off", "no", "false", "none") or float(text.strip()) == 0
