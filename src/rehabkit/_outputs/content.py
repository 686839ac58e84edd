"""What a renderer is given: a handout (a protocol's phase, or a patient's plan) or a course report.

Every field is worked out by rehabkit from the protocol and the session store,
so a renderer only lays it out: no renderer decides a dose, a limit or what to
tell a patient. Strings are the protocol's or a pack's own text, unescaped;
each renderer escapes them for its format.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:  # annotations only: registering a renderer must not import the engine (validate's start-up)
    from ..engine import Course, PastSession, SessionPlan
    from ..model import Phase, Protocol

__all__ = [
    "RENDER_KINDS",
    "ChartPoint",
    "CourseReport",
    "ExerciseCard",
    "ExercisePain",
    "Handout",
    "HelpGroup",
    "MeasureSeries",
    "PaperLog",
    "Renderer",
    "SignInCode",
    "TimelineEntry",
    "WeekAdherence",
    "WeekDay",
]

#: What a renderer can be asked to render, with the content type it is given.
RENDER_KINDS: dict[str, str] = {
    "protocol-phase": "Handout",
    "patient-plan": "Handout",
    "course-report": "CourseReport",
    # Whole records for exports such as FHIR (rehabkit._outputs.exports): a protocol, a patient's course.
    "protocol": "ProtocolExport",
    "patient-course": "CourseExport",
}


@attrs.frozen(slots=True)
class ExerciseCard:
    """One exercise of a handout: what to do, how much, and when to stop."""

    name: str
    dose: str
    steps: tuple[str, ...]
    equipment: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    #: When not to do it at all (the exercise's contraindications).
    avoid_if: tuple[str, ...] = ()
    #: When to stop it, from its pain limit and the protocol's symptom rules.
    stop_if: tuple[str, ...] = ()
    note: str | None = None
    #: The harder exercise this one stands in for, for now.
    replaces: str | None = None
    #: The id, for renderers that link or key by exercise.
    id: str = ""
    #: The weekdays it is planned on, in words (``""``: every exercise day).
    days: str = ""
    #: The exercise's figure as still SVG markup made by rehabkit (start and end pose; ``""``: it has none).
    figure_svg: str = ""
    #: The figure's text alternative, built from the steps (``""``: no figure).
    figure_text: str = ""
    #: The figure's file, beside a Markdown handout, when the command writes one (``""``: none; link to it).
    figure_file: str = ""


@attrs.frozen(slots=True)
class WeekDay:
    """A day of the handout's week (the weekly schedule ``run`` and the calendar follow): its name and the names of
    the exercises planned on it (none: a rest day)."""

    name: str
    exercises: tuple[str, ...]


@attrs.frozen(slots=True)
class HelpGroup:
    """Warning signs with one urgency: ``refer-urgently``, ``stop-and-review`` or ``note``."""

    action: str
    heading: str
    what_to_do: str
    #: Each sign as (the question asked before every session, what it means).
    signs: tuple[tuple[str, str], ...]


@attrs.frozen(slots=True)
class PaperLog:
    """A log to fill in on paper: one row a day until the next review, its columns what ``run`` and ``next-day``
    record."""

    #: Column headings, in order.
    columns: tuple[str, ...]
    #: The answers-file key (or ``next-day`` option) each column records.
    keys: tuple[str, ...]
    #: A date per row (``None``: the patient writes the date).
    rows: tuple[datetime.date | None, ...]
    review: datetime.date | None
    #: How a clinician enters a paper row (commands: for the clinic, never printed on the patient's own page by
    #: rehabkit's renderers; kept for packs' renderers written for 0.2).
    how_to_enter: tuple[str, ...]
    #: True when the review date has already passed: the patient should book it now.
    overdue: bool = False


@attrs.frozen(slots=True)
class SignInCode:
    """A patient's sign-in link printed on their handout (``rehabkit serve``): the link, until when it signs in, and
    the link as a QR code for a phone's camera (an SVG image as a ``data:`` URI)."""

    url: str
    until: str
    qr: str


@attrs.frozen(slots=True)
class Handout:
    """A printable handout: for a phase of a protocol (``protocol-phase``) or a patient's plan (``patient-plan``)."""

    kind: str
    protocol: Protocol
    phase: Phase
    plan: SessionPlan
    #: The supervision statement: the plan assumes a prior clinical assessment. Shown first.
    statement: str
    cards: tuple[ExerciseCard, ...]
    get_help: tuple[HelpGroup, ...]
    cautions: tuple[str, ...]
    advice: tuple[str, ...]
    log: PaperLog
    #: Changes made to this plan (a worse next morning) and exercises left out, in plain words.
    changes: tuple[str, ...] = ()
    patient: str | None = None
    date: datetime.date | None = None
    large_print: bool = False
    #: Paper the printed handout is laid out for: ``a4`` or ``letter``.
    paper: str = "a4"
    #: ``id@version`` of the protocol, and the date its content was last reviewed.
    source: str = ""
    reviewed: str = ""
    #: The week, Monday first, when not every exercise is planned for every day (else empty).
    week: tuple[WeekDay, ...] = ()
    #: What the week allows beyond the planned days, in words (``""``: nothing more).
    week_note: str = ""
    #: The first day of the weekly schedule's weeks (the day the phase was entered), which the calendar shares.
    week_start: datetime.date | None = None
    #: A new sign-in link for the patient, printed with its QR code (asked for on the clinician's page); else None.
    sign_in: SignInCode | None = None


