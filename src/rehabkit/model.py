"""The protocol model: frozen attrs classes built from a schema-valid document.

Each class mirrors one ``$defs`` entry of ``schemas/protocol.schema.json``
or the root of a shipped schema file (the class says which in ``SCHEMA_DEF``:
``#`` for the protocol schema's root, a file name for another schema's root); ``tests/test_model_schema.py`` checks
that the two never drift apart.  Objects are built with ``from_dict`` from an
already validated document and turned back into plain data with ``to_dict``;
the round trip is lossless for documents in canonical form (ranges whose
``min`` equals ``max`` are written as a single number).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from types import MemberDescriptorType
from typing import Any, ClassVar, TypeVar, dataclass_transform

import attrs

__all__ = [
    "Criteria",
    "Criterion",
    "Dose",
    "Eligibility",
    "Exercise",
    "ExerciseLibrary",
    "ExerciseRef",
    "Figure",
    "FigureArrow",
    "FigureProp",
    "FigureReview",
    "Media",
    "Phase",
    "Pose",
    "Precaution",
    "Protocol",
    "Range",
    "RedFlagLibrary",
    "Reference",
    "ScreeningQuestion",
    "SharedRedFlags",
    "Supervision",
    "Suppression",
    "SymptomRule",
]

T = TypeVar("T", bound="_Model")


def _nested(kind: type, *, many: bool = False, default: Any = attrs.NOTHING) -> Any:
    """Declare a field holding another model object (or a tuple of them)."""
    return attrs.field(default=default, metadata={"model": kind, "many": many})


def _as_tuple(value: Any) -> tuple[Any, ...]:
    # A Python function, not the builtin `tuple`: attrs inspects a converter's signature,
    # and for builtins that means tokenizing a text signature (5 ms at import).
    return tuple(value)


def _texts(*, default: tuple[str, ...] = ()) -> Any:
    """Declare an optional field holding a tuple of strings (``default`` is spelt out for type checkers)."""
    return attrs.field(default=default, converter=_as_tuple, metadata={"many": True})


#: Per model class, its builder: a function from schema-valid plain data to the object, generated once from the
#: attrs fields as straight-line code (a validation run builds hundreds of objects a document).
_BUILDERS: dict[type, Any] = {}
_ABSENT = object()
#: How many objects of a class ``from_dict`` builds through ``__init__`` before generating the class's builder:
#: generating one costs about as much as building a hundred objects, which checking one file never repays.
_BUILD_BY_INIT_FIRST = 8
_BUILT_BY_INIT: dict[type, int] = {}


def _builder(cls: type) -> Any:
    """Generate ``cls``'s builder: each field read by its key, nested objects built by their own builders.

    The builder sets the fields as attrs' own ``__init__`` would (``object.__setattr__`` on the frozen, slotted
    instance) and applies the one converter the model uses (``_as_tuple``) itself. A class whose fields have a
    validator, another converter or a factory default gets ``_build_by_init`` instead, which calls
    ``__init__``; so does data the builder cannot read (a missing required key, a list where a mapping
    belongs), so that the error raised is ``__init__``'s own, as it always was.
    """
    fields = attrs.fields(cls)
    if (
        any(
            f.validator is not None
            or f.converter not in (None, _as_tuple)
            or type(f.default) is type(attrs.Factory(list))
            for f in fields
        )
        or getattr(cls, "__attrs_post_init__", None) is not None
    ):

        def by_init(data: Mapping[str, Any]) -> Any:
            return _build_by_init(cls, data)

        _BUILDERS[cls] = by_init
        return by_init
    names: dict[str, Any] = {
        "cls": cls,
        "_new": object.__new__,
        "_set": object.__setattr__,
        "_ABSENT": _ABSENT,
        "_fallback": _build_by_init,
        "Exception": Exception,
        "tuple": tuple,
        "map": map,
    }
    lines = ["def build(data):", "    try:", "        self = _new(cls)", "        get = data.get"]

    def store(name: str, value: str) -> str:
        """A line setting field ``name``: through its slot's own setter (no lookup by name, a third faster than
        ``object.__setattr__``), else as attrs' ``__init__`` does."""
        slot = cls.__dict__.get(name)
        if type(slot) is MemberDescriptorType:
            names[f"_set_{name}"] = slot.__set__
            return f"        _set_{name}(self, {value})"
        return f"        _set(self, {name!r}, {value})"

    for i, f in enumerate(fields):
        key, kind, many = f.metadata.get("key", f.name), f.metadata.get("model"), bool(f.metadata.get("many"))
        required = f.default is attrs.NOTHING
        if kind is not None:  # a nested object's own builder, unless its class reads a plain value its own way
            own = getattr(kind.from_value, "__func__", None) is not getattr(_Model.from_value, "__func__", None)
            names[f"make{i}"] = kind.from_value if own else (_BUILDERS.get(kind) or _builder(kind))
            convert = f"tuple(map(make{i}, {{}}))" if many else f"make{i}({{}})"
            if kind is Range and not many:  # Range.from_value's shared small counts, without the call
                names["_small"] = _SMALL_COUNTS
                convert = (
                    f"(_small[value] if type(value) is int and 0 <= value < {len(_SMALL_COUNTS)} else make{i}(value))"
                )
        else:
            convert = "tuple({})" if many or f.converter is _as_tuple else "{}"
        if required and "value" in convert:
            lines.append(f"        value = data[{key!r}]")
            lines.append(store(f.name, convert))
        elif required:
            lines.append(store(f.name, convert.format(f"data[{key!r}]")))
        else:
            names[f"default{i}"] = _as_tuple(f.default) if f.converter is _as_tuple else f.default  # as __init__ would
            lines.append(f"        value = get({key!r}, _ABSENT)")
            lines.append(store(f.name, f"default{i} if value is _ABSENT else {convert.format('value')}"))
    lines += ["    except Exception:", "        return _fallback(cls, data)", "    return self"]
    # exec is safe here: the code is generated from the field list
    exec(compile("\n".join(lines), f"<rehabkit builder {cls.__qualname__}>", "exec"), names)
    _BUILDERS[cls] = built = names["build"]
    return built


