"""A pack that misbehaves on purpose, in the ways HOSTILE_BEHAVIOUR (comma-separated) names:

print-on-import, print-in-hook, exit-in-import, hang-in-import (sleeps until interrupted), exit-in-hook
(SystemExit(0) in its lint-rules hook), interrupt-in-hook (KeyboardInterrupt in its screening hook), hang-in-hook
(its screening hook sleeps until interrupted), hang-in-rule (a registered lint rule HX003 sleeping until interrupted),
rule-interrupts (a registered lint rule HX004 raising KeyboardInterrupt), policy-hangs (its progression policy sleeps),
base-in-hook (a BaseException of its own in its protocols hook), rule-exits (a registered lint rule raising
SystemExit(0)), policy-exits (its progression policy raising SystemExit(0)), policy-string (its policy
answering a string), policy-raises (its policy raising ValueError), renderer-raises / renderer-exits /
renderer-number (its renderer ``hostile`` raising ValueError, SystemExit(0), or returning a number),
text-escapes (its words hold escape sequences, a bell, a bidirectional override and newlines: the protocol file
HOSTILE_PROTOCOL and the exercise-library file HOSTILE_EXERCISES are registered, with a screening question and a
lint rule of its own, its renderer raises with such a message, and its command 'hostile-fails' ends with one).
rehabkit must name the pack for each, keep stdout clean and keep every other pack working, and never send a pack's
control characters to the terminal.
"""

import os

from rehabkit import LintRule, Renderer, Severity, hookimpl

REHABKIT_HOOK_API = 1
BEHAVIOUR = set(filter(None, os.environ.get("HOSTILE_BEHAVIOUR", "").split(",")))

if "print-on-import" in BEHAVIOUR:
    print("hostile pack says hello on stdout")
if "exit-in-import" in BEHAVIOUR:
    raise SystemExit(0)
if "hang-in-import" in BEHAVIOUR:
    import time

    print("hostile pack hangs", flush=True)
    time.sleep(600)


class HostileError(BaseException):
    """Not an Exception: only a catch-all for BaseException stops it."""


def _exits(context):
    raise SystemExit(0)


def _hang(where):
    import time

    print(f"hostile pack hangs in {where}", flush=True)  # a pack's prints go to stderr
    time.sleep(600)


def _hangs(context):
    _hang("a rule")
    return ()


def _interrupts(context):
    raise KeyboardInterrupt("raised by the rule")


#: What a hostile pack's words may hold (tests/test_hardening.py's PACK_ESCAPES): a terminal title, a bell, a cleared
#: screen, a bidirectional override, the 8-bit CSI and NEXT LINE controls, a carriage return, and a newline forging a
#: line.
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\u202e\x9b2J\x85\r\nFORGED LINE"


def _quiet(context):
    return ()


@hookimpl
def rehabkit_register_lint_rules(register):
    if "print-in-hook" in BEHAVIOUR:
        print("hostile pack prints from a hook")
    if "exit-in-hook" in BEHAVIOUR:
        raise SystemExit(0)
    if "rule-exits" in BEHAVIOUR:
        register(LintRule(code="HX001", severity=Severity.ERROR, summary="exits", check=_exits))
    if "hang-in-rule" in BEHAVIOUR:
        register(LintRule(code="HX003", severity=Severity.ERROR, summary="hangs", check=_hangs))
    if "rule-interrupts" in BEHAVIOUR:
        register(LintRule(code="HX004", severity=Severity.ERROR, summary="interrupts", check=_interrupts))
    if "text-escapes" in BEHAVIOUR:
        register(
            LintRule(
                code="HX002",
                severity=Severity.WARNING,
                summary=f"escapes{ESCAPES}",
                check=_quiet,
                explanation=f"Explained{ESCAPES}",
            )
        )


@hookimpl
def rehabkit_register_screening(register):
    if "interrupt-in-hook" in BEHAVIOUR:
        raise KeyboardInterrupt
    if "hang-in-hook" in BEHAVIOUR:
        _hang("a hook")
    if "text-escapes" in BEHAVIOUR:
        register(
            {
                "id": "hostile-question",
                "question": f"Hostile question{ESCAPES}?",
                "action": "note",
                "message": f"Hostile note{ESCAPES}",
            }
        )


@hookimpl
def rehabkit_register_exercises(register):
    if "text-escapes" in BEHAVIOUR:
        register(os.environ["HOSTILE_EXERCISES"])


@hookimpl
def rehabkit_register_protocols(register):
    if "base-in-hook" in BEHAVIOUR:
        raise HostileError("a BaseException of the pack's own")
    if "text-escapes" in BEHAVIOUR:
        register(os.environ["HOSTILE_PROTOCOL"])


@hookimpl
def rehabkit_progression_decision(plan, result, facts):
    if "policy-exits" in BEHAVIOUR:
        raise SystemExit(0)
    if "policy-hangs" in BEHAVIOUR:
        _hang("its policy")
    if "policy-string" in BEHAVIOUR:
        return "continue"
    if "policy-raises" in BEHAVIOUR:
        raise ValueError("the policy broke")
    return None


def _render(content):
    if "renderer-raises" in BEHAVIOUR:
        raise ValueError("the renderer broke")
    if "text-escapes" in BEHAVIOUR:
        raise ValueError(f"the renderer broke{ESCAPES}")
    if "renderer-exits" in BEHAVIOUR:
        raise SystemExit(0)
    if "renderer-number" in BEHAVIOUR:
        return 42
    return "<p>" + content.statement + "</p>"  # unescaped on purpose: rehabkit's own renderers must not be like this


@hookimpl
def rehabkit_register_renderers(register):
    register(
        Renderer(name="hostile", kinds=("protocol-phase", "course-report"), file_types=("html",), function=_render)
    )


@hookimpl
def rehabkit_register_commands(register):
    if "text-escapes" in BEHAVIOUR:
        import click

        @click.command("hostile-fails")
        def fails():
            """Ends with an error whose message holds escapes."""
            raise click.ClickException(f"it failed{ESCAPES}")

        register(fails)
