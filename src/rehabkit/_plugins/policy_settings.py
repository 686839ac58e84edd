"""The clinical settings a pack registers (``rehabkit_register_clinical_policy``): checked, then laid over the
defaults.

rehabkit's clinical defaults are data (:mod:`rehabkit._common.clinical_data`). A
clinic's pack may replace any setting: :func:`settings_from` checks what it
registers (known signs, conditions and counts) and :func:`effective_policy`
lays the settings over the defaults, which is what ``Registry.policy()`` gives.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .._common.clinical_data import policy
from .._common.vocabulary import RED_FLAG_SIGNS
from .._documents.schemas import load_schema

__all__ = ["PolicySetting", "effective_policy", "settings_from"]


@attrs.frozen(slots=True)
class PolicySetting:
    """One setting a pack gives, named ``section.key`` (``red_flags.required_signs``), with its checked value."""

    name: str
    value: Any


def _signs(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a non-empty list of red-flag signs")
    unknown = [v for v in value if v not in RED_FLAG_SIGNS]
    if unknown:
        raise ValueError(f"{name} names unknown signs {unknown}; the signs are {', '.join(RED_FLAG_SIGNS)}")
    return list(value)


def _conditions(value: Any, name: str) -> list[str]:
    known = load_schema()["properties"]["conditions"]["items"]["enum"]
    if not isinstance(value, list) or not all(isinstance(v, str) and v in known for v in value):
        raise ValueError(f"{name} must be a list of conditions from {', '.join(known)}")
    return list(value)


def _regions(value: Any, name: str) -> list[dict[str, Any]]:
    shape = f"{name} must be a list of {{region: text, conditions: [...], signs: [...]}}"
    if not isinstance(value, list):
        raise ValueError(shape)
    groups = []
    for n, group in enumerate(value):
        if not (isinstance(group, Mapping) and set(group) == {"region", "conditions", "signs"}):
            raise ValueError(shape)
        if not isinstance(group["region"], str) or not group["region"].strip():
            raise ValueError(shape)
        where = f"{name}[{n}]"
        groups.append(
            {
                "region": group["region"],
                "conditions": _conditions(group["conditions"], f"{where}.conditions"),
                "signs": _signs(group["signs"], f"{where}.signs"),
            }
        )
    return groups


def _bound(value: Any, name: str) -> dict[str, Any]:
    if not (
        isinstance(value, Mapping)
        and set(value) == {"max", "zero_allowed", "noun"}
        and isinstance(value["max"], int)
        and not isinstance(value["max"], bool)
        and value["max"] > 0
        and isinstance(value["zero_allowed"], bool)
        and isinstance(value["noun"], str)
        and value["noun"]
    ):
        raise ValueError(f"{name} must be {{max: a whole number above 0, zero_allowed: true or false, noun: text}}")
    return dict(value)


def _question(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip().endswith("?"):
        raise ValueError(f"{name} must be a question (text ending with '?')")
    return value


#: What a patient never does, whatever a clinic's pack says: approve, clear, review, or administer.
_NEVER_A_PATIENT = (
    "record-surgery-date",
    "give-clinician-approval",
    "give-surgeon-clearance",
    "transcribe-surgeon-clearance",
    "withdraw-approval",
    "review",
    "lift-urgent-referral",
    "manage-staff",
    "erase-patient",
    "read-audit",
)


def _roles(key: str, value: Any, name: str) -> list[str]:
    known = list(policy()["staff"]["roles"])
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v in known for v in value):
        raise ValueError(f"{name} must be a non-empty list of roles from {', '.join(known)}")
    if "patient" in value and key in _NEVER_A_PATIENT:
        raise ValueError(f"{name}: a patient never does this (approve, clear, review or administer)")
    return list(value)


def _staff(key: str, value: Any, name: str) -> Any:
    actions = list(policy()["who_may_act"])
    if key == "trust_event_days":
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 366:
            raise ValueError(f"{name} must be a whole number of days from 1 to 366")
        return value
    if key != "note_required":
        raise ValueError(f"{name} is not a setting a pack may change (the roles are rehabkit's own)")
    if not isinstance(value, list) or not all(isinstance(v, str) and v in actions for v in value):
        raise ValueError(f"{name} must be a list of actions from {', '.join(actions)}")
    return list(value)


def _check(section: str, key: str, value: Any) -> Any:
    name = f"{section}.{key}"
    if section == "who_may_act":
        return _roles(key, value, name)
    if section == "staff":
        return _staff(key, value, name)
    if section == "red_flags" and key in ("required_signs", "urgent_signs", "lumbar_required_signs"):
        return _signs(value, name)
    if section == "red_flags" and key == "lumbar_conditions":
        return _conditions(value, name)
    if section == "red_flags" and key == "region_required_signs":
        return _regions(value, name)
    if section == "dose_bounds":
        return _bound(value, name)
    if section == "handout":
        return _handout(key, value, name)
    if section == "session" and key == "relax_seconds_between_holds":
        return _seconds(value, name)
    return _question(value, name)


def _seconds(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120:
        raise ValueError(f"{name} must be a whole number of seconds from 0 to 120")
    return value


def _handout(key: str, value: Any, name: str) -> Any:
    if key == "log_days_without_review":
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 84:
            raise ValueError(f"{name} must be a whole number of days from 1 to 84")
        return value
    actions = set(policy()["handout"]["help"])
    if not (
        isinstance(value, Mapping)
        and set(value) == actions
        and all(
            isinstance(v, Mapping)
            and set(v) == {"heading", "what_to_do"}
            and all(isinstance(t, str) and t.strip() for t in v.values())
            for v in value.values()
        )
    ):
        raise ValueError(
            f"{name} must give {{heading: text, what_to_do: text}} for each of {', '.join(sorted(actions))}"
        )
    return {action: dict(texts) for action, texts in value.items()}


def settings_from(data: Any) -> list[PolicySetting]:
    """The settings a pack registered, each checked; raises ``ValueError`` naming the first wrong one."""
    defaults = policy()
    if not isinstance(data, Mapping):
        raise ValueError("expected a mapping in the shape of clinical_policy.json")
    settings = []
    for section, values in data.items():
        if section not in defaults or section == "about" or not isinstance(values, Mapping):
            sections = ", ".join(s for s in defaults if s != "about")
            raise ValueError(f"unknown section {section!r}; the sections are {sections}")
        for key, value in values.items():
            if key not in defaults[section]:
                raise ValueError(f"unknown setting {section}.{key}; known: {', '.join(defaults[section])}")
            settings.append(PolicySetting(f"{section}.{key}", _check(section, key, value)))
    return settings


def effective_policy(settings: Iterable[PolicySetting]) -> dict[str, Any]:
    """The defaults with each setting laid over them."""
    merged = copy.deepcopy(policy())
    for setting in settings:
        section, _, key = setting.name.partition(".")
        merged[section][key] = setting.value
    return merged