def _build_by_init(cls: type[T], data: Mapping[str, Any]) -> T:
    """Build through ``__init__``: the general way, and the one whose errors name a missing field."""
    kwargs: dict[str, Any] = {}
    for f in attrs.fields(cls):
        key, kind, many = f.metadata.get("key", f.name), f.metadata.get("model"), f.metadata.get("many")
        if key in data:
            value = data[key]
            if kind is not None:
                value = tuple(map(kind.from_value, value)) if many else kind.from_value(value)
            elif many:
                value = tuple(value)
            kwargs[f.name] = value
    return cls(**kwargs)


def _field_values(cls: type) -> Any:
    """A function giving an object's field values as a tuple, in field order (made once per class)."""
    getter = _FIELD_VALUES.get(cls)
    if getter is None:
        names = [f.name for f in attrs.fields(cls)]
        get = operator.attrgetter(*names)
        getter = _FIELD_VALUES[cls] = get if len(names) > 1 else (lambda obj: (get(obj),))
    return getter


_FIELD_VALUES: dict[type, Any] = {}


class _Model:
    """Shared ``from_dict``/``to_dict``, equality, hash and repr for the model classes.

    Equality, hash and repr behave exactly as attrs' would (objects of the same class with equal fields are
    equal and hash alike; ``Range(min=1, max=1, step=None)``), written once here rather than generated and
    compiled by attrs for each class (that compiling took about 3.5 ms of every command's start-up).
    """

    __slots__ = ()
    SCHEMA_DEF: ClassVar[str]
    #: Set by attrs on every model class; declared so that type checkers see an attrs class.
    __attrs_attrs__: ClassVar[tuple[attrs.Attribute[Any], ...]]

    def __eq__(self, other: object) -> bool:  # != is Python's inverse of it
        if other.__class__ is not self.__class__:
            return NotImplemented
        values = _field_values(self.__class__)
        return bool(values(self) == values(other))

    def __hash__(self) -> int:
        return hash((self.__class__, _field_values(self.__class__)(self)))

    def __repr__(self) -> str:
        values = _field_values(self.__class__)(self)
        fields = ", ".join(f"{f.name}={value!r}" for f, value in zip(attrs.fields(self.__class__), values, strict=True))
        name = self.__class__.__qualname__.rsplit(">.", 1)[-1]  # as attrs names a class made in a function
        return f"{name}({fields})"

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        """Build the object from schema-valid plain data."""
        builder = _BUILDERS.get(cls)
        if builder is None:
            count = _BUILT_BY_INIT[cls] = _BUILT_BY_INIT.get(cls, 0) + 1
            if count <= _BUILD_BY_INIT_FIRST:
                return _build_by_init(cls, data)
            builder = _builder(cls)
        built: T = builder(data)
        return built

    @classmethod
    def from_value(cls: type[T], value: Any) -> T:
        """Build from a document value; overridden where a plain scalar is allowed."""
        return cls.from_dict(value)

    def to_value(self) -> Any:
        """The plain-data form of this object inside a document."""
        return self.to_dict()

    def replace(self: T, **changes: Any) -> T:
        """A copy with some fields changed (the objects are frozen)."""
        # attrs' mypy plugin does not see classes made through _model, which type checkers know by dataclass_transform.
        return attrs.evolve(self, **changes)  # type: ignore[misc]

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the document's form: unset fields and empty lists left out."""
        out: dict[str, Any] = {}
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if value is None or value == ():
                continue
            if field.metadata.get("model") is not None:
                value = [v.to_value() for v in value] if field.metadata.get("many") else value.to_value()
            elif field.metadata.get("many"):
                value = list(value)
            out[field.metadata.get("key", field.name)] = value
        return out


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(attrs.field, _nested, _texts))
def _model(cls: type[T]) -> type[T]:
    # dataclass_transform tells type checkers what attrs.frozen makes of the class (keyword arguments, frozen).
    return attrs.frozen(slots=True, kw_only=True, eq=False, repr=False)(cls)  # _Model's equality, hash and repr


