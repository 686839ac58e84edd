"""Exercise figures drawn from data: a figure's poses turned into deterministic SVG.

A pose sets joint angles of the body model in ``schemas/body-model.json``; :func:`pose_points` walks the chain
from the pelvis and gives each point of the body on the page (side view, the figure facing right).
:func:`still_svg` draws the start and end pose side by side (for paper: grey only, no script);
:func:`animated_svg` steps through frames interpolated between the poses with CSS keyframes, and shows the
still start pose when the reader prefers reduced motion. The same figure always gives the same bytes.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ..model import Exercise, Figure, Pose
from .figure_views import front_points, top_points

__all__ = [
    "BODY_MODEL",
    "angle_problem",
    "angle_problems",
    "animated_svg",
    "body_model",
    "figure_text",
    "joint_angle",
    "joints",
    "pose_points",
    "seen_from",
    "still_svg",
]

#: The body model's file name among the shipped schema files.
BODY_MODEL = "body-model.json"
_HEIGHT = 100.0  # standing height in drawing units
_PANEL = 130.0  # width and height of one pose's panel
_HEAD_RADIUS = 6.0
_FRAMES = 6  # frames between two poses in the animation
_STEP_SECONDS = 0.25  # how long one in-between frame shows
_LINKS = (  # (parent point, point, segment) in drawing order: the far limbs first, so the near ones sit on top
    ("hip", "knee", "thigh"),
    ("knee", "ankle", "shank"),
    ("ankle", "foot", "foot"),
    ("shoulder", "elbow", "arm"),
    ("elbow", "hand", "forearm"),
)
_SPINE = (
    ("pelvis", "hip", "lower-trunk", "lower-trunk"),
    ("lower-trunk", "lower-trunk", "upper-trunk", "upper-trunk"),
    ("upper-trunk", "upper-trunk", "neck", "neck"),
    ("neck", "neck", "head", "head"),
)


@cache
def body_model() -> dict[str, Any]:
    """The body model: joints with their ranges, and segment lengths (fractions of standing height)."""
    path = Path(__file__).parent.parent / "schema_files" / BODY_MODEL
    model: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return model


def _turn(value: float) -> float:
    """An angle as the same turn between -180 and 180 degrees (a huge whole number too, which is no float)."""
    return float((value + 180) % 360 - 180)


def joint_angle(pose: Pose, joint: str) -> float:
    """A pose's angle at a joint (0 when left out), as the same turn between -180 and 180 degrees."""
    return _angle(dict(pose.angles), joint)


def _angle(angles: Mapping[str, float], joint: str, side: str = "") -> float:
    if side and f"{side}-{joint}" in angles:
        return _turn(angles[f"{side}-{joint}"])
    return _turn(angles.get(joint, 0.0))


def _step(start: tuple[float, float], direction: float, length: float) -> tuple[float, float]:
    """The point ``length`` away from ``start`` in ``direction`` (degrees, 0 up, positive toward the face)."""
    radians = math.radians(direction)
    return start[0] + length * math.sin(radians), start[1] - length * math.cos(radians)


def pose_points(pose: Pose, view: str = "side") -> dict[str, tuple[float, float]]:
    """Each point of the body in a pose, hip at the origin (y down), both sides: ``left-knee``, ``right-knee``...

    ``view``: ``side`` (the figure facing right, its left side nearest), ``front`` or ``top``
    (:mod:`rehabkit._outputs.figure_views`).
    """
    angles = dict(pose.angles)
    length = {name: share * _HEIGHT for name, share in body_model()["segments"].items()}
    if view in ("front", "top"):
        width = {name: body_model()["widths"][name] * _HEIGHT for name in ("hips", "shoulders")}
        views = {"front": front_points, "top": top_points}
        return views[view](lambda joint, side: _angle(angles, joint, side), length, width)
    points: dict[str, tuple[float, float]] = {"hip": (0.0, 0.0)}
    direction = _angle(angles, "pelvis")
    points["pelvis"] = _step(points["hip"], direction, length["pelvis"])
    directions = {"pelvis": direction}
    for parent, start, point, segment in _SPINE:
        directions[point] = directions[parent] + _angle(angles, point)
        points[point] = _step(points[start], directions[point], length[segment])
    for side in ("left", "right"):
        _limbs(points, angles, directions, side, length)
    return points


