"""``rehabkit exercises``: the exercises installed packs provide, for protocol authors."""

from __future__ import annotations

import textwrap
from typing import Any

import click

from .._common.text import json_text, visible
from . import EXIT_CODES, AppState, echo
from .completion import complete_exercises
from .exits import error_exit
from .options import format_option


@click.command(epilog=EXIT_CODES)
@click.argument("exercise_id", metavar="[ID]", required=False, shell_complete=complete_exercises)
@click.option(
    "--region", default=None, help="Only exercises for this region (cervical, thoracic, lumbar, whole-spine)."
)
@click.option("--movement", default=None, help="Only exercises involving this movement (bend, twist, hang, ...).")
@format_option("text: a table, or one exercise in full; json: the exercises as the schema's exercise objects.")
@click.option(
    "--figure", is_flag=True, help="Write ID's figure as SVG to -o FILE.svg: the start and end pose side by side."
)
@click.option("--animated", is_flag=True, help="With --figure: the animated figure (CSS, no script).")
@click.option(
    "--gallery",
    is_flag=True,
    help="Write a page of the exercises with their figures, steps, movement tags and review, to -o FILE.html.",
)
@click.option(
    "-o", "--output", default=None, metavar="FILE", help="Where --figure or --gallery writes ('-': standard output)."
)
@click.pass_obj
def exercises(
    state: AppState,
    exercise_id: str | None,
    region: str | None,
    movement: str | None,
    output_format: str,
    figure: bool,
    animated: bool,
    gallery: bool,
    output: str | None,
) -> None:
    """List the installed exercises, or show one in full.

    The table gives each exercise's id (what a protocol's phase names), region,
    the movements it involves (checked against precautions, RK303), the earliest
    stage it suits (RK304) and its default dose; ID shows its steps, cues,
    contraindications, easier and harder versions and the pack it comes from.

    --figure writes ID's figure (docs/figures.md); --gallery a self-contained
    page of every exercise shown (all, or those --region and --movement pick)
    with its figure, for a clinician to review.

    \b
    Examples:
      rehabkit exercises
      rehabkit exercises --region cervical
      rehabkit exercises glute-bridge
      rehabkit exercises glute-bridge --figure -o glute-bridge.svg
      rehabkit exercises --gallery -o gallery.html
    """
    _check_writing(exercise_id, figure, animated, gallery, output)
    registry = state.registry(protocols=False, measures=False)
    installed = registry.exercises
    if exercise_id is not None:
        registered = _installed(installed, exercise_id)
        if figure:
            _write_figure(registered, str(output), animated)
        else:
            _show(registered, output_format)
        return
    rows = [
        r
        for _, r in sorted(installed.items())
        if (region is None or r.item.region == region) and (movement is None or movement in r.item.movements)
    ]
    if gallery:
        _write_gallery(rows, str(output))
        return
    if output_format == "json":
        click.echo(json_text([{**r.item.to_dict(), "pack": r.pack} for r in rows], indent=2))
        return
    if not rows:
        echo(
            "No installed exercise matches. Install a pack with an exercise library, for example "
            "pip install plugins/rehabkit-exercises",
            err=True,
        )
        return
    table = [("ID", "REGION", "STAGE", "MOVEMENTS", "DEFAULT DOSE")] + [
        (
            r.item.id,
            r.item.region,
            r.item.earliest_stage or "any",
            ",".join(r.item.movements) or "-",
            r.item.dose.describe() if r.item.dose else "-",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])


def _check_writing(exercise_id: str | None, figure: bool, animated: bool, gallery: bool, output: str | None) -> None:
    """--figure names an exercise, --gallery none; either writes to -o; -o and --animated go with them."""
    if figure and exercise_id is None:
        raise click.UsageError(
            "--figure writes one exercise's figure: name it (rehabkit exercises ID --figure -o F.svg)."
        )
    if gallery and (exercise_id is not None or figure):
        raise click.UsageError("--gallery shows every exercise: leave out ID and --figure.")
    if animated and not figure:
        raise click.UsageError("--animated goes with --figure.")
    if (figure or gallery) and output is None:
        raise click.UsageError("give the file to write with -o FILE (-o - for standard output).")
    if output is not None and not (figure or gallery):
        raise click.UsageError("-o is for --figure or --gallery.")


