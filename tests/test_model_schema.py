"""The schema and the attrs model say the same thing, and shipped protocols round-trip."""

from __future__ import annotations

import json

import attrs
import pytest

from rehabkit import model
from rehabkit._documents.loader import load_file
from rehabkit._documents.schemas import LIBRARY_SCHEMA, load_schema
from rehabkit._documents.validation import iter_document_files, model_from_document

from conftest import CORPUS, PROTOCOLS

SCHEMA = load_schema()
MODEL_CLASSES = [getattr(model, name) for name in model.__all__]


def _definition(cls) -> dict:
    if cls.SCHEMA_DEF.endswith(".schema.json"):
        return load_schema(cls.SCHEMA_DEF)
    return SCHEMA if cls.SCHEMA_DEF == "#" else SCHEMA["$defs"][cls.SCHEMA_DEF]


def _keys(cls) -> dict[str, attrs.Attribute]:
    return {f.metadata.get("key", f.name): f for f in attrs.fields(cls)}


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
def test_model_fields_are_the_schema_properties(cls) -> None:
    assert set(_keys(cls)) == set(_definition(cls)["properties"])


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
def test_required_properties_are_fields_without_defaults(cls) -> None:
    required = {key for key, field in _keys(cls).items() if field.default is attrs.NOTHING}
    assert required == set(_definition(cls).get("required", []))


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
def test_model_classes_are_frozen_and_slotted(cls) -> None:
    assert attrs.has(cls)
    assert "__slots__" in cls.__dict__
    instance_fields = attrs.fields(cls)
    assert instance_fields  # every class holds something
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        object.__new__(cls).__setattr__(instance_fields[0].name, None)


def test_every_schema_definition_has_a_model_class() -> None:
    modelled = {cls.SCHEMA_DEF for cls in MODEL_CLASSES}
    # 'count' is a scalar-or-range union that the Range class carries; enums are plain strings.
    objects = {name for name, definition in SCHEMA["$defs"].items() if "enum" not in definition}
    assert objects - {"count"} <= modelled


SHIPPED = sorted(iter_document_files(PROTOCOLS)) + sorted(iter_document_files(CORPUS / "good"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.rsplit("/", 1)[-1])
def test_shipped_documents_round_trip_through_the_model(path: str) -> None:
    document = load_file(path)
    item = model_from_document(document)
    assert item.to_dict() == document.data


def test_ranges_round_trip_in_canonical_form() -> None:
    assert model.Range.from_value(5).to_value() == 5
    assert model.Range.from_value({"min": 5, "max": 8}).to_value() == {"min": 5, "max": 8}
    assert str(model.Range.from_value({"min": 5, "max": 8})) == "5-8"


def test_dose_reads_as_plain_words() -> None:
    dose = model.Dose.from_dict(
        {
            "sets": 1,
            "reps": {"min": 8, "max": 10},
            "hold_seconds": 5,
            "side": "each",
            "times_per_day": 1,
            "pain_limit": 3,
        }
    )
    assert dose.describe() == "1 set x 8-10 reps, hold 5 s, each side, once a day, pain limit 3/10"


def test_protocol_phase_lookup() -> None:
    protocol = model.Protocol.from_dict(load_file(str(CORPUS / "good" / "minimal.yaml")).data)
    assert protocol.phase("acute").exercises[0].exercise == "chin-tuck"
    assert protocol.key == "corpus-minimal@0.1.0"
    with pytest.raises(LookupError, match="has no phase 'later'"):
        protocol.phase("later")


def test_schema_is_a_valid_2020_12_schema_with_a_versioned_id() -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "/1.0/" in SCHEMA["$id"]


def _properties(node, path="$"):
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}.{name}", sub
        for key, sub in node.items():
            if key != "properties":
                yield from _properties(sub, f"{path}/{key}")
        for name, sub in node.get("properties", {}).items():
            yield from _properties(sub, f"{path}.{name}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _properties(sub, f"{path}[{i}]")


@pytest.mark.parametrize("name", ["protocol.schema.json", LIBRARY_SCHEMA])
def test_every_property_has_a_description_for_editors(name: str) -> None:
    missing = [path for path, sub in _properties(load_schema(name)) if not sub.get("description")]
    assert missing == []
    for name, definition in SCHEMA["$defs"].items():
        assert definition.get("description"), name


def test_schema_file_is_the_one_the_package_ships() -> None:
    from rehabkit._documents.schemas import schema_text

    for name in ("protocol.schema.json", LIBRARY_SCHEMA):
        assert json.loads(schema_text(name)) == json.loads((PROTOCOLS.parent / "schemas" / name).read_text())


def test_the_exercise_library_schema_stands_alone_and_matches_the_protocol_definitions() -> None:
    import jsonschema

    from rehabkit._documents.schema_bundle import bundle_library_schema
    from rehabkit._documents.schemas import LIBRARY_SCHEMA

    shipped = load_schema(LIBRARY_SCHEMA)
    assert shipped == bundle_library_schema(shipped, SCHEMA), (
        "schemas/exercise-library.schema.json is out of step with protocol.schema.json: run "
        "'python -m rehabkit._documents.schema_bundle --write schemas/exercise-library.schema.json'"
    )
    assert "protocol.schema.json#" not in json.dumps(shipped)  # nothing a standard validator would have to fetch
    library = load_file(str(PROTOCOLS / "exercises" / "spine-exercises.yaml")).data
    jsonschema.Draft202012Validator(shipped).validate(library)  # no registry: the schema alone
    broken = {**library, "exercises": [{**library["exercises"][0], "dose": {"reps": "ten"}}]}
    assert not jsonschema.Draft202012Validator(shipped).is_valid(broken)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.rsplit("/", 1)[-1])
