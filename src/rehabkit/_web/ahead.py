"""Where a patient stands in today's plan, and the pages ahead of them, which the device keeps for use offline.

Once pain before exercise is given, today's plan is fixed: its exercises in order, then pain after, then the
new-symptom question. Each has a position (0 for the first exercise; the number of exercises for pain after; one more
for the new-symptom question) and a page at ``/session/ahead/POSITION`` while the patient stands before it. The page's
script keeps those pages on the device; offline, an answer is kept on the device and the next page is shown from
there, and the answers are sent in order when the device is back online (see ``offline.js``).
"""

from __future__ import annotations

from .visits import Visit

__all__ = ["END", "last", "next_page", "pages_after", "position"]

#: What a form names as its next page when the session's last answer is given (the decision needs the server).
END = "end"


def position(visit: Visit) -> int | None:
    """The patient's position in today's plan; None before the plan (screening, pain before) and after the end."""
    step, run = visit.step, visit.run
    if run is None or run.plan is None:
        return None
    if step.startswith("exercise:"):
        return visit.exercise
    if step == "pain-after":
        return len(run.plan.items)
    if step == "new-symptom":
        return len(run.plan.items) + 1
    return None


def last(visit: Visit) -> int:
    """The position of the plan's last page (the new-symptom question)."""
    assert visit.run is not None and visit.run.plan is not None
    return len(visit.run.plan.items) + 1


def next_page(at: int, exercises: int) -> str:
    """The page after position ``at`` of a plan of ``exercises`` exercises (:data:`END` after the last)."""
    return f"/session/ahead/{at + 1}" if at <= exercises else END


def pages_after(visit: Visit) -> list[str]:
    """The pages of today's plan after the patient's position, for the device to keep."""
    at = position(visit)
    if at is None:
        return []
    return [f"/session/ahead/{n}" for n in range(at + 1, last(visit) + 1)]
