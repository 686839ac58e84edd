"""The session screen: what a patient follows at a terminal while lying on the floor.

Text, questions included, is wrapped at word boundaries to the terminal; warnings
and stops are in colour (never with ``NO_COLOR`` set, nor when the output is not
a terminal); before each set the patient presses Enter; a hold, the relaxation
between holds, a rest or a timed exercise (walking) counts down on one line that
updates in place, with a bell at the end of a hold; an exercise done on each
side is done side by side, or once with the sides alternating when its steps
change sides. While a count runs, keys act at once: space pauses, ``s`` skips a
rest, ``x`` stops the exercise part-way and ``h`` reports pain above the limit;
any other key, Enter included, is ignored, and keys pressed before a question
are discarded, so that nothing typed during a countdown answers a later
question. Answers the screen cannot take are explained in the patient's words.
Everything comes from the plan's dose and the clinical policy: no time is
invented here. Imported only by ``rehabkit run``.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import click

from .._common.text import colour_wanted, visible
from .._sessions.runner import Guide, Paced
from .typed_answers import parse_pain

__all__ = ["KEYS_HELP", "SessionScreen", "colour_wanted", "discard_type_ahead", "parse_pain", "parse_yes_no"]

#: What the keys do while a count runs, shown before an exercise is guided.
KEYS_HELP = (
    "  Keys while a count runs: space pause, s skip a rest, x stop this exercise, h pain above your limit "
    "(before a set: type x or h, then Enter)."
)
#: Answers meaning "not sure" to a red-flag question.
NOT_SURE_WORDS = frozenset({"?", "not sure", "not-sure", "unsure", "maybe", "don't know", "dont know", "do not know"})
_YES = frozenset({"y", "yes"})
_NO = frozenset({"n", "no"})


class _Stopped(Exception):
    """The patient stopped the exercise (``x``), or pain above its limit did (``h``)."""

    def __init__(self, for_pain: bool) -> None:
        super().__init__("stopped")
        self.for_pain = for_pain


def discard_type_ahead() -> None:
    """Forget keys pressed before a question is shown (a real terminal only: piped answers are never dropped)."""
    try:
        if not sys.stdin.isatty():
            return
        import termios

        termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
    except (ImportError, OSError, ValueError, AttributeError):
        return


def parse_yes_no(text: str, not_sure: bool) -> bool | str | None:
    """``True``/``False`` for yes/no, ``None`` for not sure (where allowed), else the message saying what to type."""
    word = " ".join(text.strip().lower().replace("\u2019", "'").split())
    if word in _YES:
        return True
    if word in _NO:
        return False
    if not_sure and word in NOT_SURE_WORDS:
        return None
    if not_sure:
        return "Please answer y for yes, n for no, or ? if you are not sure."
    return "Please answer y for yes or n for no."


class _Keys:
    """Keys pressed while a count runs, read one at a time without echo (a real terminal only); on leaving, the
    terminal is as it was and anything not read is discarded."""

    def __init__(self) -> None:
        self.fd: int | None = None
        self.saved: list[Any] | None = None

    def __enter__(self) -> _Keys:
        try:
            if sys.stdin.isatty():
                import termios
                import tty

                self.fd = sys.stdin.fileno()
                self.saved = termios.tcgetattr(self.fd)
                tty.setcbreak(self.fd)  # no echo, no line editing; Ctrl-C still interrupts
        except (ImportError, OSError, ValueError, AttributeError):
            self.fd = self.saved = None
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()
        self.fd = self.saved = None

    def _restore(self) -> None:
        if self.fd is not None and self.saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            termios.tcflush(self.fd, termios.TCIFLUSH)

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """The terminal as it was (echo, whole lines) while a question is asked, then keys again."""
        self._restore()
        try:
            yield
        finally:
            if self.fd is not None:
                import tty

                tty.setcbreak(self.fd)

    def read(self, timeout: float | None) -> str:
        """The keys pressed within ``timeout`` seconds (``None``: until one is), or "" when none was."""
        if self.fd is None:
            if timeout is not None:
                time.sleep(max(0.0, timeout))
            return ""
        import select

        ready, _, _ = select.select([self.fd], [], [], None if timeout is None else max(0.0, timeout))
        return os.read(self.fd, 64).decode("utf-8", "replace").lower() if ready else ""


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
        return textwrap.fill(text, width=self.width - 1, subsequent_indent=hanging, break_on_hyphens=False)

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

    # --- questions ------------------------------------------------------------

    def ask(self, prompt: str, suffix: str = "", *, err: bool = True) -> str:
        """What the patient types after ``prompt`` and its ``suffix`` (``[y/n]``, kept whole), wrapped at word
        boundaries to the terminal, keys pressed before it discarded. Ctrl-C or the end of input raise
        KeyboardInterrupt."""
        text = self._wrap(prompt)
        if suffix:
            last = text.rpartition("\n")[2]
            fits = not self.width or len(last) + 1 + len(suffix) < self.width
            text += (" " if fits else "\n") + suffix
        discard_type_ahead()
        try:
            typed = click.prompt(text, default="", show_default=False, prompt_suffix=" ", err=err, type=str)
        except click.Abort:
            raise KeyboardInterrupt from None
        return str(typed)

    def yes_no(self, question: str, *, not_sure: bool = False) -> bool | None:
        """A yes or no (``None``: not sure, where ``not_sure`` allows it), asked again until it is one."""
        suffix = "[y/n, ? if not sure]" if not_sure else "[y/n]"
        while True:
            answer = parse_yes_no(self.ask(question, suffix), not_sure)
            if not isinstance(answer, str):
                return answer
            click.echo(self._wrap(f"  {answer}"), err=True)

    def pain(self, prompt: str) -> float:
        """A pain score from 0 to 10, asked again until it is one."""
        while True:
            answer = parse_pain(self.ask(f"{prompt}:"))
            if not isinstance(answer, str):
                return answer
            click.echo(self._wrap(f"  {answer}"), err=True)

    # --- guiding ------------------------------------------------------------

    def pace(self, guide: Guide) -> Paced:
        """Guide one exercise at today's dose: Enter before each set (and side), holds, relaxation and rests
        counted down; how it ended (done, or stopped part-way by the patient or by pain above its limit)."""
        item, dose = guide.item, guide.item.dose
        sets = dose.sets.min if dose is not None and dose.sets else 1
        done = 0
        try:
            if dose is None:
                self._enter("Do it as your clinician showed you, then press Enter", guide)
            else:
                self.say(KEYS_HELP)
                rest = dose.rest_seconds.max if dose.rest_seconds else 0
                for set_number in range(1, sets + 1):
                    self._set(guide, set_number, sets)
                    done = set_number
                    if rest and set_number < sets:
                        self._countdown(guide, rest, _line("Rest ", " before the next set"), skippable=True)
        except _Stopped as stopped:
            if not stopped.for_pain:
                self.warn(f"  Stopped part-way: {item.exercise.name}, after {done} of {sets} sets.")
            return Paced(stopped_after=done, sets=sets, for_pain=stopped.for_pain)
        self.say(f"  Done: {item.exercise.name}.")
        return Paced(sets=sets)

    def _set(self, guide: Guide, set_number: int, sets: int) -> None:
        """One set: side by side, or once with the sides alternating (the exercise's ``sides``)."""
        item = guide.item
        dose = item.dose
        assert dose is not None
        reps = dose.reps.min if dose.reps else 1
        hold = dose.hold_seconds.min if dose.hold_seconds else 0
        minutes = dose.duration_minutes.min if dose.duration_minutes else 0
        each = dose.side == "each"
        alternating = each and item.exercise.sides == "alternating"
        sides: tuple[str | None, ...] = ("left side", "right side") if each and not alternating else (None,)
        for side in sides:
            where = f"set {set_number}/{sets}" + (f", {side}" if side else "")
            self._enter(f"Press Enter to start {where}", guide)
            if minutes:
                name = visible(item.exercise.name)  # pack text: never sent raw, never a format string
                self._countdown(guide, minutes * 60, _line(f"{name}: ", " left"), clock=True)
                self._bell()
            elif hold:
                self._holds(guide, where, reps, hold, alternating)
            elif alternating:
                self._enter(f"Do {reps} {_reps(reps)} on each side, changing sides each time, then press Enter", guide)
            else:
                self._enter(f"Do {reps} {_reps(reps)} at your own pace, then press Enter", guide)

    def _holds(self, guide: Guide, where: str, reps: int, hold: int, alternating: bool) -> None:
        """Each hold of a set counted down, with the relaxation between holds (alternating sides: left, right)."""
        turns = [(rep, side) for rep in range(1, reps + 1) for side in (("left", "right") if alternating else (None,))]
        for index, (rep, side) in enumerate(turns):
            if index and guide.relax_seconds:
                self._countdown(guide, guide.relax_seconds, _line("Relax fully ", " before the next hold"))
            label = f"{where} · rep {rep}/{reps}" + (f" · {side} side" if side else "") + " · hold "
            self._countdown(guide, hold, _line(label, ""))
            self._bell()

    def _enter(self, prompt: str, guide: Guide) -> None:
        """Wait for Enter; ``x`` then Enter stops the exercise, ``h`` then Enter reports pain above the limit."""
        while True:
            typed = self.ask(f"  {prompt}", err=False).strip().lower()
            if typed == "x":
                raise _Stopped(for_pain=False)
            if typed != "h":
                return
            if guide.hurt():
                raise _Stopped(for_pain=True)

    def _countdown(
        self, guide: Guide, seconds: int, line: Callable[[str], str], *, clock: bool = False, skippable: bool = False
    ) -> None:
        """Count ``seconds`` down on one line (updated in place on a terminal, shown once otherwise); ``line`` makes
        the line from the time left. Keys act at once (see :data:`KEYS_HELP`); others are ignored."""

        def shown(left: int) -> str:
            return line(f"{left // 60}:{left % 60:02d}" if clock else f"{left} s")

        if not self.terminal:
            self.say(f"  {shown(seconds)}")
            time.sleep(seconds)
            return
        left = seconds
        try:
            with _Keys() as keys:
                while left > 0:
                    self._write(f"\r  {shown(left)}\x1b[K")
                    if self._second(guide, keys, skippable):
                        break
                    left -= 1
            self._write(f"\r  {shown(max(left, 0))}" + (" (skipped)" if left > 0 else "") + "\x1b[K\n")
        except (KeyboardInterrupt, _Stopped):
            self._write("\n")
            raise

    def _second(self, guide: Guide, keys: _Keys, skippable: bool) -> bool:
        """One second of a count, acting on the keys pressed in it; True when the patient skipped the rest."""
        end = time.monotonic() + 1
        while (wait := end - time.monotonic()) > 0:
            pressed = keys.read(wait)
            if "x" in pressed:
                raise _Stopped(for_pain=False)
            if "h" in pressed:
                self._write("\n")
                with keys.suspended():
                    if guide.hurt():
                        raise _Stopped(for_pain=True)
            if skippable and "s" in pressed:
                return True
            if " " in pressed:
                self._write("\r  Paused: press space to go on\x1b[K")
                while " " not in (pressed := keys.read(None)):
                    if "x" in pressed:
                        raise _Stopped(for_pain=False)
                end = time.monotonic() + 1
        return False

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _bell(self) -> None:
        if self.terminal:
            self._write("\a")


def _reps(count: int) -> str:
    return "rep" if count == 1 else "reps"


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