@_model
class Range(_Model):
    """An inclusive range of counts; a single number is a range with ``min == max``."""

    SCHEMA_DEF: ClassVar[str] = "range"
    min: int
    max: int
    #: How much one earned step of gradual progression adds (``None``: the count stays at ``min``).
    step: int | None = None

    @classmethod
    def from_value(cls, value: Any) -> Range:
        """Accept either ``5`` or ``{"min": 5, "max": 8}`` (with an optional ``step``)."""
        if type(value) is int and cls is Range and 0 <= value < len(_SMALL_COUNTS):
            return _SMALL_COUNTS[value]  # frozen: one shared object per small count serves every document
        # The schema's "integer" also admits 10.0 (and JSON's 1e1): a whole number either way.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(min=int(value), max=int(value))
        step = value.get("step")
        return cls(min=int(value["min"]), max=int(value["max"]), step=int(step) if step is not None else None)

    def to_value(self) -> Any:
        """A single number when the range is one value, else ``{min, max}`` (and ``step``)."""
        if self.min == self.max and self.step is None:
            return self.min
        out = {"min": self.min, "max": self.max}
        if self.step is not None:
            out["step"] = self.step
        return out

    def at_step(self, steps: int) -> int:
        """The count after ``steps`` earned steps: ``min + steps * step``, never above ``max``; ``min`` without a
        step."""
        if self.step is None or steps <= 0:
            return self.min
        return min(self.max, self.min + steps * self.step)

    def steps_to_top(self) -> int:
        """How many steps take this count from ``min`` to ``max`` (0 when it cannot move)."""
        if self.step is None or self.max <= self.min:
            return 0
        return -(-(self.max - self.min) // self.step)

    def __str__(self) -> str:
        return str(self.min) if self.min == self.max else f"{self.min}-{self.max}"


#: ``Range(min=n, max=n)`` for the counts documents write most (sets, reps, seconds, minutes).
_SMALL_COUNTS = tuple(Range(min=n, max=n) for n in range(121))


def _counted(value: Range | None, noun: str) -> str:
    if value is None:
        return ""
    return f"{value} {noun}" if str(value) == "1" else f"{value} {noun}s"


@_model
class Eligibility(_Model):
    """Who the protocol suits (inclusions) and who it does not (exclusions)."""

    SCHEMA_DEF: ClassVar[str] = "eligibility"
    inclusions: tuple[str, ...] = _texts(default=())
    exclusions: tuple[str, ...] = _texts(default=())


@_model
class Supervision(_Model):
    """The clinical supervision a protocol assumes."""

    SCHEMA_DEF: ClassVar[str] = "supervision"
    clinical_assessment_required: bool
    statement: str
    surgeon_clearance_required: bool | None = None


@_model
class Media(_Model):
    """A picture or video showing an exercise."""

    SCHEMA_DEF: ClassVar[str] = "media"
    type: str
    url: str
    alt: str
    licence: str | None = None
    credit: str | None = None


@_model
class Pose(_Model):
    """A pose of an exercise figure: joint name -> angle in degrees (``schemas/body-model.json`` names the joints)."""

    SCHEMA_DEF: ClassVar[str] = "pose"
    #: The angles as (joint, degrees) pairs, in the document's order (a tuple, so that a pose hashes).
    angles: tuple[tuple[str, float], ...]
    label: str | None = None

    @classmethod
    def from_value(cls, value: Any) -> Pose:
        """Read ``{"label": ..., "angles": {joint: degrees}}``."""
        return cls(angles=tuple(value["angles"].items()), label=value.get("label"))

    def to_value(self) -> Any:
        """The document form, angles as a mapping."""
        out: dict[str, Any] = {"angles": dict(self.angles)}
        if self.label is not None:
            out["label"] = self.label
        return out

    def to_dict(self) -> dict[str, Any]:
        """As :meth:`to_value`."""
        value: dict[str, Any] = self.to_value()
        return value


@_model
class FigureProp(_Model):
    """A prop drawn in an exercise figure, at a point of the body."""

    SCHEMA_DEF: ClassVar[str] = "figureProp"
    item: str
    at: str


@_model
class FigureArrow(_Model):
    """An arrow on an exercise figure: which way a point of the body moves."""

    SCHEMA_DEF: ClassVar[str] = "figureArrow"
    at: str
    direction: str


@_model
class Figure(_Model):
    """A line drawing of an exercise as data: a view, the support, a start pose and key poses."""

    SCHEMA_DEF: ClassVar[str] = "figure"
    view: str
    support: str
    start: Pose = _nested(Pose)
    poses: tuple[Pose, ...] = _nested(Pose, many=True)
    props: tuple[FigureProp, ...] = _nested(FigureProp, many=True, default=())
    arrows: tuple[FigureArrow, ...] = _nested(FigureArrow, many=True, default=())
    highlight: tuple[str, ...] = _texts(default=())


@_model
class Dose(_Model):
    """How much of an exercise to do; every count is a :class:`Range`."""

    SCHEMA_DEF: ClassVar[str] = "dose"
    sets: Range | None = _nested(Range, default=None)
    reps: Range | None = _nested(Range, default=None)
    hold_seconds: Range | None = _nested(Range, default=None)
    times_per_day: Range | None = _nested(Range, default=None)
    days_per_week: Range | None = _nested(Range, default=None)
    rest_seconds: Range | None = _nested(Range, default=None)
    #: Seconds to relax between the holds of a set; ``None``: the clinical policy's default.
    relax_seconds: Range | None = _nested(Range, default=None)
    duration_minutes: Range | None = _nested(Range, default=None)
    side: str | None = None
    pain_limit: float | None = None
    note: str | None = None
    sessions_per_step: int | None = None

    def describe(self) -> str:
        """The dose in one line of plain words, for example ``2 sets x 10 reps, hold 5-8 s``."""
        parts: list[str] = []
        sets = _counted(self.sets, "set")
        reps = _counted(self.reps, "rep")
        if sets and reps:
            parts.append(f"{sets} x {reps}")
        elif sets or reps:
            parts.append(sets or reps)
        if self.hold_seconds is not None:
            parts.append(f"hold {self.hold_seconds} s")
        if self.duration_minutes is not None:
            parts.append(f"{self.duration_minutes} min")
        if self.side in ("each", "left", "right"):
            parts.append("each side" if self.side == "each" else f"{self.side} side")
        if self.rest_seconds is not None:
            parts.append(f"rest {self.rest_seconds} s")
        if self.relax_seconds is not None:
            parts.append(f"relax {self.relax_seconds} s between holds")
        if self.times_per_day is not None:
            parts.append("once a day" if str(self.times_per_day) == "1" else f"{self.times_per_day} times a day")
        if self.days_per_week is not None:
            parts.append(f"{self.days_per_week} days a week")
        if self.pain_limit is not None:
            parts.append(f"pain limit {self.pain_limit:g}/10")
        text = ", ".join(parts)
        return f"{text} ({self.note})" if self.note else text

    #: Counts that can move inside their range, with the word each is counted in, in the order they take
    #: turns to move one step: the work within a session first (reps, hold, duration, sets), then how often.
    STEPPED: ClassVar[tuple[tuple[str, str], ...]] = (
        ("reps", "rep"),
        ("hold_seconds", "second of hold"),
        ("duration_minutes", "minute"),
        ("sets", "set"),
        ("times_per_day", "time a day"),
        ("days_per_week", "day a week"),
    )

    def ranges(self) -> dict[str, Range]:
        """The counts given as a span (``min`` below ``max``), by field name."""
        return {
            name: value
            for name, value in zip(_STEPPED_NAMES, _stepped_values(self), strict=True)
            if value is not None and value.max > value.min
        }

    def counts_at(self, steps: int) -> dict[str, int]:
        """Each stepped range's count after ``steps`` earned steps.

        One count moves per step, the counts taking turns in :attr:`STEPPED`
        order (a count at its top drops out), so that progression stays gradual:
        one step never raises reps and sets and frequency at once. A range
        without a ``step`` stays at its ``min``.
        """
        ranges = {name: value for name, value in self.ranges().items() if value.step}
        counts = {name: value.min for name, value in self.ranges().items()}
        left = max(0, steps)
        while left:
            movable = [name for name, _ in self.STEPPED if name in ranges and counts[name] < ranges[name].max]
            if not movable:
                break
            for name in movable[:left]:
                counts[name] = min(ranges[name].max, counts[name] + (ranges[name].step or 0))
            left -= min(left, len(movable))
        return counts

    def top_step(self) -> int:
        """How many steps take every stepped range to its top (0: the dose cannot move)."""
        if not self.sessions_per_step:
            return 0
        return sum(value.steps_to_top() for value in self.ranges().values())

    def describe_progression(self) -> str | None:
        """How the dose moves inside its ranges, in plain words, or None when it cannot move."""
        steps = []
        for name, noun in self.STEPPED:
            value: Range | None = getattr(self, name)
            if value is not None and value.max > value.min and value.step:
                plural = noun if value.step == 1 else (noun.replace(" ", "s ", 1) if " " in noun else noun + "s")
                steps.append(f"{value.step} {plural} (to {value.max})")
        if not steps or not self.sessions_per_step:
            return None
        days = "each day" if self.sessions_per_step == 1 else f"every {self.sessions_per_step} days in a row"
        return (
            f"one step {days} within the pain limits, one count at a time in turn: {'; '.join(steps)}; "
            "back one step after too much pain"
        )


_STEPPED_NAMES = tuple(name for name, _ in Dose.STEPPED)
_stepped_values = operator.attrgetter(*_STEPPED_NAMES)


@_model
class Exercise(_Model):
    """An exercise: what to do, how, and when not to."""

    SCHEMA_DEF: ClassVar[str] = "exercise"
    id: str
    name: str
    component: str
    region: str
    steps: tuple[str, ...] = attrs.field(converter=_as_tuple, metadata={"many": True})
    #: How a dose on ``each`` side is done: ``separately`` (``None`` too) or ``alternating`` (the steps change sides).
    sides: str | None = None
    position: str | None = None
    movements: tuple[str, ...] = _texts(default=())
    earliest_stage: str | None = None
    equipment: tuple[str, ...] = _texts(default=())
    cues: tuple[str, ...] = _texts(default=())
    contraindications: tuple[str, ...] = _texts(default=())
    regression: str | None = None
    progression: str | None = None
    dose: Dose | None = _nested(Dose, default=None)
    media: tuple[Media, ...] = _nested(Media, many=True, default=())
    figure: Figure | None = _nested(Figure, default=None)


@_model
class ExerciseRef(_Model):
    """An exercise named by id in a phase, with that phase's dose."""

    SCHEMA_DEF: ClassVar[str] = "exerciseRef"
    exercise: str
    dose: Dose | None = _nested(Dose, default=None)
    note: str | None = None


@_model
class Criterion(_Model):
    """One measurable condition for entering or leaving a phase."""

    SCHEMA_DEF: ClassVar[str] = "criterion"
    measure: str
    at_least: float | None = None
    at_most: float | None = None
    equals: bool | None = None
    phase: str | None = None
    description: str | None = None


@_model
class Criteria(_Model):
    """Entry or exit criteria of a phase: a plain summary and measurable parts."""

    SCHEMA_DEF: ClassVar[str] = "criteria"
    summary: str
    all: tuple[Criterion, ...] = _nested(Criterion, many=True, default=())


@_model
class Phase(_Model):
    """A stage of a protocol with its focus, criteria and exercises."""

    SCHEMA_DEF: ClassVar[str] = "phase"
    id: str
    name: str
    focus: tuple[str, ...] = attrs.field(converter=_as_tuple, metadata={"many": True})
    exercises: tuple[ExerciseRef, ...] = _nested(ExerciseRef, many=True)
    stage: str | None = None
    goals: tuple[str, ...] = _texts(default=())
    entry: Criteria | None = _nested(Criteria, default=None)
    exit: Criteria | None = _nested(Criteria, default=None)
    sessions_per_week: Range | None = _nested(Range, default=None)
    expected_weeks: Range | None = _nested(Range, default=None)
    review_after_weeks: int | None = None


@_model
class ScreeningQuestion(_Model):
    """A red-flag question asked before exercise; a yes triggers its action."""

    SCHEMA_DEF: ClassVar[str] = "screeningQuestion"
    id: str
    question: str
    action: str
    message: str
    covers: tuple[str, ...] = _texts(default=())
    omit_movements: tuple[str, ...] = _texts(default=())


@_model
class SharedRedFlags(_Model):
    """The red-flag questions a protocol takes from red-flag libraries (``shared_red_flags``): a library's question
    for each sign it must screen for that no other question covers, and questions by id."""

    SCHEMA_DEF: ClassVar[str] = "sharedRedFlags"
    minimum_set_from: str | None = None
    questions: tuple[str, ...] = _texts(default=())


@_model
class Precaution(_Model):
    """A movement or load to avoid, its limit and until when."""

    SCHEMA_DEF: ClassVar[str] = "precaution"
    id: str
    movement: str
    description: str
    region: str | None = None
    limit: str | None = None
    max_kg: float | None = None
    max_minutes: int | None = None
    until_weeks_after_surgery: int | None = None
    until_phase: str | None = None
    until_clearance: bool | None = None
    surgeon_may_override: bool | None = None


@_model
class SymptomRule(_Model):
    """A pain-monitoring rule: past its threshold, its action applies."""

    SCHEMA_DEF: ClassVar[str] = "symptomRule"
    id: str
    measure: str
    action: str
    message: str
    above: float | None = None
    at_most: float | None = None
    min_change: float | None = None


@_model
class Reference(_Model):
    """A source for a protocol's content."""

    SCHEMA_DEF: ClassVar[str] = "reference"
    citation: str
    url: str | None = None
    doi: str | None = None
    note: str | None = None


@_model
class FigureReview(_Model):
    """Who drew and last reviewed an exercise library's figures, and when; whether a clinician took part."""

    SCHEMA_DEF: ClassVar[str] = "figureReview"
    authors: tuple[str, ...] = attrs.field(converter=_as_tuple, metadata={"many": True})
    reviewed: str
    clinician: bool

    def describe(self) -> str:
        """In words, as shown under the figures (``...; not yet reviewed by a clinician.``)."""
        who = ", ".join(self.authors)
        clinical = "reviewed by a clinician" if self.clinician else "not yet reviewed by a clinician"
        return f"Figures drawn by {who}; last reviewed {self.reviewed}; {clinical}."


@_model
class Suppression(_Model):
    """A lint finding a document accepts on purpose, with the reason."""

    SCHEMA_DEF: ClassVar[str] = "suppression"
    code: str
    reason: str
    path: str | None = None


@_model
class Protocol(_Model):
    """A phased rehabilitation protocol, as one document describes it."""

    SCHEMA_DEF: ClassVar[str] = "#"
    kind: str
    id: str
    version: str
    title: str
    summary: str
    conditions: tuple[str, ...] = attrs.field(converter=_as_tuple, metadata={"many": True})
    supervision: Supervision = _nested(Supervision)
    phases: tuple[Phase, ...] = _nested(Phase, many=True)
    red_flags: tuple[ScreeningQuestion, ...] = _nested(ScreeningQuestion, many=True)
    symptom_rules: tuple[SymptomRule, ...] = _nested(SymptomRule, many=True)
    references: tuple[Reference, ...] = _nested(Reference, many=True)
    reviewed: str
    schema_uri: str | None = attrs.field(default=None, metadata={"key": "$schema"})
    #: ``example``: a sample not for patients (``run`` and ``approve`` refuse to record a course in it); None: active.
    status: str | None = None
    #: Questions taken from red-flag libraries; :func:`rehabkit._documents.red_flag_refs.with_shared_red_flags` adds
    #: them to ``red_flags`` for a session, a handout or ``show``.
    shared_red_flags: SharedRedFlags | None = _nested(SharedRedFlags, default=None)
    eligibility: Eligibility | None = _nested(Eligibility, default=None)
    goals: tuple[str, ...] = _texts(default=())
    exercises: tuple[Exercise, ...] = _nested(Exercise, many=True, default=())
    precautions: tuple[Precaution, ...] = _nested(Precaution, many=True, default=())
    advice: tuple[str, ...] = _texts(default=())
    authors: tuple[str, ...] = _texts(default=())
    suppress: tuple[Suppression, ...] = _nested(Suppression, many=True, default=())
    #: The document format it was written for (``format``); ``None``: none declared, the first format.
    format_version: int | None = attrs.field(default=None, metadata={"key": "format"})

    @property
    def key(self) -> str:
        """``id@version``, the protocol's unique name."""
        return f"{self.id}@{self.version}"

    def phase(self, phase_id: str) -> Phase:
        """The phase with this id; raises ``LookupError`` if there is none."""
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise LookupError(f"protocol {self.key!r} has no phase {phase_id!r}")


@_model
class ExerciseLibrary(_Model):
    """A set of exercises that protocols name by id (``exercise-library.schema.json``)."""

    SCHEMA_DEF: ClassVar[str] = "exercise-library.schema.json"
    kind: str
    id: str
    version: str
    title: str
    exercises: tuple[Exercise, ...] = _nested(Exercise, many=True)
    references: tuple[Reference, ...] = _nested(Reference, many=True)
    reviewed: str
    schema_uri: str | None = attrs.field(default=None, metadata={"key": "$schema"})
    summary: str | None = None
    authors: tuple[str, ...] = _texts(default=())
    suppress: tuple[Suppression, ...] = _nested(Suppression, many=True, default=())
    #: The document format it was written for (``format``); ``None``: none declared, the first format.
    format_version: int | None = attrs.field(default=None, metadata={"key": "format"})
    #: Who drew and reviewed the figures, and when (``figure_review``); ``None``: not recorded.
    figure_review: FigureReview | None = _nested(FigureReview, default=None)

    @property
    def key(self) -> str:
        """``id@version``, the library's unique name."""
        return f"{self.id}@{self.version}"


@_model
class RedFlagLibrary(_Model):
    """A set of red-flag questions that protocols take by id (``red-flag-library.schema.json``)."""

    SCHEMA_DEF: ClassVar[str] = "red-flag-library.schema.json"
    kind: str
    id: str
    version: str
    title: str
    questions: tuple[ScreeningQuestion, ...] = _nested(ScreeningQuestion, many=True)
    references: tuple[Reference, ...] = _nested(Reference, many=True)
    reviewed: str
    schema_uri: str | None = attrs.field(default=None, metadata={"key": "$schema"})
    summary: str | None = None
    authors: tuple[str, ...] = _texts(default=())
    #: The document format it was written for (``format``); ``None``: none declared.
    format_version: int | None = attrs.field(default=None, metadata={"key": "format"})

    @property
    def key(self) -> str:
        """``id@version``, the library's unique name."""
        return f"{self.id}@{self.version}"

    def question(self, question_id: str) -> ScreeningQuestion | None:
        """The library's question with this id, or None."""
        return next((q for q in self.questions if q.id == question_id), None)

    def for_sign(self, sign: str) -> ScreeningQuestion | None:
        """The library's first question that covers ``sign``, or None."""
        return next((q for q in self.questions if sign in q.covers), None)
