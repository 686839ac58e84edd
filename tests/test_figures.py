"""Exercise figures: a figure is data in the exercise schema, drawn by rehabkit as deterministic SVG."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from rehabkit.model import Exercise

from conftest import CORPUS

MINIMAL: dict[str, Any] = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text())
MINIMAL["reviewed"] = str(MINIMAL["reviewed"])
SVG = "{http://www.w3.org/2000/svg}"

PELVIC_TILT: dict[str, Any] = {
    "view": "side",
    "support": "floor",
    "start": {"angles": {"pelvis": -90, "hip": 45, "knee": 90, "ankle": -45}},
    "poses": [{"label": "tilt", "angles": {"pelvis": -98, "lower-trunk": 8, "hip": 53, "knee": 90, "ankle": -45}}],
    "highlight": ["lower-trunk"],
    "arrows": [{"at": "pelvis", "direction": "up"}],
}


def _with_figure(tmp_path: Path, figure: dict[str, Any]) -> Path:
    """The minimal protocol with a figure on its first exercise, written as YAML."""
    data = copy.deepcopy(MINIMAL)
    data["exercises"][0]["figure"] = figure
    path = tmp_path / "with-figure.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_figure_is_valid_exercise_data(cli, tmp_path) -> None:
    result = cli("validate", str(_with_figure(tmp_path, PELVIC_TILT)))
    assert result.exit_code == 0, result.stdout + result.stderr


def test_a_misspelt_joint_is_a_schema_error_at_its_line(cli, tmp_path) -> None:
    figure = copy.deepcopy(PELVIC_TILT)
    figure["start"]["angles"]["kne"] = 90
    path = _with_figure(tmp_path, figure)
    result = cli("validate", str(path))
    assert result.exit_code == 1
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "kne:" in text)
    assert f"{path}:{line}:" in result.stdout
    assert "unknown field 'kne'. Did you mean 'knee'?" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_figure_round_trips_through_the_model() -> None:
    exercise = dict(MINIMAL["exercises"][0], figure=PELVIC_TILT)
    assert Exercise.from_dict(exercise).to_dict() == exercise


def test_the_body_model_is_data_beside_the_schema() -> None:
    from rehabkit._outputs.figures import body_model

    shipped = json.loads((Path(__file__).parent.parent / "schemas" / "body-model.json").read_text())
    assert body_model() == shipped
    for joint in ("neck", "head", "upper-trunk", "lower-trunk", "pelvis", "shoulder", "elbow", "hip", "knee"):
        assert shipped["joints"][joint]["min"] < shipped["joints"][joint]["max"]


def test_the_schema_names_exactly_the_body_models_joints() -> None:
    from rehabkit._documents.schemas import LIBRARY_SCHEMA, load_schema
    from rehabkit._outputs.figures import body_model

    joints = body_model()["joints"]
    expected = set(joints) | {
        f"{side}-{j}" for j, spec in joints.items() if spec["paired"] for side in ("left", "right")
    }
    for name in ("protocol.schema.json", LIBRARY_SCHEMA):
        assert set(load_schema(name)["$defs"]["pose"]["properties"]["angles"]["properties"]) == expected


# --- drawing ---------------------------------------------------------------------------


def _exercise(figure: dict[str, Any] | None = None, **extra: Any) -> Exercise:
    data = dict(MINIMAL["exercises"][0], figure=figure or PELVIC_TILT, **extra)
    return Exercise.from_dict(data)


def test_the_same_figure_gives_the_same_bytes_in_another_process() -> None:
    from rehabkit._outputs.figures import animated_svg, still_svg

    code = (
        "import json,sys;from rehabkit.model import Exercise;"
        "from rehabkit._outputs.figures import still_svg,animated_svg;"
        "e=Exercise.from_dict(json.loads(sys.argv[1]));sys.stdout.write(still_svg(e)+animated_svg(e))"
    )
    exercise = _exercise()
    data = json.dumps(exercise.to_dict())
    runs = {
        subprocess.run([sys.executable, "-c", code, data], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    }
    assert runs == {still_svg(exercise) + animated_svg(exercise)}


def test_the_still_figure_shows_start_and_end_side_by_side_with_a_text_alternative() -> None:
    from rehabkit._outputs.figures import still_svg

    exercise = _exercise()
    root = ET.fromstring(still_svg(exercise))
    title = root.find(f"{SVG}title")
    assert title is not None and title.text is not None
    assert root.get("role") == "img"  # its <title> names it
    assert "start position (left) and tilt (right)" in title.text
    for i, step in enumerate(exercise.steps, 1):
        assert f"{i}. {step}" in title.text
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert labels == ["Start", "tilt"]
    assert root.find(f".//{SVG}script") is None


def test_the_figure_is_grey_only() -> None:
    import re

    from rehabkit._outputs.figures import animated_svg, still_svg

    for svg in (still_svg(_exercise()), animated_svg(_exercise())):
        for colour in re.findall(r"#([0-9a-fA-F]{3,6})\b", svg):
            channels = [c * 2 for c in colour] if len(colour) == 3 else [colour[i : i + 2] for i in (0, 2, 4)]
            assert len(set(channels)) == 1, f"#{colour} is not a grey"


def test_a_bent_knee_is_drawn_bent() -> None:
    from rehabkit._outputs.figures import pose_points
    from rehabkit.model import Pose

    standing = pose_points(Pose(angles=(("knee", 0),)))
    assert standing["left-ankle"][0] == pytest.approx(standing["left-knee"][0])  # straight below the knee
    bent = pose_points(Pose(angles=(("knee", 90),)))
    assert bent["left-ankle"][0] < bent["left-knee"][0]  # the shank goes backwards (the figure faces right)
    assert bent["left-ankle"][1] == pytest.approx(bent["left-knee"][1])


def test_the_animation_moves_by_css_only_and_is_still_under_reduced_motion() -> None:
    from rehabkit._outputs.figures import animated_svg

    svg = animated_svg(_exercise(dose={"reps": 10, "hold_seconds": 5}))
    root = ET.fromstring(svg)
    assert root.find(f".//{SVG}script") is None
    assert "@keyframes" in svg and "@media (prefers-reduced-motion: reduce)" in svg
    frames = [g for g in root.iter(f"{SVG}g") if "rk-frame" in (g.get("class") or "")]
    assert len(frames) > 2 and all(g.get("opacity") == "0" for g in frames)
    still = [g for g in root.iter(f"{SVG}g") if g.get("class") == "rk-still"]
    assert len(still) == 1
    reduced = svg.split("@media (prefers-reduced-motion: reduce)", 1)[1]
    assert ".rk-frame{animation:none}" in reduced and ".rk-still{opacity:1}" in reduced


def test_the_hold_follows_the_dose() -> None:
    import re

    from rehabkit._outputs.figures import animated_svg

    def loop(hold: int) -> float:
        svg = animated_svg(_exercise(dose={"reps": 10, "hold_seconds": hold}))
        return float(re.search(r"animation:rk-f0 ([0-9.]+)s", svg).group(1))  # type: ignore[union-attr]

    assert loop(10) - loop(5) == pytest.approx(5)


# --- shipped figures and handouts ----------------------------------------------------------

ROOT = Path(__file__).parent.parent
LIBRARY_FILE = ROOT / "protocols" / "exercises" / "spine-exercises.yaml"
#: Exercises best seen from the front or from above, drawn so (docs/figures.md says why the others keep the side).
VIEWS = {
    "upper-trapezius-stretch": "front",
    "neck-active-range": "front",
    "chin-tuck-with-rotation": "front",
    "median-nerve-glide": "front",
    "wall-slide": "front",
    "side-plank-knees": "front",
    "lower-trunk-rotation": "front",
    "open-book": "top",
}


def _library() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(LIBRARY_FILE.read_text())
    return data


def _shipped() -> list[Exercise]:
    return [Exercise.from_dict(e) for e in _library()["exercises"]]


def _protocols_own_exercises() -> list[tuple[Path, dict[str, Any]]]:
    """Every exercise a shipped protocol defines itself (protocols/ and the packs' own document folders)."""
    files = sorted({*ROOT.glob("protocols/*/*.yaml"), *ROOT.glob("plugins/*/src/*/**/*.yaml")})
    own = []
    for path in files:
        data = yaml.safe_load(path.read_text())
        if isinstance(data, dict) and data.get("kind") == "protocol":
            own += [(path, e) for e in data.get("exercises", []) if isinstance(e, dict) and "steps" in e]
    return own


def test_every_shipped_exercise_has_a_figure() -> None:
    shipped = _shipped()
    assert len(shipped) == 46
    assert [e.id for e in shipped if e.figure is None] == []
    assert [f"{path}: {e['id']}" for path, e in _protocols_own_exercises() if "figure" not in e] == []
    assert {e.id: e.figure.view for e in shipped if e.figure and e.figure.view != "side"} == VIEWS


def test_the_library_records_who_reviewed_the_figures_and_that_no_clinician_has_yet() -> None:
    review = _library()["figure_review"]
    assert review["clinician"] is False
    assert review["authors"] == ["rehabkit developers"]


def test_every_angle_of_every_shipped_figure_is_within_the_body_models_range_for_its_view() -> None:
    from rehabkit._outputs.figures import angle_problems

    for exercise in _shipped():
        assert exercise.figure is not None
        for pose in (exercise.figure.start, *exercise.figure.poses):
            assert angle_problems(pose, exercise.figure.view) == [], exercise.id


def test_every_shipped_figure_draws_as_well_formed_svg_with_its_text_alternative() -> None:
    from rehabkit._outputs.figures import animated_svg, figure_text, still_svg

    for exercise in _shipped():
        for svg, animated in ((still_svg(exercise), False), (animated_svg(exercise), True)):
            root = ET.fromstring(svg)
            assert root.tag == f"{SVG}svg" and root.get("role") == "img"
            title = root.findtext(f"{SVG}title") or ""
            assert title == figure_text(exercise, animated=animated)
            assert exercise.steps[-1] in title
            if animated:  # it moves: no 'left' and 'right'
                assert title.startswith(f"Moving line drawing of {exercise.name}") and "(left)" not in title
            else:
                assert title.startswith(f"Line drawing of {exercise.name}") and "(left)" in title
            assert root.findall(f".//{SVG}line"), exercise.id  # a body is drawn


def test_a_handout_card_holds_the_figure_with_its_text_alternative(cli, tmp_path) -> None:
    from rehabkit._outputs.figures import figure_text

    out = tmp_path / "h.html"
    result = cli("handout", "low-back-pain-acute", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    tilt = next(e for e in _shipped() if e.id == "pelvic-tilt")
    card = text.split("Pelvic tilt</h3>", 1)[1].split("</article>", 1)[0]
    assert '<figure class="exercise-figure"><svg' in card
    root = ET.fromstring(card.split('<figure class="exercise-figure">', 1)[1].split("</figure>", 1)[0])
    assert root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == figure_text(tilt)
    assert "<script" not in text


def test_a_pdf_handout_still_reads_with_the_figure(cli, tmp_path) -> None:
    pytest.importorskip("weasyprint", reason="the pdf extra (WeasyPrint) is not installed")
    out = tmp_path / "h.pdf"
    result = cli("handout", "low-back-pain-acute", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    words = " ".join(text.split())
    tilt = next(e for e in _shipped() if e.id == "pelvic-tilt")
    card = words.split("Pelvic tilt 1 set", 1)[1]
    assert card.index("Start back flattened") < card.index(f"1. {tilt.steps[0]}")  # the figure's labels, then steps


def test_a_figure_with_a_huge_angle_still_draws() -> None:
    from rehabkit._outputs.figures import animated_svg, still_svg

    figure = copy.deepcopy(PELVIC_TILT)
    figure["poses"][0]["angles"]["knee"] = 10**400  # lint rule RK601 reports it; drawing must not crash
    exercise = _exercise(figure)
    ET.fromstring(still_svg(exercise))
    ET.fromstring(animated_svg(exercise))


# --- the figure against the body model and the exercise's movements (RK601, RK602) ---------------


def _line_of(path: Path, words: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if words in text)


def test_validate_names_the_line_of_a_knee_bent_backwards(cli, tmp_path) -> None:
    figure = copy.deepcopy(PELVIC_TILT)
    figure["poses"][0]["angles"]["knee"] = -30
    path = _with_figure(tmp_path, figure)
    result = cli("validate", str(path))
    assert result.exit_code == 1, result.output
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "knee: -30" in text)
    assert f"{path}:{line}:" in result.stdout, result.stdout  # the angles of the pose that bends it backwards
    assert "RK601" in result.stdout and "knee -30 degrees is outside knee's range 0..150" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def _lumbar(tmp_path: Path, figure: dict[str, Any], movements: list[str] | None) -> Path:
    data = copy.deepcopy(MINIMAL)
    exercise = data["exercises"][0]
    exercise.update(region="lumbar", figure=figure)
    if movements:
        exercise["movements"] = movements
    path = tmp_path / "lumbar.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


ROUNDED = {
    "view": "side",
    "support": "floor",
    "start": {"angles": {"pelvis": 76, "hip": 76, "knee": 100, "shoulder": 76}},
    "poses": [{"label": "rounded", "angles": {"pelvis": 60, "hip": 60, "knee": 100, "lower-trunk": 30}}],
}


def test_validate_catches_a_figure_that_flexes_the_spine_in_an_exercise_tagged_without_flexion(cli, tmp_path) -> None:
    path = _lumbar(tmp_path, ROUNDED, ["kneel"])
    result = cli("validate", str(path))
    assert result.exit_code == 1, result.output
    assert "RK602" in result.stdout
    assert (
        "its figure shows the lower back bent forward (lower-trunk 30 degrees in pose 'rounded') but the "
        "exercise is not tagged 'bend'" in result.stdout
    )
    assert f"{path}:{_line_of(path, 'movements:') + 1}:" in result.stdout  # the list under the key
    assert cli("validate", str(_lumbar(tmp_path, ROUNDED, ["kneel", "bend"]))).exit_code == 0


def test_validate_catches_an_exercise_tagged_bend_whose_figure_does_not_bend(cli, tmp_path) -> None:
    path = _lumbar(tmp_path, PELVIC_TILT, ["bend", "lift"])
    result = cli("validate", str(path))
    assert result.exit_code == 1, result.output
    assert "exercise 'chin-tuck' is tagged 'bend' but its figure does not show it" in result.stdout
    assert f"{path}:{_line_of(path, 'figure:') + 1}:" in result.stdout  # the mapping under the key
    hinge = copy.deepcopy(PELVIC_TILT)
    hinge["start"] = {"angles": {"hip": 0}}
    hinge["poses"] = [{"label": "hinged", "angles": {"pelvis": 45, "hip": 45}}]  # tipped from the hips
    hinge["support"] = "none"
    assert cli("validate", str(_lumbar(tmp_path, hinge, ["bend", "lift"]))).exit_code == 0


# --- front and top views ------------------------------------------------------------------


def test_the_front_view_draws_the_figures_left_on_the_readers_right() -> None:
    from rehabkit._outputs.figures import pose_points
    from rehabkit.model import Pose

    points = pose_points(Pose(angles=(("left-shoulder", 90), ("left-elbow", 90), ("head", 60))), "front")
    assert points["left-shoulder"][0] > 0 > points["right-shoulder"][0]
    assert points["left-elbow"][0] > points["left-shoulder"][0]  # the arm out to the reader's right
    assert points["left-hand"][1] < points["left-elbow"][1]  # the forearm bent toward the head (goal post)
    assert points["right-hand"][1] > points["right-shoulder"][1]  # the other arm hangs
    head_x = (points["head"][0] + points["neck"][0]) / 2
    assert points["nose"][0] > head_x  # the head turned to the figure's left


def test_the_top_view_shows_the_turn_of_the_head_and_trunk() -> None:
    from rehabkit._outputs.figures import pose_points
    from rehabkit.model import Pose

    still = pose_points(Pose(angles=(("neck", 0),)), "top")
    assert still["nose"][1] < 0 and abs(still["nose"][0]) < 1e-9  # facing up the page
    turned = pose_points(Pose(angles=(("neck", 60), ("upper-trunk", 30))), "top")
    assert turned["nose"][0] < 0  # from above, the figure's left is the reader's left
    assert turned["left-shoulder"][1] > 0 > turned["right-shoulder"][1]  # the shoulders turned with the trunk


@pytest.mark.parametrize(
    ("exercise_id", "seen"),
    [("upper-trapezius-stretch", "the front"), ("lower-trunk-rotation", "above"), ("open-book", "the head end")],
)
def test_the_text_alternative_says_where_the_reader_looks_from(exercise_id: str, seen: str) -> None:
    from rehabkit._outputs.figures import figure_text

    exercise = next(e for e in _shipped() if e.id == exercise_id)
    assert figure_text(exercise).startswith(f"Line drawing of {exercise.name}, seen from {seen}: start position")


def test_rehabkit_exercises_shows_the_figure_and_who_reviewed_it(cli) -> None:
    result = cli("exercises", "open-book")
    assert result.exit_code == 0, result.output
    words = " ".join(result.stdout.split())
    assert "Figure: seen from the head end, start and 'book open'." in words
    assert "Figures drawn by rehabkit developers; last reviewed 2026-12-08; not yet reviewed by a clinician." in words


# --- where people look: the figure file, the gallery, the Markdown handout, the report ----------------


def test_exercises_figure_writes_the_still_or_animated_svg(cli, tmp_path) -> None:
    from rehabkit._outputs.figures import animated_svg, still_svg

    bridge = next(e for e in _shipped() if e.id == "glute-bridge")
    out = tmp_path / "bridge.svg"
    result = cli("exercises", "glute-bridge", "--figure", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == still_svg(bridge)
    assert cli("exercises", "glute-bridge", "--figure", "--animated", "-o", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8") == animated_svg(bridge)
    for wrong in (["--figure", "-o", str(out)], ["glute-bridge", "--figure"], ["glute-bridge", "-o", str(out)]):
        refused = cli("exercises", *wrong)
        assert refused.exit_code == 2 and "Traceback" not in refused.output, refused.output
    assert cli("exercises", "glute-brige", "--figure", "-o", str(out)).exit_code == 1  # no such exercise


def test_the_gallery_shows_every_exercise_with_its_figure_steps_tags_and_review(cli, tmp_path) -> None:
    from test_outputs import Page

    out = tmp_path / "gallery.html"
    result = cli("exercises", "--gallery", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert "script" not in page.tags and page.fetches == []  # self-contained, no script
    shipped = _shipped()
    assert text.count('<figure class="exercise-figure"><svg') == len(shipped)
    cards = [Page("<article" + chunk).words for chunk in text.split("<article")[1:]]
    assert len(cards) == len(shipped)
    for exercise in shipped:
        tags = ", ".join(exercise.movements) if exercise.movements else "none tagged"
        head = f"{exercise.name} {exercise.id} · {exercise.region} · pack exercises Movements: {tags}"
        (card,) = [c for c in cards if c.startswith(head)]
        assert all(" ".join(step.split()) in card for step in exercise.steps)
        assert f"Line drawing of {exercise.name}" in card and "not yet reviewed by a clinician" in card
    words = page.words
    assert words.count("not yet reviewed by a clinician") == len(shipped)
    lumbar = tmp_path / "lumbar.html"
    assert cli("exercises", "--gallery", "--region", "cervical", "-o", str(lumbar)).exit_code == 0
    cervical = [e for e in shipped if e.region == "cervical"]
    assert lumbar.read_text(encoding="utf-8").count("<article") == len(cervical)


def test_a_markdown_handout_links_its_figures_written_beside_it(cli, tmp_path) -> None:
    out = tmp_path / "acute.md"
    result = cli("handout", "low-back-pain-acute", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    tilt = next(e for e in _shipped() if e.id == "pelvic-tilt")
    figure = tmp_path / "acute-pelvic-tilt.svg"
    assert "(acute-pelvic-tilt.svg)" in text.split("\\. Pelvic tilt\n", 1)[1].split("###", 1)[0]  # on its card
    root = ET.fromstring(figure.read_text(encoding="utf-8"))
    assert root.findtext(f"{SVG}title") == figure_text_of(tilt)
    assert oct(figure.stat().st_mode & 0o777) == "0o600"  # private, as the handout
    links = [line for line in text.splitlines() if line.startswith("![")]
    assert links and all((tmp_path / line.rsplit("(", 1)[1].rstrip(")")).is_file() for line in links)
    assert "acute-pelvic-tilt.svg" in result.stderr
    piped = cli("handout", "low-back-pain-acute", "-o", "-", "--renderer", "markdown")
    assert piped.exit_code == 0 and "![" not in piped.stdout  # nowhere to write figures beside standard output


def figure_text_of(exercise: Exercise) -> str:
    from rehabkit._outputs.figures import figure_text

    return figure_text(exercise)


def test_the_course_reports_plan_shows_each_exercises_figure(cli, tmp_path) -> None:
    from test_courses import Course

    course = Course(cli, tmp_path, "neck-pain", patient="P-9")
    course.approve("acute", 0)
    result, _ = course.run(0)
    assert result.exit_code == 0, result.output
    out = tmp_path / "report.html"
    assert cli("report", "P-9", "--db", course.db, "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    plan = text.split('<h2 id="plan">The plan</h2>', 1)[1].split("</section>", 1)[0]
    neck = yaml.safe_load((ROOT / "protocols" / "neck" / "neck-pain.yaml").read_text())
    acute = next(p for p in neck["phases"] if p["id"] == "acute")
    library = {e.id: e for e in _shipped()}
    assert plan.count("<h3>") == len(acute["exercises"])
    for ref in acute["exercises"]:
        exercise = library[ref["exercise"]]
        card = plan.split(f"<h3>{exercise.name}</h3>", 1)[1].split("</div>", 1)[0]
        root = ET.fromstring(card.split('<figure class="exercise-figure">', 1)[1].split("</figure>", 1)[0])
        assert root.findtext(f"{SVG}title") == figure_text_of(exercise)


# --- golden figures -----------------------------------------------------------------------------------

#: One figure of each view, kept byte for byte in tests/golden/figures/ (what a reader of the repository can open
#: to see them). A change to the drawing fails here; one that means to regenerates the files with
#: ``UPDATE_GOLDEN=1 pytest tests/test_figures.py -k golden`` and the diff (and the files, opened) shows it.
GOLDEN_FIGURES = ("pelvic-tilt", "upper-trapezius-stretch", "open-book")
GOLDEN = Path(__file__).parent / "golden" / "figures"


@pytest.mark.parametrize("exercise_id", GOLDEN_FIGURES)
def test_golden_figures_are_drawn_byte_for_byte(exercise_id: str) -> None:
    import os

    from rehabkit._outputs.figures import still_svg

    svg = still_svg(next(e for e in _shipped() if e.id == exercise_id))
    golden = GOLDEN / f"{exercise_id}.svg"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(svg, encoding="utf-8")
    assert golden.exists(), "no golden file yet: run UPDATE_GOLDEN=1 pytest tests/test_figures.py -k golden"
    assert svg == golden.read_text(encoding="utf-8"), "the drawing changed: if on purpose, UPDATE_GOLDEN=1 and look"