def _limbs(
    points: dict[str, tuple[float, float]],
    angles: Mapping[str, float],
    directions: Mapping[str, float],
    side: str,
    length: Mapping[str, float],
) -> None:
    thigh = directions["pelvis"] + 180 - _angle(angles, "hip", side)
    shank = thigh + _angle(angles, "knee", side)
    foot = shank - 90 - _angle(angles, "ankle", side)
    arm = directions["upper-trunk"] + 180 - _angle(angles, "shoulder", side)
    forearm = arm - _angle(angles, "elbow", side)
    points[f"{side}-shoulder"] = _step(points["upper-trunk"], directions["upper-trunk"] + 180, 0.0)
    points[f"{side}-hip"] = points["hip"]
    for start, point, direction, segment in (
        ("hip", "knee", thigh, "thigh"),
        ("knee", "ankle", shank, "shank"),
        ("ankle", "foot", foot, "foot"),
        ("shoulder", "elbow", arm, "arm"),
        ("elbow", "hand", forearm, "forearm"),
    ):
        points[f"{side}-{point}"] = _step(points[f"{side}-{start}"], direction, length[segment])


def joints(view: str = "side") -> dict[str, Any]:
    """The body model's joints with their ranges as a view means them (``views`` in the body model)."""
    model = body_model()
    table: dict[str, Any] = model["joints"] if view == "side" else model["views"][view]["joints"]
    return table


def angle_problems(pose: Pose, view: str = "side") -> list[str]:
    """What is wrong with a pose's angles: unknown joints, angles outside the body model's range for the view."""
    return [problem for name, value in pose.angles if (problem := angle_problem(name, value, view)) is not None]


def angle_problem(name: str, value: float, view: str = "side") -> str | None:
    """What is wrong with one angle of a pose (an unknown joint, outside the joint's range), or None."""
    table = joints(view)
    joint = name.removeprefix("left-").removeprefix("right-")
    spec = table.get(joint)
    if spec is None or (joint != name and not spec["paired"]):
        return f"{name!r} is not a joint of the body model"
    if not spec["min"] <= value <= spec["max"]:
        shown = value if isinstance(value, int) else f"{value:g}"  # a huge whole number is no float
        return f"{name} {shown} degrees is outside {spec['name']}'s range {spec['min']}..{spec['max']}"
    return None


