"""``rehabkit rules``: list the lint rules installed packs provide, or explain one."""

from __future__ import annotations

import json
import textwrap

import click

from . import EXIT_CODES, AppState, echo
from .completion import complete_rule_codes
from .exits import exit_with
from .options import format_option


@click.command(epilog=EXIT_CODES)
@click.argument("code", required=False, shell_complete=complete_rule_codes)
@format_option("text: a table (or the explanation of CODE); json: a list of rule objects.")
@click.pass_obj
def rules(state: AppState, code: str | None, output_format: str) -> None:
    """List every lint rule (code, severity, pack, summary), or explain CODE.

    CODE may also be a finding code that is not a lint rule (RK001-RK020,
    RK099, RK000: reading, parsing and the schema).

    Rules come from rehabkit itself (pack 'core') and from installed packs.
    Choose which run with 'rehabkit validate --select/--ignore'; accept one
    finding in a document with a suppression (see 'rehabkit validate --help').

    \b
    Examples:
      rehabkit rules
      rehabkit rules RK303
    """
    from .._common.errors import ExitCode
    from .._documents.finding_codes import FINDING_CODES
    from ..default_plugins.lint_rules import explain_rule

    registry = state.registry(protocols=False, exercises=False, measures=False)
    installed = registry.rules()
    # Explained with the clinical policy the packs left in force, which is what validate checks against.
    policy, set_by = registry.policy(), {name: r.pack for name, r in registry.clinical_policy.items()}
    if code is not None:
        wanted = code.strip().upper()
        chosen = [rule for rule in installed if rule.code == wanted]
        if not chosen and wanted in FINDING_CODES:
            summary, explanation = FINDING_CODES[wanted]
            if output_format == "json":
                click.echo(
                    json.dumps(
                        {
                            "code": wanted,
                            "severity": "warning" if wanted == "RK012" else "error",
                            "pack": "core",
                            "applies_to": ["any file"],
                            "summary": summary,
                            "explanation": explanation,
                        },
                        indent=2,
                    )
                )
            else:
                echo(f"{wanted}  {summary}")
                echo("reported while reading, parsing or checking a file against the schema (not a lint rule)")
                echo("")
                echo(*textwrap.wrap(explanation, width=78))
            return
        if not chosen:
            from .._common.errors import did_you_mean

            hint = did_you_mean(wanted, sorted([r.code for r in installed] + list(FINDING_CODES)))
            raise exit_with(
                ExitCode.FINDINGS, f"rehabkit: no installed lint rule {code!r}.{hint} 'rehabkit rules' lists them."
            )
        installed = chosen
    rows = [
        {
            "code": rule.code,
            "severity": str(rule.severity),
            "pack": rule.pack,
            "applies_to": sorted(rule.applies_to),
            "summary": rule.summary,
            "explanation": explain_rule(rule, policy, set_by),
        }
        for rule in installed
    ]
    if output_format == "json":
        click.echo(json.dumps(rows if code is None else rows[0], indent=2))
    elif code is not None:
        row = rows[0]
        echo(f"{row['code']}  {row['summary']}")
        echo(f"severity: {row['severity']}   pack: {row['pack']}   checks: {', '.join(row['applies_to'])} documents")
        echo("")
        echo(*textwrap.wrap(row["explanation"] or "(no explanation given by its pack)", width=78))
    else:
        widths = [max(len(r[k]) for r in rows) for k in ("code", "severity", "pack")] if rows else [0, 0, 0]
        for r in rows:
            echo(f"{r['code']:<{widths[0]}}  {r['severity']:<{widths[1]}}  {r['pack']:<{widths[2]}}  {r['summary']}")
