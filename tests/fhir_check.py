"""Offline FHIR checks stricter than fhir.resources: required bindings, invariants, references, extensions.

fhir.resources checks structure, types and cardinality; it accepts a status
that is not a publication status, an activity kind that is not a resource
type, a time unit that is not one, and a reference to a contained resource
that does not exist. :func:`check` also walks every element of a resource
against the official HL7 definitions (tests/fhir/definitions-*.json, a subset
of the hl7.fhir.r4b.core and hl7.fhir.r5.core packages) and reports:

* a code outside the value set of a required binding;
* an invariant (constraint) whose FHIRPath expression, evaluated with
  fhirpathpy at that element, is false; severity ``error`` fails, ``warning``
  is kept apart;
* a ``#id`` reference (Reference.reference, canonical) with no contained
  resource of that id, a ``urn:uuid`` reference with no Bundle entry of that
  fullUrl, a contained resource nothing refers to, and a goal or related action
  a plan's action names that the plan does not have;
* an extension whose URL is not one rehabkit publishes (schemas/fhir/), or
  whose parts and value types its StructureDefinition does not allow.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import fhirpathpy
from fhirpathpy.models import models

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
#: Invariants fhirpathpy cannot evaluate, and why; every other one must evaluate.
NOT_EVALUATED = {
    "txt-1": "htmlChecks() is an HL7 validator function (our exports carry no narrative)",
    "txt-2": "htmlChecks() family (no narrative)",
}


def _range_ordered(node: dict[str, Any], root: Any) -> bool:
    low, high = node.get("low", {}).get("value"), node.get("high", {}).get("value")
    return low is None or high is None or low <= high


def _goals_defined(node: dict[str, Any], root: Any) -> bool:
    goals = {g.get("id") for g in node.get("goal", ())}

    def actions(items: Any) -> Any:
        for action in items or ():
            yield action
            yield from actions(action.get("action"))

    return all(goal in goals for action in actions(node.get("action")) for goal in action.get("goalId", ()))


#: Invariants whose FHIRPath fhirpathpy cannot evaluate (a Quantity or date boundary comparison, a collection on
#: one side of 'in' or 'as'), checked by the same rule written in Python instead. dom-3 (contained resources
#: referred to) is the reference check below.
def _period_ordered(node: dict[str, Any], root: Any) -> bool:
    start, end = node.get("start"), node.get("end")
    return start is None or end is None or start[:10] <= end[:10]  # the exports write dates and UTC instants


NATIVE = {"rng-2": _range_ordered, "per-1": _period_ordered, "pld-3": _goals_defined, "dom-3": lambda node, root: True}


@attrs.frozen
class Report:
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    #: Invariant keys that could not be evaluated, with the element.
    skipped: tuple[str, ...]


@functools.cache
def definitions(version: str) -> dict[str, Any]:
    data = json.loads((HERE / "fhir" / f"definitions-{version}.json").read_text(encoding="utf-8"))
    data["by_path"] = {t: {e["path"]: e for e in elements} for t, elements in data["types"].items()}
    return data


@functools.cache
def published_extensions() -> dict[str, dict[str, list[str]]]:
    """Each published extension's URL -> its parts and the value types each part allows."""
    out = {}
    for path in sorted((REPO / "schemas" / "fhir").glob("StructureDefinition-*.json")):
        sd = json.loads(path.read_text(encoding="utf-8"))
        parts: dict[str, list[str]] = {}
        for element in sd["differential"]["element"]:
            if element["path"] == "Extension.extension.value[x]":
                parts[element["id"].split(":")[1].split(".")[0]] = [t["code"] for t in element["type"]]
        out[sd["url"]] = parts
    return out


def _has_value(data: list[Any]) -> list[bool]:
    # FHIRPath hasValue(): a single primitive with a value (fhirpathpy does not implement it).
    items = [getattr(item, "data", item) for item in data]
    return [len(items) == 1 and not isinstance(items[0], (dict, list)) and items[0] is not None]


_OPTIONS = {"userInvocationTable": {"hasValue": {"fn": _has_value, "arity": {0: []}}}, "traceFn": lambda *args: None}


@functools.cache
def _parsed(expression: str) -> Any:
    return fhirpathpy.parse(expression)


def _evaluate(node: Any, base: str, expression: str, model: Any, root: Any) -> list[Any]:
    # The node with its type path (PlanDefinition.action, Extension), so that choice elements such as value[x]
    # resolve; %resource is the resource the element belongs to.
    typed = fhirpathpy.ResourceNode.create_node(node, base)
    return fhirpathpy.apply_parsed_path(
        typed, _parsed(expression), {"resource": root, "rootResource": root}, model, _OPTIONS
    )


def _upper(code: str) -> str:
    return code[:1].upper() + code[1:]


