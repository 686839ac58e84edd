"""What a course event says, as typed records: written and read here, stored as JSON by the store.

A course event (``enter-phase``, ``pause``, ``review``, ``approval``) carries a
detail whose fields depend on its kind. These classes are the only place that
knows those fields: the course service builds them, :meth:`to_dict` gives the
JSON the store keeps (keys in the order rehabkit has always written them), and
:func:`event_detail` reads a stored detail back, as far as it goes: a missing
field takes its default, a field of the wrong type is dropped, never a crash.

Where a decision rests on a field, it is never guessed: before the store reads a
detail back it asks :func:`detail_problem` (:mod:`rehabkit.engine.event_fields`,
kept apart so that the store checks a detail without making these classes), and
a detail that is not a JSON
object, or whose approval kind and value, pause action or review outcome cannot
be read, is a damaged record (:class:`rehabkit._common.errors.DamagedRecord`),
named and set aside. The rest (reasons, messages, a note) is read as far as it
goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs

from .event_fields import REVIEW_OUTCOMES, detail_problem

__all__ = [
    "REVIEW_OUTCOMES",
    "Approval",
    "EventDetail",
    "OtherDetail",
    "Pause",
    "PhaseEntry",
    "Review",
    "detail_problem",
    "event_detail",
]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list | tuple) else ()


@attrs.frozen(slots=True)
class PhaseEntry:
    """The patient entered a phase: at the start of the protocol, on progressing, or after a review."""

    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {"reason": self.reason}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PhaseEntry:
        """Read a stored detail back."""
        return cls(reason=_text(data.get("reason")) or "")


@attrs.frozen(slots=True)
class Pause:
    """The course stopped until a clinician's review.

    ``action``: stop-and-review or refer-urgently (or another review action);
    ``cause``: screening, decision, no-improvement, next-day or empty-plan;
    ``session``: the session that caused it, where one did; ``reasons`` and
    ``messages`` in plain words (``messages`` ``None`` where none were kept).
    """

    action: str
    cause: str
    reasons: tuple[str, ...] = ()
    messages: tuple[str, ...] | None = None
    session: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        data: dict[str, Any] = {"action": self.action, "cause": self.cause}
        if self.session is not None:
            data["session"] = self.session
        data["reasons"] = list(self.reasons)
        if self.messages is not None:
            data["messages"] = list(self.messages)
        return data

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Pause:
        """Read a stored detail back (an unknown action is kept: the course stays paused)."""
        session = data.get("session")
        return cls(
            action=_text(data.get("action")) or "stop-and-review",
            cause=_text(data.get("cause")) or "",
            reasons=_texts(data.get("reasons")),
            messages=_texts(data["messages"]) if "messages" in data else None,
            session=session if isinstance(session, int) and not isinstance(session, bool) else None,
        )


@attrs.frozen(slots=True)
class Review:
    """A clinician's review: ``outcome`` resume, earlier-phase, discharge or refer; ``was`` the state it found."""

    outcome: str
    note: str | None = None
    was: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {"outcome": self.outcome, "note": self.note, "was": self.was}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Review:
        """Read a stored detail back."""
        return cls(outcome=_text(data.get("outcome")) or "", note=_text(data.get("note")), was=_text(data.get("was")))


@attrs.frozen(slots=True)
class Approval:
    """A gate's approval or clearance given (``value`` True) or withdrawn; ``via`` the command that recorded it.

    ``surgeon`` and ``evidence``: a clearance transcribed from a named surgeon's letter (the event's ``by`` is who
    transcribed it); None when the person recording it gave it themselves.
    """

    kind: str
    value: bool
    via: str | None = None
    surgeon: str | None = None
    evidence: str | None = None

    @property
    def transcribed(self) -> bool:
        """True when recorded from a surgeon's letter rather than given by the person recording it."""
        return self.surgeon is not None

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        data: dict[str, Any] = {"kind": self.kind, "value": self.value}
        for key in ("via", "surgeon", "evidence"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Approval:
        """Read a stored detail back (a value that is not plainly true opens nothing)."""
        kind = _text(data.get("kind")) or "unknown approval"  # opens no gate: no criterion asks for it
        return cls(
            kind=kind,
            value=data.get("value") is True,
            via=_text(data.get("via")),
            surgeon=_text(data.get("surgeon")),
            evidence=_text(data.get("evidence")),
        )


@attrs.frozen(slots=True)
class OtherDetail:
    """The detail of an event of a kind this release does not know, kept as it was stored."""

    data: Mapping[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return dict(self.data)


#: The detail of any course event.
EventDetail: TypeAlias = PhaseEntry | Pause | Review | Approval | OtherDetail

_KINDS: dict[str, Any] = {"enter-phase": PhaseEntry, "pause": Pause, "review": Review, "approval": Approval}


def event_detail(kind: str, data: Any) -> EventDetail:
    """The typed detail of a stored event of ``kind`` (a damaged detail reads as an empty one)."""
    mapping = data if isinstance(data, Mapping) else {}
    reader = _KINDS.get(kind)
    if reader is None:
        return OtherDetail(dict(mapping))
    result: EventDetail = reader.from_mapping(mapping)
    return result
