"""A pack that registers MANY_PROTOCOLS protocols (default none) as mappings, not files: copies of the corpus's
minimal protocol with the ids many-00000, many-00001 ... Its lint rule MN001 finds nothing and, when
MANY_RULE_LOG names a file, appends a line to it each time it is called: a test counts how often the protocols
are linted."""

import json
import os
from pathlib import Path

from rehabkit import LintRule, Severity, hookimpl

REHABKIT_HOOK_API = 1
BASE = json.loads((Path(__file__).parent / "base.json").read_text())


@hookimpl
def rehabkit_register_protocols(register):
    for index in range(int(os.environ.get("MANY_PROTOCOLS", "0"))):
        register({**BASE, "id": f"many-{index:05d}", "title": f"Many {index}"})


def _logs(context):
    log = os.environ.get("MANY_RULE_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(f"{context.document.id}\n")
    return ()


@hookimpl
def rehabkit_register_lint_rules(register):
    register(LintRule(code="MN001", severity=Severity.ERROR, summary="logs each call", check=_logs))