def _installed(installed: Any, exercise_id: str) -> Any:
    from .._common.errors import ExitCode, did_you_mean

    registered = installed.get(exercise_id)
    if registered is None:
        hint = did_you_mean(exercise_id, sorted(installed), " 'rehabkit exercises' lists them.")
        raise error_exit(ExitCode.FINDINGS, f"no installed exercise {exercise_id!r}.{hint}")
    return registered


def _write_figure(registered: Any, output: str, animated: bool) -> None:
    from .._common.errors import ExitCode
    from .._outputs.figures import animated_svg, still_svg
    from .rendering import write_output

    exercise = registered.item
    if exercise.figure is None:
        raise error_exit(
            ExitCode.FINDINGS,
            f"exercise {exercise.id!r} (pack {registered.pack}) has no figure: docs/figures.md shows how to "
            "give it one.",
        )
    svg = animated_svg(exercise) if animated else still_svg(exercise)
    where = write_output(output, svg.encode("utf-8"))
    if output != "-":
        echo(f"Wrote the {'animated ' if animated else ''}figure of {exercise.id} to {where}.", err=True)


def _write_gallery(rows: list[Any], output: str) -> None:
    import datetime

    from .._outputs.gallery import gallery_entry, render_gallery_html
    from .rendering import write_output

    reviews: dict[str | None, str] = {}
    entries = []
    for r in rows:
        if r.source not in reviews:
            reviews[r.source] = figure_review(r)
        entries.append(gallery_entry(r.item, r.pack, reviews[r.source]))
    page = render_gallery_html(entries, datetime.date.today())
    where = write_output(output, page.encode("utf-8"))
    if output != "-":
        drawn = sum(1 for e in entries if e.figure_svg)
        echo(f"Wrote the gallery of {len(entries)} exercises ({drawn} with a figure) to {where}.", err=True)


def figure_line(registered: Any) -> str:
    """What an exercise's figure shows and who reviewed it (its library's ``figure_review``), in one line."""
    from .._outputs.figures import seen_from

    exercise = registered.item
    poses = ", ".join(repr(pose.label) for pose in exercise.figure.poses if pose.label) or "its end position"
    return f"Figure: seen from {seen_from(exercise)}, start and {poses}. {figure_review(registered)}"


def figure_review(registered: Any) -> str:
    """Who drew and reviewed the figure of an exercise, from its library; said plainly when nothing is recorded."""
    review = _library_review(registered.source) if registered.source else None
    if review is None:
        return "Who reviewed the figure is not recorded."
    text: str = review.describe()
    return text


def _library_review(source: str) -> Any:
    from .._common.errors import DocumentError
    from .._documents.builders import library_from_document
    from .._documents.loader import load_file

    try:
        return library_from_document(load_file(source)).figure_review
    except (DocumentError, OSError):
        return None


def _show(registered: Any, output_format: str) -> None:
    exercise = registered.item
    if output_format == "json":
        click.echo(json_text({**exercise.to_dict(), "pack": registered.pack}, indent=2))
        return
    lines = [
        f"{exercise.name}  ({exercise.id}, pack {registered.pack})",
        f"Region: {exercise.region}; component: {exercise.component}; position: {exercise.position or '-'}",
        f"Movements: {', '.join(exercise.movements) or '-'}; earliest stage: {exercise.earliest_stage or 'any'}",
        f"Default dose: {exercise.dose.describe() if exercise.dose else '-'}",
    ]
    moves = exercise.dose.describe_progression() if exercise.dose else None
    if moves:
        lines.append(f"Progression: {moves}")
    if exercise.equipment:
        lines.append(f"Equipment: {', '.join(exercise.equipment)}")
    lines += [f"  {n}. {step}" for n, step in enumerate(exercise.steps, 1)]
    lines += [f"  Cue: {cue}" for cue in exercise.cues]
    lines += [f"  Avoid if: {item}" for item in exercise.contraindications]
    links = [f"easier: {exercise.regression}"] if exercise.regression else []
    links += [f"harder: {exercise.progression}"] if exercise.progression else []
    if links:
        lines.append("; ".join(links))
    if exercise.figure is not None:
        lines.append(figure_line(registered))
    for line in lines:  # a line break of the exercise's own is written out, never folded away by wrapping
        echo(*(textwrap.wrap(visible(line), width=78, subsequent_indent="     ") or [line]))
