"""A read-only mapping made on first use: for data that costs more to make than most commands need."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

__all__ = ["LazyMapping"]

V = TypeVar("V")


class LazyMapping(Mapping[str, V]):
    """The mapping ``load()`` returns, made on the first lookup (and copied into a dict once).

    ``rehabkit validate`` reads the installed exercise libraries only when a document names an exercise it does
    not define itself; a course decodes a stored session's decision record only when the engine reads it.
    """

    __slots__ = ("_items", "_load")

    def __init__(self, load: Callable[[], Mapping[str, V]]) -> None:
        self._load = load
        self._items: dict[str, V] | None = None

    def _get(self) -> dict[str, V]:
        if self._items is None:
            self._items = dict(self._load())
        return self._items

    def __getitem__(self, key: str) -> V:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return repr(self._get())