@attrs.frozen(slots=True)
class ChartPoint:
    """A dated value on a chart."""

    date: datetime.date
    value: float
    label: str = ""


@attrs.frozen(slots=True)
class MeasureSeries:
    """One outcome measure's scores over time, with the change that counts as meaningful."""

    id: str
    name: str
    unit: str
    scale: tuple[float, float]
    points: tuple[ChartPoint, ...]
    #: The smallest change that matters to a patient (from the measure's data), if known.
    meaningful_change: float | None = None
    #: The band of the latest score (``moderate disability``).
    band: str | None = None


@attrs.frozen(slots=True)
class WeekAdherence:
    """Sessions done in one week of the course against what the phase prescribes."""

    start: datetime.date
    done: int
    prescribed_min: int | None
    prescribed_max: int | None
    phase: str


@attrs.frozen(slots=True)
class TimelineEntry:
    """A dated event of the course: a phase entered, a decision, a pause, an approval or a review."""

    date: datetime.date
    kind: str
    text: str


@attrs.frozen(slots=True)
class ExercisePain:
    """Pain during one exercise of a session, against its limit, for the clinician's report."""

    date: datetime.date
    session: int
    exercise: str
    name: str
    pain: float | None
    #: The exercise's pain limit in the protocol (``None``: it gives none).
    limit: float | None = None
    #: Sets done and planned when the patient stopped it part-way, else ``None``.
    part_way: tuple[int, int] | None = None

    @property
    def over(self) -> bool:
        """True when the pain went above the exercise's limit."""
        return self.pain is not None and self.limit is not None and self.pain > self.limit


@attrs.frozen(slots=True)
class CourseReport:
    """A patient's course for the clinician at follow-up."""

    patient: str
    protocol: Protocol
    course: Course
    date: datetime.date
    status: str
    phase_name: str
    #: The course's sessions, each with its next-morning pain (``next_morning``) where reported.
    sessions: tuple[PastSession, ...]
    #: The pain limits the protocol sets, as (label, value): the phase's pain goal, pain-during limits.
    pain_limits: tuple[tuple[str, float], ...]
    measures: tuple[MeasureSeries, ...]
    weeks: tuple[WeekAdherence, ...]
    timeline: tuple[TimelineEntry, ...]
    #: The criteria of the next gate that do not hold yet, in plain words.
    open_criteria: tuple[str, ...]
    next_gate: str | None
    statement: str
    source: str = ""
    paper: str = "a4"
    #: Pain during each exercise of each session, oldest first, with part-way stops.
    exercise_pain: tuple[ExercisePain, ...] = ()
    #: The current phase's exercises at the patient's dose, each with its figure (none while the course is stopped).
    plan: tuple[ExerciseCard, ...] = ()

    @property
    def kind(self) -> str:
        """``course-report``: what a renderer is asked to render."""
        return "course-report"


#: What a renderer is given.
Content = Handout | CourseReport


def _kinds(value: Any) -> tuple[str, ...]:
    kinds = (value,) if isinstance(value, str) else tuple(value)
    unknown = [k for k in kinds if k not in RENDER_KINDS]
    if not kinds or unknown:
        raise ValueError(f"kinds must be some of {', '.join(RENDER_KINDS)}; got {list(kinds)!r}")
    return kinds


def _file_types(value: Any) -> tuple[str, ...]:
    types = (value,) if isinstance(value, str) else tuple(value)
    cleaned = tuple(str(t).lower().lstrip(".") for t in types)
    if not cleaned or not all(t.isalnum() for t in cleaned):
        raise ValueError(f"file_types must be file name endings such as 'html' or 'md'; got {list(types)!r}")
    return cleaned


@attrs.frozen(slots=True)
class Renderer:
    """An output format: registered through ``rehabkit_register_renderers``.

    ``function(content)`` is given a :class:`Handout` (kinds ``protocol-phase``
    and ``patient-plan``) or a :class:`CourseReport` (kind ``course-report``) and
    returns the file's text (``str``, written as UTF-8) or bytes. ``file_types``
    are the file name endings it writes (``("html",)``); ``rehabkit handout -o
    FILE`` picks a renderer by the ending, rehabkit's own first, and ``--renderer
    NAME`` picks one by name. Escape every string for the format: the content is
    the protocol's and the packs' text as written.
    """

    name: str
    kinds: tuple[str, ...] = attrs.field(converter=_kinds)
    file_types: tuple[str, ...] = attrs.field(converter=_file_types)
    function: Callable[[Any], str | bytes] = attrs.field(eq=False)
    description: str = ""
    #: The pack that registered it (set by rehabkit).
    pack: str = "core"
