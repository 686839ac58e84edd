"""Numbers a patient types at a prompt, read or refused in the patient's words (``run``'s pain, ``measure``'s items).

What is read: digits of any script (Unicode category Nd: ``3``, Arabic-Indic ``٣``, fullwidth ``\\uff13``), as
``int`` and ``float`` read them, with one decimal point or comma. Everything else is refused, and the prompt asks
again: a superscript or a fraction (``²``, ``½``: digits ``int`` cannot read), ``nan`` and ``inf`` (which no
bound refuses, as they compare false), ``1e3``, ``1_0`` and ``0x5`` (which Python reads but a patient does not
mean), control characters and empty text. Digits of any length are read without converting the whole string
to an int, which Python refuses past 4,300 digits.
"""

from __future__ import annotations

import re

from .._common.text import visible

__all__ = ["parse_pain", "parse_whole", "read_number"]

#: A number as a patient types it: ``re``'s ``\d`` is any Unicode decimal digit (Nd), never ``²`` (No).
_NUMBER = re.compile(r"(-?)(\d+)(?:[.,](\d+))?")
#: Typed text longer than this is not repeated back in a message.
_SHOWN = 12


def read_number(text: str) -> float | None:
    """The number ``text`` is (see the module's docstring), or None; a number too long for a float is infinite."""
    match = _NUMBER.fullmatch(text.strip())
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    value = float(f"{whole}.{fraction or 0}")  # float reads any script's digits, and any number of them
    return -value if sign and value else value  # never -0.0


def _shown(typed: str) -> str:
    """What the patient typed, as a message repeats it (a long one is not)."""
    return visible(typed) if len(typed) <= _SHOWN else "That"


def parse_pain(text: str) -> float | str:
    """A pain score from 0 to 10 (``3``, ``3.5``, ``3,5``, ``3/10``), else the message saying what to type."""
    typed = text.strip().removesuffix("/10").strip()
    value = read_number(typed)
    if value is None:
        return "Please type a number from 0 (no pain) to 10 (the worst pain imaginable), for example 3."
    if value > 10:
        return f"{_shown(typed)} is more than 10: 10 is the worst pain imaginable. Please type a number from 0 to 10."
    if value < 0:
        return "Pain cannot be below 0 (no pain). Please type a number from 0 to 10."
    return value


def parse_whole(text: str, highest: int) -> int | str | None:
    """A whole number from 0 to ``highest``; None for a blank answer (skipped); else the message saying what to
    type."""
    typed = text.strip()
    if not typed:
        return None
    value = read_number(typed)
    if value is None or not 0 <= value <= highest or value != int(value):  # in range first: int(inf) raises
        return f"please answer a whole number from 0 to {highest}, or leave it blank."
    return int(value)
