"""The session screen: what a patient follows at a terminal while lying on the floor.

Text is wrapped to the terminal; warnings and stops are in colour (never with
``NO_COLOR`` set, nor when the output is not a terminal); before each set the
patient presses Enter; a hold, a rest or a timed exercise (walking) counts down
on one line that updates in place, with a bell at the end of a hold; an
exercise done on each side is done side by side. Everything comes from the
plan's dose: no time is invented here. Imported only by ``rehabkit run``.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from collections.abc import Callable
from typing import TextIO

import click

from .._common.text import colour_wanted, visible
from ..engine import PlannedExercise

__all__ = ["SessionScreen", "colour_wanted"]


class SessionScreen:
    """Shows a session at a terminal, and guides the patient through each exercise's sets, holds and rests."""

    def __init__(self, stream: TextIO | None = None, colour: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.terminal = _isatty(self.stream)
        #: ``None``: colour on a terminal unless NO_COLOR; ``True``/``False``: ``--color always``/``never``.
        self.colour = colour_wanted(self.stream) if colour is None else colour
        try:
            self.width = max(40, os.get_terminal_size(self.stream.fileno()).columns) if self.terminal else 0
        except (OSError, ValueError, AttributeError):
            self.width = 80

    # --- lines ---------------------------------------------------------------

    def _wrap(self, text: str) -> str:
        """One line of the session, wrapped to the terminal under its marker ('  1. ', '  - '): every control
        character in it, a newline included, written out, since the line may hold a pack's words."""
        text = visible(text)
        if not self.width or not text.strip():
            return text
        stripped = text.lstrip(" ")
        indent = " " * (len(text) - len(stripped))
        marker = stripped.split(" ", 1)[0]
        numbered = marker[:-1].isdigit() and marker.endswith(".")
        hanging = indent + " " * (len(marker) + 1 if numbered or marker == "-" else 0)
        return textwrap.fill(text, width=self.width - 1, subsequent_indent=hanging)

    def say(self, text: str) -> None:
        """A line of the session, wrapped to the terminal (a newline in ``text`` is written out, never sent)."""
        click.echo(self._wrap(text), file=self.stream)

    def warn(self, text: str) -> None:
        """A warning (a note from screening, a plan lowered, pain above a limit): in yellow on a colour terminal."""
        click.echo(self._styled(self._wrap(text), fg="yellow", bold=True), file=self.stream, color=self.colour)

    def stop(self, text: str) -> None:
        """A stop (the session or the course is stopped, see your clinician, get help): in red on a colour terminal."""
        click.echo(self._styled(self._wrap(text), fg="red", bold=True), file=self.stream, color=self.colour)

    def _styled(self, text: str, **style: object) -> str:
        return click.style(text, **style) if self.colour else text  # type: ignore[arg-type]

    # --- guiding ------------------------------------------------------------

    def pace(self, item: PlannedExercise) -> None:
        """Guide one exercise at today's dose: Enter before each set (and side), holds and rests counted down."""
        dose = item.dose
        if dose is None:
            self._enter("Do it as your clinician showed you, then press Enter")
            return
        sets = dose.sets.min if dose.sets else 1
        reps = dose.reps.min if dose.reps else 1
        hold = dose.hold_seconds.min if dose.hold_seconds else 0
        rest = dose.rest_seconds.max if dose.rest_seconds else 0
        minutes = dose.duration_minutes.min if dose.duration_minutes else 0
        sides = ("left side", "right side") if dose.side == "each" else (None,)
        for set_number in range(1, sets + 1):
            for side in sides:
                where = f"set {set_number}/{sets}" + (f", {side}" if side else "")
                self._enter(f"Press Enter to start {where}")
                if minutes:
                    name = visible(item.exercise.name)  # pack text: never sent raw, never a format string
                    self._countdown(minutes * 60, _line(f"{name}: ", " left"), clock=True)
                    self._bell()
                elif hold:
                    for rep in range(1, reps + 1):
                        self._countdown(hold, _line(f"{where} · rep {rep}/{reps} · hold ", ""))
                        self._bell()
                else:
                    self._enter(f"Do {reps} {'rep' if reps == 1 else 'reps'} at your own pace, then press Enter")
            if rest and set_number < sets:
                self._countdown(rest, _line("Rest ", " before the next set"))
        self.say(f"  Done: {item.exercise.name}.")

    def _enter(self, prompt: str) -> None:
        try:
            click.prompt(f"  {prompt}", default="", show_default=False, prompt_suffix=" ", err=False)
        except click.Abort:
            raise KeyboardInterrupt from None

    def _countdown(self, seconds: int, line: Callable[[str], str], *, clock: bool = False) -> None:
        """Count ``seconds`` down on one line (updated in place on a terminal, shown once otherwise); ``line`` makes
        the line from the time left."""

        def shown(left: int) -> str:
            return line(f"{left // 60}:{left % 60:02d}" if clock else f"{left} s")

        if not self.terminal:
            self.say(f"  {shown(seconds)}")
            time.sleep(seconds)
            return
        try:
            for left in range(seconds, 0, -1):
                self.stream.write(f"\r  {shown(left)}\x1b[K")
                self.stream.flush()
                time.sleep(1)
            self.stream.write(f"\r  {shown(0)}\x1b[K\n")
            self.stream.flush()
        except KeyboardInterrupt:
            self.stream.write("\n")
            self.stream.flush()
            raise

    def _bell(self) -> None:
        if self.terminal:
            self.stream.write("\a")
            self.stream.flush()


def _line(before: str, after: str) -> Callable[[str], str]:
    """A countdown line: ``before``, the time left, ``after`` (joined, never formatted: names may hold braces)."""

    def line(left: str) -> str:
        return before + left + after

    return line


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