def test_generated_builders_give_what_init_gives(path: str) -> None:
    """from_dict's generated builders build the same objects as the classes' own __init__."""
    document = load_file(path)
    cls = model.Protocol if document.data["kind"] == "protocol" else model.ExerciseLibrary
    built = model._builder(cls)(document.data)  # from_dict uses it once a few objects of the class were built
    assert built == model._build_by_init(cls, document.data) == cls.from_dict(document.data)
    assert repr(built) == repr(model._build_by_init(cls, document.data))
    for _ in range(model._BUILD_BY_INIT_FIRST + 1):  # from_dict, before and after it starts to use the builder
        assert cls.from_dict(document.data) == built


def test_a_builder_fails_as_init_does() -> None:
    """Data a builder cannot read raises __init__'s own error, naming what is missing."""
    for build in (model.Reference.from_dict, model._builder(model.Reference)):
        with pytest.raises(TypeError, match="citation"):
            build({"url": "https://example.org"})
    for build in (model.Phase.from_dict, model._builder(model.Phase)):
        with pytest.raises(TypeError, match="summary"):
            build({"id": "p", "name": "P", "focus": ["x"], "exercises": [], "entry": {"all": []}})
    criteria = model.Criteria.from_dict({"summary": "s", "all": [{"measure": "pain-during", "at_most": 3}]})
    assert criteria.all == (model.Criterion(measure="pain-during", at_most=3),)
    texts = model.Eligibility.from_dict({"inclusions": ["a"]})
    assert texts.inclusions == ("a",) and texts.exclusions == ()
    dose = model.Dose.from_dict({"reps": 10, "hold_seconds": {"min": 5, "max": 8, "step": 1}})
    assert dose.reps == model.Range(min=10, max=10) and dose.hold_seconds == model.Range(min=5, max=8, step=1)
    assert dose.sets is None and dose.describe() == "10 reps, hold 5-8 s"


def test_model_objects_compare_hash_and_print_by_their_fields() -> None:
    """The model classes' shared equality, hash and repr behave as attrs' generated ones did."""
    a, b, c = model.Range(min=1, max=3, step=1), model.Range(min=1, max=3, step=1), model.Range(min=1, max=3)
    assert a == b and not a != b and hash(a) == hash(b)
    assert a != c and c != a and len({a, b, c}) == 2
    assert a != (1, 3, 1) and (a == "Range") is False and a.__eq__(1) is NotImplemented
    assert repr(a) == "Range(min=1, max=3, step=1)"
    assert repr(model.Reference(citation="A 'quoted' work")) == (
        "Reference(citation=\"A 'quoted' work\", url=None, doi=None, note=None)"
    )
    # same field values, different classes: never equal
    media = model.Media(type="image", url="u", alt="a")
    assert media != model.Reference(citation="image", url="u", doi="a") and media == model.Media(
        type="image", url="u", alt="a"
    )
    data = next(d for d in (load_file(p).data for p in SHIPPED) if d["kind"] == "protocol")
    protocol = model.Protocol.from_dict(data)
    changed = protocol.replace(title=protocol.title + " (changed)")
    assert protocol != changed and {protocol: 1}[protocol.replace()] == 1


def test_model_objects_compare_and_print_as_attrs_own_methods_would() -> None:
    """Every object of every shipped document against a twin class whose equality, hash and repr attrs makes."""
    twins: dict[type, type] = {}

    def twin(obj: object) -> object:
        cls = type(obj)
        if cls not in twins:
            twins[cls] = attrs.make_class(cls.__name__, [f.name for f in attrs.fields(cls)], frozen=True, slots=True)
        return twins[cls](*(getattr(obj, f.name) for f in attrs.fields(cls)))

    def walk(value: object):
        if attrs.has(type(value)):
            yield value
            for f in attrs.fields(type(value)):
                yield from walk(getattr(value, f.name))
        elif isinstance(value, tuple):
            for item in value:
                yield from walk(item)

    objects = []
    for path in SHIPPED:
        data = load_file(path).data
        cls = model.Protocol if data["kind"] == "protocol" else model.ExerciseLibrary
        objects += walk(cls.from_dict(data))
    assert len({type(o) for o in objects}) >= 12
    for obj in objects:
        assert repr(obj) == repr(twin(obj))
    by_class: dict[type, list[object]] = {}
    for obj in objects:
        by_class.setdefault(type(obj), []).append(obj)
    for group in by_class.values():
        sample = group[:40]
        for a in sample:
            for b in sample:
                assert (a == b) == (twin(a) == twin(b)) and (a != b) == (twin(a) != twin(b))
                assert a != b or hash(a) == hash(b)

    def made_in_a_function() -> object:
        @model._model
        class Local(model._Model):
            SCHEMA_DEF = "local"
            size: int = 1

        @attrs.frozen(slots=True, kw_only=True)
        class Reference:
            size: int = 1

        assert repr(Local()) == repr(Reference()).replace("Reference", "Local")
        return Local()

    assert repr(made_in_a_function()) == "Local(size=1)"
