"""FHIR JSON read element by element, each with its FHIRPath: one problem, one message naming where it is.

``rehabkit import`` reads files that anyone may have edited (or built to hurt), so the reader never indexes the
JSON directly: it asks an :class:`Element` for what rehabkit writes there (an object, a list of objects, a text,
a number). What is missing or of another type is noted, with its FHIRPath
(``PlanDefinition.action[2].title``), in the :class:`Problems` every element of one file shares, and a neutral
stand-in (an empty element, ``""``, ``0``) is returned so that reading goes on and finds the other problems too.
Nothing under a stand-in is noted again: a missing action is one problem, not one for each of its parts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

__all__ = ["Element", "Problem", "Problems", "kind_of"]

T = TypeVar("T")


@attrs.frozen
class Problem:
    """What is wrong at one place of a FHIR file: ``PlanDefinition.action[2].title``, ``is missing: ...``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path} {self.message}"


@attrs.define
class Problems:
    """The problems found in one file, in the order they were met, each once; past :attr:`LIMIT` only counted
    (a 16 MiB Bundle of numbers would otherwise be millions of lines)."""

    LIMIT = 100

    kept: list[Problem] = attrs.field(factory=list)
    #: How many more were found past the limit.
    more: int = 0
    _seen: set[Problem] = attrs.field(factory=set, repr=False)

    def add(self, problem: Problem) -> None:
        """Keep ``problem`` unless it was met before (a part read twice, as a first phase's rules are)."""
        if problem in self._seen:
            return
        if len(self.kept) < self.LIMIT:
            self._seen.add(problem)
            self.kept.append(problem)
        else:
            self.more += 1

    def __len__(self) -> int:
        return len(self.kept) + self.more


def kind_of(value: Any) -> str:
    """What a JSON value is, in a message's words."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else "null"


@attrs.frozen
class Element:
    """A JSON object of a FHIR file, where it is, and the file's problems (see the module's docstring)."""

    value: Mapping[str, Any]
    path: str
    problems: Problems = attrs.field(factory=Problems, eq=False)
    #: False for a stand-in for something missing or wrong: nothing under it is noted.
    real: bool = True

    def note(self, key: str | None, message: str) -> None:
        """Note a problem at ``key`` of this element (at the element itself for None)."""
        if self.real:
            self.problems.add(Problem(self.path if key is None else f"{self.path}.{key}", message))

    def has(self, key: str) -> bool:
        """True when the element has ``key``, whatever its value."""
        return key in self.value

    def _field(self, key: str, expected: type | tuple[type, ...], what: str, required: bool) -> Any:
        """The value at ``key`` if it is of the ``expected`` type, else None (noted unless absent and optional)."""
        if key not in self.value:
            if required:
                self.note(key, f"is missing: rehabkit writes {what} here.")
            return None
        value = self.value[key]
        kinds = expected if isinstance(expected, tuple) else (expected,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):  # true is no number
            self.note(key, f"is {kind_of(value)}, not {what} as rehabkit writes it.")
            return None
        return value

    def stand_in(self, key: str) -> Element:
        """An empty element in place of ``key``'s, whose own problems are not noted."""
        return Element({}, f"{self.path}.{key}", self.problems, real=False)

    def child(self, key: str, *, required: bool = True) -> Element:
        """The object at ``key``; a stand-in when it is missing or not an object."""
        value = self._field(key, dict, "an object", required)
        return (
            Element(value, f"{self.path}.{key}", self.problems, self.real) if value is not None else self.stand_in(key)
        )

    def children(self, key: str, *, required: bool = False) -> list[Element]:
        """The objects of the list at ``key``; an item that is not an object is noted and left out."""
        value = self._field(key, list, "a list of objects", required)
        if value is None:
            return []
        out = []
        for index, item in enumerate(value):
            where = f"{key}[{index}]"
            if isinstance(item, dict):
                out.append(Element(item, f"{self.path}.{where}", self.problems, self.real))
            else:
                self.note(where, f"is {kind_of(item)}, not an object as rehabkit writes it.")
        return out

    def first(self, key: str) -> Element:
        """The first object of the list at ``key``, which must have one."""
        found = self.children(key, required=True)
        if found:
            return found[0]
        if isinstance(self.value.get(key), list) and not self.value[key]:
            self.note(key, "is empty: rehabkit writes at least one item here.")
        return self.stand_in(f"{key}[0]")

    def text(self, key: str, default: str | None = None) -> str:
        """The text at ``key``: required when there is no ``default``."""
        value = self._field(key, str, "a text", default is None)
        return value if value is not None else (default or "")

    def texts(self, key: str) -> list[str]:
        """The texts of the list at ``key`` (an optional list)."""
        value = self._field(key, list, "a list of texts", False) or []
        out = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                out.append(item)
            else:
                self.note(f"{key}[{index}]", f"is {kind_of(item)}, not a text as rehabkit writes it.")
        return out

    def integer(self, key: str) -> int:
        """The whole number at ``key`` (required)."""
        value = self._field(key, int, "a whole number", True)
        return value if value is not None else 0

    def number(self, key: str) -> float:
        """The number at ``key`` (required): a whole number stays an int."""
        value = self._field(key, (int, float), "a number", True)
        return value if value is not None else 0

    def parsed(self, key: str, parse: Callable[[str], T], text_default: str | None = None) -> T | None:
        """``parse`` of the text at ``key`` (rehabkit's expressions and sections; ``text_default`` when it is
        optional and absent); what it cannot read is noted and None returned."""
        if key not in self.value and text_default is not None:
            return parse(text_default)
        text = self._field(key, str, "a text", True)
        if text is None:
            return None
        try:
            return parse(text)
        except ValueError as exc:  # ExpressionError, and int() refusing 4,300 digits and more
            self.note(key, f"cannot be read: {exc}")
            return None
