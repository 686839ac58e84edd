"""``rehabkit validate``: check protocol files and directories."""

from __future__ import annotations

from typing import Any

import click

from . import EXIT_CODES, AppState
from .completion import complete_rule_codes
from .exits import exit_with
from .options import format_option
from .reporters import REPORTERS, CheckResults


@click.command(epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@format_option(
    "text: one 'path:line:col: CODE message [$.json.path]' line per finding; json: a report object; "
    "github: GitHub Actions workflow annotations.",
    more=("github",),
)
@click.option(
    "--select",
    "select",
    multiple=True,
    shell_complete=complete_rule_codes,
    metavar="CODES",
    help="Run only these lint rules: codes or prefixes, comma-separated or repeated (RK3,RK101).",
)
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    shell_complete=complete_rule_codes,
    metavar="CODES",
    help="Do not run these lint rules (codes or prefixes); wins over --select. "
    "Load and schema errors are always reported.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: one per core this process may use, and at most one per 250 files; "
    "fewer than 64 files run in one process).",
)
@click.option(
    "--strict",
    "fail_on_warnings",
    is_flag=True,
    help="Warnings fail too (exit 1), for CI. "
    "Not the same as 'rehabkit --strict', which makes a broken plugin pack fatal.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print the findings only, without the summary.")
@click.option("-v", "--verbose", is_flag=True, help="Also name every file checked, with 'ok' when it has no finding.")
@click.pass_obj
def validate(
    state: AppState,
    paths: tuple[str, ...],
    output_format: str,
    jobs: int | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on_warnings: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Check protocols and exercise libraries against their schema, then the lint rules.

    PATHS are .json, .yaml or .yml files, or directories searched recursively
    (hidden entries skipped). Files need not belong to an installed pack;
    exercises they name may come from installed exercise libraries or from
    exercise-library documents among PATHS. 'rehabkit rules' lists the rules.

    A document accepts a lint finding on purpose with a reason: in YAML a
    comment '# rehabkit: ignore[RK204] reason' on the finding's line (or the
    line above), in any document a 'suppress' entry
    {code, path, reason}. A suppression without a reason is an error (RK011);
    one that matches nothing is reported (RK012). Two files holding the same
    id and version are an error (RK013). Lint rules run on a document once it
    matches the schema: the summary says which did not get that far.

    \b
    Examples:
      rehabkit validate protocols/
      rehabkit validate my-protocol.yaml --format json
      rehabkit validate protocols/ --ignore RK204 --format github
      rehabkit validate protocols/ --strict
    """
    from .._documents.validation import check_paths

    results = CheckResults(check_paths(paths, _checker(state, select, ignore), jobs=jobs))
    REPORTERS[output_format](state, results, quiet=quiet, verbose=verbose)
    code = results.exit_code(fail_on_warnings=fail_on_warnings)
    if code:
        raise exit_with(code)


def _checker(state: AppState, select: tuple[str, ...], ignore: tuple[str, ...]) -> Any:
    """The checker of the rules --select and --ignore choose (a usage error when one matches no installed rule)."""
    from .._common.lazy import LazyMapping
    from .._documents.lint import RuleSelection
    from .._documents.validation import Checker

    registry = state.registry(protocols=False, exercises=False, renderers=False, red_flags=False)
    rules = registry.rules()
    selection = RuleSelection(select=_codes(select), ignore=_codes(ignore))
    unmatched = selection.unmatched(rule.code for rule in rules)
    if unmatched:
        raise click.UsageError(
            f"no installed lint rule matches {', '.join(map(repr, unmatched))}; 'rehabkit rules' lists them."
        )
    return Checker(
        policy=registry.policy(),
        measure_scales=registry.measure_scales() or None,
        # the installed libraries, read only if a document names an exercise it does not define itself
        library=LazyMapping(
            lambda: state.registry(protocols=False, measures=False, renderers=False).exercise_library()
        ),
        rules=selection.apply(rules),
        known_codes=frozenset(rule.code for rule in rules),
        # the installed red-flag libraries, read only if a protocol takes questions from one
        red_flag_libraries=LazyMapping(
            lambda: state.registry(protocols=False, measures=False, renderers=False).red_flag_library()
        ),
    )


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code.strip().upper() for value in values for code in value.split(",") if code.strip())