class _Walker:
    def __init__(self, version: str) -> None:
        self.version = version
        self.data = definitions(version)
        self.model = models["r5" if version == "r5" else "r4"]
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.skipped: list[str] = []

    def element(self, type_name: str, path: str) -> dict[str, Any] | None:
        return self.data["by_path"].get(type_name, {}).get(path)

    def child(self, type_name: str, path: str, key: str) -> tuple[dict[str, Any], str | None] | None:
        element = self.element(type_name, f"{path}.{key}")
        if element is not None:
            return element, None
        for candidate_path, candidate in self.data["by_path"].get(type_name, {}).items():
            if candidate_path.startswith(f"{path}.") and candidate_path.endswith("[x]"):
                stem = candidate_path[len(path) + 1 : -3]
                if "." not in stem and key.startswith(stem):
                    for code in candidate["types"]:
                        if key == stem + _upper(code):
                            return candidate, code
        return None

    def resource(self, resource: dict[str, Any], where: str) -> None:
        kind = resource.get("resourceType")
        if kind not in self.data["types"]:
            self.errors.append(f"{where}: resource type {kind!r} is not one these checks know")
            return
        root = copy.deepcopy(resource)
        self.node(resource, kind, kind, where, root, kind)

    def constraints(self, element: dict[str, Any], node: Any, base: str, where: str, root: Any) -> None:
        for constraint in element.get("constraints", ()):
            key = constraint["key"]
            if key in NATIVE:
                if not NATIVE[key](node, root):
                    message = f"{where}: invariant {key} fails: {constraint['human']}"
                    (self.errors if constraint["severity"] == "error" else self.warnings).append(message)
                continue
            try:
                result = _evaluate(node, base, constraint["expression"], self.model, root)
            except Exception as exc:  # an expression fhirpathpy cannot evaluate
                if key not in NOT_EVALUATED:
                    self.skipped.append(f"{where}: {key} ({type(exc).__name__}: {str(exc)[:80]})")
                continue
            if result == [False]:
                message = f"{where}: invariant {key} fails: {constraint['human']}"
                (self.errors if constraint["severity"] == "error" else self.warnings).append(message)

    def binding(self, element: dict[str, Any], value: Any, code_type: str, where: str) -> None:
        url = element.get("binding")
        if url is None:
            return
        valueset = self.data["valueSets"][url]
        if "codes" not in valueset and "urn:ietf:bcp:13" in valueset.get("unexpandable", ""):
            # Media types (BCP 13) are IANA's registry, not in the package: the ones rehabkit writes are listed.
            if value not in IANA_MEDIA_TYPES:
                self.errors.append(f"{where}: {value!r} is not a media type this checker knows IANA registers")
            return
        if "codes" not in valueset:
            self.errors.append(
                f"{where}: the required binding {url} cannot be checked offline ({valueset['unexpandable']})"
            )
            return
        allowed = {(s, c) for s, c in valueset["codes"]}
        codes = {c for _, c in allowed}
        if code_type == "code":
            if value not in codes:
                self.errors.append(f"{where}: {value!r} is not in the required value set {url}")
        elif code_type == "Coding":
            if (value.get("system"), value.get("code")) not in allowed:
                self.errors.append(
                    f"{where}: {value.get('system')}#{value.get('code')} is not in the required value set {url}"
                )
        elif code_type == "CodeableConcept":
            if not any((c.get("system"), c.get("code")) in allowed for c in value.get("coding", ())):
                self.errors.append(f"{where}: no coding is in the required value set {url}")

    def node(self, node: dict[str, Any], type_name: str, path: str, where: str, root: Any, base: str) -> None:
        element = self.element(type_name, path)
        if element is not None:
            self.constraints(element, node, path, where, root)
        for key, value in node.items():
            if key == "resourceType" or key.startswith("_") or key == "fhir_comments":
                continue
            found = self.child(type_name, path, key)
            if found is None:
                self.errors.append(f"{where}.{key}: no element {path}.{key} in FHIR {self.version.upper()}")
                continue
            child, choice = found
            child_path = child["path"]
            items = value if isinstance(value, list) else [value]
            if isinstance(value, list) and child["max"] == "1":
                self.errors.append(f"{where}.{key}: a list where FHIR allows one value")
            for n, item in enumerate(items):
                at = f"{where}.{key}" + (f"[{n}]" if isinstance(value, list) else "")
                item_base = f"{base}.{key}"
                code_type = choice or (child["types"][0] if len(child["types"]) == 1 else None)
                if "contentReference" in child:
                    target = child["contentReference"]
                    self.node(item, type_name, target, at, root, item_base)
                    continue
                if code_type in ("code", "Coding", "CodeableConcept"):
                    self.binding(child, item, code_type, at)
                if code_type == "Resource" or (code_type is None and isinstance(item, dict) and "resourceType" in item):
                    self.resource(item, at)
                elif code_type in ("BackboneElement", "Element") and isinstance(item, dict):
                    self.node(item, type_name, child_path, at, root, item_base)
                elif code_type and code_type[:1].isupper() and isinstance(item, dict):
                    self.node(item, code_type, code_type, at, root, item_base)


