"""rehabkit's clinical defaults, read from the core pack's data file ``default_plugins/clinical_policy.json``.

The red-flag minimum set, the urgent signs, the lower-back conditions that
screen for cauda equina, the typo bounds of doses and the question asked after
each session are clinical choices, so they are data with their sources, not
constants in the rules that use them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["POLICY_FILE", "policy"]

POLICY_FILE = Path(__file__).parent.parent / "default_plugins" / "clinical_policy.json"


@lru_cache(maxsize=None)
def policy() -> dict[str, Any]:
    """The clinical defaults (cached: treat as read-only)."""
    data: dict[str, Any] = json.loads(POLICY_FILE.read_text(encoding="utf-8"))
    return data
