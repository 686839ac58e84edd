"""How the core rules' explanations word the clinical settings they quote (``rehabkit rules CODE``).

RK201, RK301 and RK306 check values a clinic's pack may replace
(``rehabkit_register_clinical_policy``); their explanations are made from the
policy in force, so that they say what the rules check. With rehabkit's
defaults they read as they always have.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._common.text import and_list

__all__ = ["and_list", "in_force"]


def in_force(set_by: Mapping[str, str]) -> str:
    """A closing sentence naming the settings (``red_flags.required_signs``) packs set, from setting -> pack;
    nothing when they are all rehabkit's defaults."""
    if not set_by:
        return ""
    by_pack: dict[str, list[str]] = {}
    for setting, pack in sorted(set_by.items()):
        by_pack.setdefault(pack, []).append(setting)
    settings = "; ".join(f"{and_list(names)} by pack {pack!r}" for pack, names in by_pack.items())
    return (
        f" In force here: {settings} (rehabkit_register_clinical_policy), in place of rehabkit's defaults "
        "(clinical_policy.json)."
    )
