"""The front and top views of an exercise figure: where each point of the body falls on the page.

The side view (:func:`rehabkit._outputs.figures.pose_points`) draws the body's side. These draw the front
(the frontal plane: sideways bends, arms and legs out to the side, the head's turn as the nose's place) and
the view from above the head (the transverse plane: the shoulders turned from the hips, the head's turn, the
arms' direction). The same joint names mean the movements of the plane drawn; ``views`` in the body model
(``schemas/body-model.json``) says what each means and its range.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

__all__ = ["front_points", "top_points"]

Point = tuple[float, float]
#: A pose's angle at a joint, for one side (``""``: the unpaired joints).
Angle = Callable[[str, str], float]


def _step(start: Point, direction: float, length: float) -> Point:
    """The point ``length`` away from ``start`` in ``direction`` (degrees, 0 up the page, 90 to the right)."""
    radians = math.radians(direction)
    return start[0] + length * math.sin(radians), start[1] - length * math.cos(radians)


def front_points(angle: Angle, length: Mapping[str, float], width: Mapping[str, float]) -> dict[str, Point]:
    """The body seen from the front, hip at the origin; the figure's left on the reader's right."""
    lean = angle("pelvis", "")
    points: dict[str, Point] = {"hip": (0.0, 0.0), "pelvis": _step((0.0, 0.0), lean, length["pelvis"])}
    direction, previous = lean, "pelvis"
    for point in ("lower-trunk", "upper-trunk", "neck"):
        direction += angle(point, "")
        points[point] = _step(points[previous], direction, length[point])
        previous = point
    points["head"] = _step(points["neck"], direction, length["head"])
    centre = ((points["head"][0] + points["neck"][0]) / 2, (points["head"][1] + points["neck"][1]) / 2)
    turn = math.sin(math.radians(angle("head", "")))
    points["nose"] = _step(centre, direction + 90, 4.5 * turn)
    trunk = direction - angle("neck", "")
    for side, sign in (("left", 1), ("right", -1)):
        _front_limbs(points, angle, side, sign, (lean, trunk), length, width)
    return points


def _front_limbs(
    points: dict[str, Point],
    angle: Angle,
    side: str,
    sign: int,
    directions: tuple[float, float],
    length: Mapping[str, float],
    width: Mapping[str, float],
) -> None:
    lean, trunk = directions
    hip = points[f"{side}-hip"] = _step(points["hip"], lean + 90 * sign, width["hips"] / 2)
    shoulder = points[f"{side}-shoulder"] = _step(points["upper-trunk"], trunk + 90 * sign, width["shoulders"] / 2)
    arm = trunk + 180 - sign * angle("shoulder", side)
    points[f"{side}-elbow"] = _step(shoulder, arm, length["arm"])
    points[f"{side}-hand"] = _step(points[f"{side}-elbow"], arm - sign * angle("elbow", side), length["forearm"])
    leg = lean + 180 - sign * angle("hip", side)
    knee = math.radians(angle("knee", side))  # toward the reader shortens the thigh, away the lower leg
    points[f"{side}-knee"] = _step(hip, leg, length["thigh"] * math.cos(max(knee, 0.0)))
    points[f"{side}-ankle"] = _step(points[f"{side}-knee"], leg, length["shank"] * math.cos(min(knee, 0.0)))
    points[f"{side}-foot"] = _step(points[f"{side}-ankle"], leg - 90 * sign, 4.0)


def top_points(angle: Angle, length: Mapping[str, float], width: Mapping[str, float]) -> dict[str, Point]:
    """The body seen from above the head, facing up the page turned by ``pelvis``; hips and head at the origin."""
    facing = angle("pelvis", "")
    chest = facing - angle("lower-trunk", "") - angle("upper-trunk", "")
    centre = (0.0, 0.0)
    points: dict[str, Point] = {name: centre for name in ("hip", "pelvis", "lower-trunk", "upper-trunk", "neck")}
    points["head"] = centre
    points["nose"] = _step(centre, chest - angle("neck", ""), 10.0)
    for side, sign in (("left", -1), ("right", 1)):  # from above, facing up the page, the left is on the left
        hip = points[f"{side}-hip"] = _step(centre, facing + 90 * sign, width["hips"] / 2)
        shoulder = points[f"{side}-shoulder"] = _step(centre, chest + 90 * sign, width["shoulders"] / 2)
        arm = chest + sign * angle("shoulder", side)
        points[f"{side}-elbow"] = _step(shoulder, arm, length["arm"])
        points[f"{side}-hand"] = _step(points[f"{side}-elbow"], arm - sign * angle("elbow", side), length["forearm"])
        bend = math.radians(angle("hip", side))
        points[f"{side}-knee"] = _step(hip, facing, length["thigh"] * abs(math.sin(bend)))
        shank = abs(math.sin(bend - math.radians(angle("knee", side))))
        points[f"{side}-ankle"] = points[f"{side}-foot"] = _step(
            points[f"{side}-knee"], facing, length["shank"] * shank
        )
    return points