#: The media types rehabkit's exports use, as IANA registers them (https://www.iana.org/assignments/media-types):
#: an exercise figure is ``image/svg+xml``.
IANA_MEDIA_TYPES = frozenset({"image/svg+xml"})


def _walk(value: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _walk(item, f"{where}[{n}]")
    else:
        yield where, value


def _references(resource: dict[str, Any], where: str, full_urls: set[str], errors: list[str]) -> None:
    contained = {r.get("id") for r in resource.get("contained", ())}
    used: set[str] = set()
    for path, value in _walk({k: v for k, v in resource.items() if k != "contained"}):
        if not isinstance(value, str):
            continue
        last = path.rsplit(".", 1)[-1]
        if value.startswith("#") and (
            last.startswith("reference")
            or last.startswith("definitionCanonical")
            or last in ("questionnaire", "instantiatesCanonical")
        ):
            used.add(value[1:])
            if value[1:] not in contained:
                errors.append(f"{where}.{path}: {value} names no contained resource")
        if value.startswith("urn:uuid:") and last == "reference" and value not in full_urls:
            errors.append(f"{where}.{path}: {value} names no entry of the Bundle")
    for unused in sorted(contained - used - {None}):
        errors.append(f"{where}.contained: the contained resource {unused!r} is not referred to")
    for n, inner in enumerate(resource.get("contained", ())):
        _references(inner, f"{where}.contained[{n}]", full_urls, errors)
    if resource.get("resourceType") == "PlanDefinition":
        # Inside a plan, actions name goals and other actions by their element id: each must exist.
        def actions(items: Any) -> Iterator[dict[str, Any]]:
            for action in items or ():
                yield action
                yield from actions(action.get("action"))

        goals = {g.get("id") for g in resource.get("goal", ())}
        ids = {a.get("id") for a in actions(resource.get("action"))}
        for action in actions(resource.get("action")):
            for goal in action.get("goalId", ()):
                if goal not in goals:
                    errors.append(
                        f"{where}: action {action.get('id')!r} names goal {goal!r}, which the plan does not define"
                    )
            for related in action.get("relatedAction", ()):
                target = related.get("targetId", related.get("actionId"))
                if target not in ids:
                    errors.append(
                        f"{where}: action {action.get('id')!r} follows action {target!r}, which the plan lacks"
                    )


def _extensions(resource: Any, where: str, errors: list[str]) -> None:
    published = published_extensions()
    for path, value in _walk(resource):
        if not path.endswith(".url") or ".extension[" not in path:
            continue
        parent = path[: -len(".url")]
        if parent.count(".extension[") > 1:
            continue  # a part of an extension: checked with its extension below
        if value not in published:
            errors.append(f"{where}.{parent}: extension {value!r} is not one rehabkit publishes in schemas/fhir/")

    def visit(node: Any, at: str) -> None:
        if isinstance(node, dict):
            for extension in node.get("extension", ()):
                parts = published.get(extension.get("url"))
                if parts is not None:
                    for part in extension.get("extension", ()):
                        values = [k for k in part if k.startswith("value")]
                        allowed = parts.get(part.get("url"))
                        if allowed is None:
                            errors.append(f"{at}: {extension['url']} has no part {part.get('url')!r}")
                        elif len(values) != 1 or values[0] not in {"value" + _upper(t) for t in allowed}:
                            errors.append(
                                f"{at}: part {part.get('url')!r} of {extension['url']} must be one of {allowed}"
                            )
            for key, item in node.items():
                visit(item, f"{at}.{key}")
        elif isinstance(node, list):
            for n, item in enumerate(node):
                visit(item, f"{at}[{n}]")

    visit(resource, where)


def check(resource: dict[str, Any], version: str) -> Report:
    """Every problem of ``resource`` (a PlanDefinition, or a Bundle of a course) in FHIR ``version``."""
    walker = _Walker(version)
    kind = resource.get("resourceType", "?")
    walker.resource(resource, kind)
    errors = walker.errors
    if kind == "Bundle":
        full_urls = {e.get("fullUrl") for e in resource.get("entry", ())}
        if len(full_urls) != len(resource.get("entry", ())):
            errors.append("Bundle.entry: two entries share a fullUrl")
        for n, entry in enumerate(resource.get("entry", ())):
            _references(entry["resource"], f"Bundle.entry[{n}].resource", {u for u in full_urls if u}, errors)
    else:
        _references(resource, kind, set(), errors)
    _extensions(resource, kind, errors)
    return Report(tuple(errors), tuple(walker.warnings), tuple(walker.skipped))