def _fmt(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _placed(pose: Pose, figure: Figure) -> dict[str, tuple[float, float]]:
    """The pose's points moved so that the body rests on the bottom of its panel (its lowest point on the floor)."""
    points = pose_points(pose, figure.view)
    centre = _head_centre(points)
    xs = [x for x, _ in points.values()]
    bottom = max(max(y for _, y in points.values()), centre[1] + _HEAD_RADIUS)
    shift_x = _PANEL / 2 - (min(xs) + max(xs)) / 2
    shift_y = _PANEL - 12 - bottom
    return {name: (x + shift_x, y + shift_y) for name, (x, y) in points.items()}


def _head_centre(points: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    """The middle of the head segment, where the head's circle is drawn."""
    (hx, hy), (nx, ny) = points["head"], points["neck"]
    return (hx + nx) / 2, (hy + ny) / 2


def _line(a: tuple[float, float], b: tuple[float, float], css: str) -> str:
    return f'<line class="{css}" {_LOOK[css]} x1="{_fmt(a[0])}" y1="{_fmt(a[1])}" x2="{_fmt(b[0])}" y2="{_fmt(b[1])}"/>'


def _body(points: Mapping[str, tuple[float, float]], figure: Figure) -> list[str]:
    """The body's lines: highlight bands first, then the far (right) limbs, the spine and head, the near limbs."""
    out = [
        _line(points[a], points[b], "rk-hl")
        for a, b, segment in _segments(points)
        if segment.split(":")[0] in figure.highlight
    ]
    for side, css in (("right", "rk-far"), (None, "rk-body"), ("left", "rk-body")):
        if side is None:
            out += _spine_and_head(points, figure, css)
            continue
        out += [_line(points[f"{side}-{a}"], points[f"{side}-{b}"], css) for a, b, _ in _LINKS]
    return out


def _spine_and_head(points: Mapping[str, tuple[float, float]], figure: Figure, css: str) -> list[str]:
    """The spine (not from above, where it is under the head), the hip and shoulder lines (front and top views),
    the head, and the nose that shows where the head turns (front and top views)."""
    spine = [] if figure.view == "top" else [(start, point) for _, start, point, _ in _SPINE[:3]]
    across = [] if figure.view == "side" else [("left-hip", "right-hip"), ("left-shoulder", "right-shoulder")]
    out = [_line(points[a], points[b], css) for a, b in (*spine, *across)]
    centre = _head_centre(points)
    out.append(
        f'<circle class="{css}" {_LOOK[css]} cx="{_fmt(centre[0])}" cy="{_fmt(centre[1])}" r="{_HEAD_RADIUS:g}"/>'
    )
    if "nose" in points:
        start = centre if figure.view == "front" else _step(centre, _bearing(centre, points["nose"]), _HEAD_RADIUS)
        out.append(_line(start, points["nose"], "rk-nose"))
    return out


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The direction from ``a`` to ``b`` (degrees, 0 up the page, 90 to the right)."""
    return math.degrees(math.atan2(b[0] - a[0], a[1] - b[1]))


def _segments(points: Mapping[str, tuple[float, float]]) -> Iterable[tuple[str, str, str]]:
    for _, start, point, segment in _SPINE:
        yield start, point, segment
    yield "hip", "pelvis", "pelvis"
    if "nose" in points:  # front and top views: the hip and shoulder lines
        yield "left-hip", "right-hip", "pelvis"
        yield "left-shoulder", "right-shoulder", "upper-trunk"
    for side in ("left", "right"):
        for a, b, segment in _LINKS:
            yield f"{side}-{a}", f"{side}-{b}", segment


def _support(points: Mapping[str, tuple[float, float]], figure: Figure, above: bool) -> list[str]:
    """The support as dashed lines: a floor line with the chair, wall, table or bar on it; seen from above, an
    outline under the body (the mat or the seat)."""
    if figure.support == "none":
        return []
    xs, ys = [x for x, _ in points.values()], [y for _, y in points.values()]
    if above:
        return [
            f'<rect class="rk-support" {_LOOK["rk-support"]} x="{_fmt(min(xs) - 8)}" y="{_fmt(min(ys) - 8)}" '
            f'width="{_fmt(max(xs) - min(xs) + 16)}" height="{_fmt(max(ys) - min(ys) + 16)}" rx="4"/>'
        ]
    floor = _PANEL - 12
    lines = [_line((4, floor), (_PANEL - 4, floor), "rk-support")]
    if figure.support == "chair":
        lines += _chair(points, floor, side=figure.view == "side")
    elif figure.support == "wall" and figure.view == "side":
        lines.append(_line((min(xs) - 2, 6), (min(xs) - 2, floor), "rk-support"))
    elif figure.support == "table":
        top = max(points["left-elbow"][1], points["left-hand"][1]) + 3
        edge = min(points["left-elbow"][0], points["left-hand"][0]) - 4
        lines += [
            _line((edge, top), (_PANEL - 4, top), "rk-support"),
            _line((edge + 4, top), (edge + 4, floor), "rk-support"),
        ]
    elif figure.support == "bar":
        top = min(points["left-hand"][1], points["right-hand"][1]) - 1
        lines.append(_line((10, top), (_PANEL - 10, top), "rk-support"))
    return lines


def _chair(points: Mapping[str, tuple[float, float]], floor: float, *, side: bool) -> list[str]:
    """A chair whose seat is at knee height: under the hips when sitting, else behind the body (side view)."""
    seat = floor - body_model()["segments"]["shank"] * _HEIGHT - 1
    hip_x = points["hip"][0]
    if not side:
        left, right = hip_x - 16, hip_x + 16
        return [_line((left, seat), (right, seat), "rk-support")] + [
            _line((x, seat), (x, floor), "rk-support") for x in (left + 2, right - 2)
        ]
    sitting = abs(points["hip"][1] + 3 - seat) < 8
    back = hip_x - 8 if sitting else min(x for x, _ in points.values()) - 30
    return [
        _line((back, seat), (back + 26, seat), "rk-support"),
        _line((back, seat), (back, seat - 30), "rk-support"),
        _line((back, seat), (back, floor), "rk-support"),
        _line((back + 26, seat), (back + 26, floor), "rk-support"),
    ]


def _extras(points: Mapping[str, tuple[float, float]], figure: Figure, end: bool) -> list[str]:
    out = []
    for prop in figure.props:
        x, y = _point(points, prop.at)
        out.append(
            f'<rect class="rk-prop" {_LOOK["rk-prop"]} x="{_fmt(x - 7)}" y="{_fmt(y - 3)}" '
            'width="14" height="6" rx="3"/>'
        )
    if end:
        for arrow in figure.arrows:
            x, y = _point(points, arrow.at)
            dx, dy = {"up": (0, -1), "down": (0, 1), "forward": (1, 0), "backward": (-1, 0)}[arrow.direction]
            tip = (x + 16 * dx, y + 16 * dy)
            point = (tip[0] + 5 * dx, tip[1] + 5 * dy)
            corners = [(tip[0] - 4 * dy, tip[1] + 4 * dx), point, (tip[0] + 4 * dy, tip[1] - 4 * dx)]
            out.append(_line((x, y), tip, "rk-arrow"))
            out.append(f'<path d="M{"L".join(f"{_fmt(a)} {_fmt(b)}" for a, b in corners)}z" fill="#000"/>')
    return out


def _point(points: Mapping[str, tuple[float, float]], name: str) -> tuple[float, float]:
    return points.get(name) or points[f"left-{name}"]


def _panel(pose: Pose, figure: Figure, *, end: bool, above: bool = False) -> str:
    points = _placed(pose, figure)
    parts = [*_support(points, figure, above), *_body(points, figure), *_extras(points, figure, end)]
    return "".join(parts)


def seen_from(exercise: Exercise) -> str:
    """Where the reader of an exercise's figure looks from, in words (``the side``, ``the front``, ``above``)."""
    figure = exercise.figure
    if figure is None or figure.view == "side":
        return "the side"
    if _above(exercise):
        return "above"
    if figure.view == "top":
        return "the head end"
    return "the front"


def _above(exercise: Exercise) -> bool:
    """Whether the figure is seen from above: the front of a body lying on its back or front, or the top of an
    upright body (a body lying on one side seen from its top is seen from the head end, the floor below)."""
    figure = exercise.figure
    if figure is None or figure.view == "side":
        return False
    if figure.view == "front":
        return exercise.position in ("supine", "prone")
    return abs(joint_angle(figure.start, "pelvis")) < 60


#: How each kind of mark looks, as presentation attributes (no style sheet: the still figure shows under any
#: Content-Security-Policy and in PDF), black and greys only.
_LINE = 'fill="none" stroke-linecap="round" stroke-linejoin="round"'
_LOOK = {
    "rk-body": f'{_LINE} stroke="#222" stroke-width="3.5"',
    "rk-far": f'{_LINE} stroke="#888" stroke-width="3"',
    "rk-hl": 'stroke="#ccc" stroke-width="11" stroke-linecap="round"',
    "rk-support": f'{_LINE} stroke="#555" stroke-width="2" stroke-dasharray="5 3"',
    "rk-arrow": f'{_LINE} stroke="#000" stroke-width="2"',
    "rk-nose": f'{_LINE} stroke="#222" stroke-width="2.5"',
    "rk-prop": 'fill="#ddd" stroke="#444" stroke-width="1.5"',
    "rk-label": 'font-family="sans-serif" font-size="9" fill="#222"',
}


def figure_text(exercise: Exercise, *, animated: bool = False) -> str:
    """The figure's text alternative: what it shows (the still one: start and end side by side; the animated one:
    moving between them), then the exercise's steps."""
    figure = exercise.figure
    assert figure is not None
    end = figure.poses[-1].label or "end position"
    seen = "" if figure.view == "side" else f", seen from {seen_from(exercise)}"
    shows = (
        f"moving from the start position to {end} and back (still in the start position where motion is reduced)"
        if animated
        else f"start position (left) and {end} (right)"
    )
    parts = [f"{'Moving line' if animated else 'Line'} drawing of {exercise.name}{seen}: {shows}."]
    if figure.props:
        parts.append("With " + ", ".join(prop.item for prop in figure.props) + ".")
    parts += [f"{i}. {step}" for i, step in enumerate(exercise.steps, 1)]
    return " ".join(parts)


def _top(figure: Figure, poses: Iterable[Pose]) -> float:
    """The top of the picture: the highest point of any pose drawn, less a margin (the floor stays at the bottom)."""
    highest = min(y for pose in poses for _, y in _placed(pose, figure).values()) - _HEAD_RADIUS - 22
    return max(0.0, min(highest, _PANEL - 60))


def _svg(exercise: Exercise, width: float, body: str, top: float, css: str = "") -> str:
    """The SVG document: a still one, or with ``css`` (its keyframes) an animated one, titled to match."""
    from html import escape  # on use: lint reads this module's body model, and validate starts light

    title = escape(figure_text(exercise, animated=css != ""), quote=False)
    style = f"<style>{css}</style>" if css else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 {_fmt(top)} {_fmt(width)} {_fmt(_PANEL - top)}" '
        f'role="img" class="rk-figure"><title>{title}</title>{style}{body}</svg>\n'
    )


def still_svg(exercise: Exercise) -> str:
    """The start and the last key pose side by side, as SVG text (grey only, no script)."""
    figure = exercise.figure
    if figure is None:
        raise ValueError(f"exercise {exercise.id!r} has no figure")
    from html import escape  # on use (see _svg)

    end, above = figure.poses[-1], _above(exercise)
    label = f'<text class="rk-label" {_LOOK["rk-label"]} x="6" y="{_fmt(_PANEL - 2)}">'
    body = (
        f"<g>{_panel(figure.start, figure, end=False, above=above)}"
        f"{label}Start</text></g>"
        f'<g transform="translate({_fmt(_PANEL)} 0)">{_panel(end, figure, end=True, above=above)}'
        f"{label}{escape(end.label or 'End')}</text></g>"
    )
    return _svg(exercise, 2 * _PANEL, body, _top(figure, (figure.start, end)))


def _between(a: Pose, b: Pose, share: float) -> Pose:
    first = {name: _turn(value) for name, value in a.angles}
    second = {name: _turn(value) for name, value in b.angles}
    names = sorted(set(first) | set(second))
    return Pose(angles=tuple((n, first.get(n, 0.0) + (second.get(n, 0.0) - first.get(n, 0.0)) * share) for n in names))


def _frames(figure: Figure, hold: float) -> list[tuple[Pose, float]]:
    """(pose, seconds shown) for one loop: start, to each key pose and held there, back to the start."""
    keys: Sequence[Pose] = (figure.start, *figure.poses, figure.start)
    frames: list[tuple[Pose, float]] = [(figure.start, 1.0)]
    for a, b in itertools.pairwise(keys):
        frames += [(_between(a, b, i / _FRAMES), _STEP_SECONDS) for i in range(1, _FRAMES)]
        frames.append((b, hold if b is not figure.start else 1.0))
    return frames


def animated_svg(exercise: Exercise) -> str:
    """An SVG moving between the figure's poses with CSS keyframes (no script); still under reduced motion.

    Each key pose is held for the exercise's ``hold_seconds`` (its lower bound), at least a second.
    """
    figure = exercise.figure
    if figure is None:
        raise ValueError(f"exercise {exercise.id!r} has no figure")
    hold_range = exercise.dose.hold_seconds if exercise.dose else None
    hold = float(max(1, hold_range.min if hold_range else 1))
    frames, above = _frames(figure, hold), _above(exercise)
    total = sum(seconds for _, seconds in frames)
    style, groups, elapsed = [], [], 0.0
    for i, (pose, seconds) in enumerate(frames):
        begin, finish = 100 * elapsed / total, 100 * (elapsed + seconds) / total
        shown = f"{_fmt(begin)}%{{opacity:1}}" if begin else ""
        style.append(
            f"@keyframes rk-f{i}{{0%{{opacity:{0 if begin else 1}}}{shown}{_fmt(finish)}%{{opacity:0}}}}"
            f".rk-f{i}{{animation:rk-f{i} {_fmt(total)}s step-end infinite}}"
        )
        groups.append(
            f'<g class="rk-frame rk-f{i}" opacity="0">{_panel(pose, figure, end=pose in figure.poses, above=above)}</g>'
        )
        elapsed += seconds
    style.append(
        ".rk-still{opacity:0}@media (prefers-reduced-motion: reduce){.rk-frame{animation:none}.rk-still{opacity:1}}"
    )
    still = f'<g class="rk-still">{_panel(figure.start, figure, end=False, above=above)}</g>'
    top = _top(figure, (pose for pose, _ in frames))
    return _svg(exercise, _PANEL, "".join(groups) + still, top, "".join(style))
