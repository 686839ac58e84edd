"""Handouts, course reports and calendars, written through the real commands and read back as a person would.

Browsers come in tests/test_pages.py; here the files themselves: HTML parsed,
PDF text extracted with pdftotext, calendars parsed with the icalendar package.
"""

from __future__ import annotations

import datetime
import html.parser
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from test_courses import START as START_DAY
from test_courses import Course, day

from conftest import CORPUS, PROTOCOLS

NECK = yaml.safe_load((PROTOCOLS / "neck" / "neck-pain.yaml").read_text(encoding="utf-8"))


class Page(html.parser.HTMLParser):
    """The text of an HTML page, its tags, and anything that would run or fetch."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.fetches: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action") or name.startswith("on"):
                self.fetches.append(f"{tag} {name}={value}")

    def handle_data(self, data):
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def _calm_course(cli, tmp_path, days: int = 10) -> Course:
    course = Course(cli, tmp_path, "neck-pain", patient="P-7")
    course.approve("acute", 0)
    for n in range(days):
        result, _ = course.run(n)
        assert result.exit_code == 0, result.output
    return course


def test_a_phase_handout_is_one_self_contained_page_with_the_statement_first(cli, tmp_path) -> None:
    out = tmp_path / "neck.html"
    result = cli("handout", "neck-pain", "--phase", "recovery", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert "script" not in page.tags and page.fetches == []  # no JavaScript, nothing fetched
    words = page.words
    statement = " ".join(NECK["supervision"]["statement"].split())
    assert words.index(statement) < words.index("Your exercises")
    phase = next(p for p in NECK["phases"] if p["id"] == "recovery")
    for number in range(1, len(phase["exercises"]) + 1):
        assert f'<article class="card" aria-labelledby="ex-{number}">' in text  # a card per exercise
    assert f'aria-labelledby="ex-{len(phase["exercises"]) + 1}"' not in text
    assert words.count("Stop if:") == len(phase["exercises"])
    assert "Get help now" in words and "Stop and contact your clinician" in words  # grouped by urgency
    assert "@page" in text and "counter(pages)" in text and "break-inside: avoid" in text
    assert f"neck-pain@{NECK['version']}" in words and f"content reviewed {NECK['reviewed']}" in words


def test_every_exercise_card_carries_its_dose_steps_and_stop_line(cli, tmp_path) -> None:
    from rehabkit._plugins.manager import PluginManager

    manager = PluginManager.from_environment()
    manager.load()
    library = manager.registry().exercise_library()
    out = tmp_path / "neck.html"
    assert cli("handout", "neck-pain", "-o", str(out)).exit_code == 0
    words = Page(out.read_text(encoding="utf-8")).words
    acute = NECK["phases"][0]
    for ref in acute["exercises"]:
        exercise = library[ref["exercise"]]
        assert exercise.name in words
        for step in exercise.steps:
            assert " ".join(step.split()) in words
        limit = (ref.get("dose") or {}).get("pain_limit")
        if limit is not None:
            assert f"pain during it goes above {limit:g}/10" in words


def test_a_title_with_a_script_tag_is_text_in_html_and_markdown(cli, tmp_path) -> None:
    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    data["title"] = "<script>alert(1)</script> Back care"
    data["exercises"][0]["name"] = "[click](javascript:alert(1)) <img src=x onerror=alert(2)>"
    data["advice"] = ["# not a heading \u001b[2J"]
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert cli("validate", str(path)).exit_code == 0
    for name in ("evil.html", "evil.md"):
        result = cli("handout", str(path), "-o", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "<script>" not in text and "<img" not in text
        assert "\u001b" not in text and "\n# not a heading" not in text
        if name.endswith(".md"):  # in HTML the same characters are only text: Page below finds no link
            assert "](javascript:" not in text
    page = Page((tmp_path / "evil.html").read_text(encoding="utf-8"))
    assert "script" not in page.tags and "img" not in page.tags and "a" not in page.tags and page.fetches == []
    assert "<script>alert(1)</script> Back care" in page.words  # shown as text, not run


def test_a_patients_handout_shows_their_own_dose_and_a_log_that_run_and_next_day_can_read(cli, tmp_path) -> None:
    from rehabkit._sessions.runner import ANSWER_KEYS

    course = _calm_course(cli, tmp_path)
    _, plan = course.plan(11)  # the next day the weekly schedule plans every exercise of the phase (no session between)
    assert not plan["left_out"]
    out = tmp_path / "plan.html"
    result = cli("handout", "--patient", "P-7", "--db", course.db, "--date", day(10), "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    words = Page(text).words
    assert f"Plan for P-7, made on {day(10)}" in words
    for item in plan["exercises"]:
        assert item["name"] in words and item["dose_text"] in words  # the patient's own step, as run --plan shows it
    assert any(item["step"] > 0 for item in plan["exercises"])  # ten calm days earned steps: not the starting dose
    # The log's columns are what run's answers file and next-day record, one row a day from today to the review.
    keys = set(__import__("re").findall(r'data-key="([^"]+)"', text))
    assert {k.split(".")[0] for k in keys} - {"--date", "next-day --pain", "next-day --settled-after-hours"} == set(
        ANSWER_KEYS
    )
    assert {f"exercises.{item['id']}" for item in plan["exercises"]} <= keys
    assert day(10) in words and "Next review:" in words


def test_a_stopped_course_gets_no_plan_handout_but_still_a_report(cli, tmp_path) -> None:
    course = _calm_course(cli, tmp_path, days=3)
    result, _ = course.run(3, screening={"all": False, "numbness-weakness": True})
    assert result.exit_code in (4, 5), result.output
    refused = cli("handout", "--patient", "P-7", "--db", course.db, "--date", day(4), "-o", str(tmp_path / "p.html"))
    assert refused.exit_code == 6
    assert "paused" in refused.output and not (tmp_path / "p.html").exists()
    calendar = cli("calendar", "P-7", "--db", course.db, "--date", day(4), "-o", str(tmp_path / "p.ics"))
    assert calendar.exit_code == 6 and not (tmp_path / "p.ics").exists()
    report = cli("report", "P-7", "--db", course.db, "--date", day(4), "-o", str(tmp_path / "r.html"))
    assert report.exit_code == 0, report.output
    words = Page((tmp_path / "r.html").read_text(encoding="utf-8")).words
    assert "Status: paused" in words and "course paused: refer-urgently (screening)" in words


def test_a_course_report_charts_pain_measures_and_adherence_with_tables_beside_them(cli, tmp_path) -> None:
    course = _calm_course(cli, tmp_path, days=9)
    assert course.do("next-day", "P-7", "--pain", "2", n=9).exit_code == 0
    scores = [
        "--score",
        "pain-intensity=3",
        "--skip",
        "driving",
        *[
            f"--score={i}=2"
            for i in (
                "personal-care",
                "lifting",
                "reading",
                "headaches",
                "concentration",
                "work",
                "sleeping",
                "recreation",
            )
        ],
    ]
    assert course.do("measure", "P-7", "ndi", *scores, n=0).exit_code == 0
    better = [
        "--score",
        "pain-intensity=1",
        "--skip",
        "driving",
        *[
            f"--score={i}=1"
            for i in (
                "personal-care",
                "lifting",
                "reading",
                "headaches",
                "concentration",
                "work",
                "sleeping",
                "recreation",
            )
        ],
    ]
    assert course.do("measure", "P-7", "ndi", *better, n=8).exit_code == 0
    out = tmp_path / "r.html"
    result = cli("report", "P-7", "--db", course.db, "--date", day(9), "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    charts = page.tags.count("svg") - text.count('class="rk-figure"')  # the plan's exercise figures aside
    assert charts == 3 and page.tags.count("table") >= 4  # pain, adherence, NDI: each with a table
    assert "script" not in page.tags and page.fetches == []
    words = page.words
    history = course.history()
    for session in history["sessions"]:
        assert session["date"] in words
    assert "a change of 5 or more is meaningful" in words  # NDI's meaningful change, from the measure's data
    assert "too much pain during exercise 5/10" in words  # the protocol's own pain-during limit
    assert "Sessions done and planned per week" in words and "5-7" in words
    assert "entered phase" in words and "progress" in words
    assert "Still open before the phase" in words or "Every criterion of the phase" in words


def test_a_calendar_parses_with_stable_uids_repeats_alarms_and_the_review(cli, tmp_path) -> None:
    icalendar = pytest.importorskip("icalendar")
    course = _calm_course(cli, tmp_path, days=3)
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    for out in (first, second):
        result = cli("calendar", "P-7", "--db", course.db, "--date", day(3), "-o", str(out))
        assert result.exit_code == 0, result.output
    raw = first.read_bytes()
    assert b"\r\n" in raw and all(len(line) <= 75 for line in raw.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar["VERSION"]) == "2.0"
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 2
    sessions, review = events
    spw = NECK["phases"][0]["sessions_per_week"]
    rule = sessions["RRULE"]
    expected = spw["min"] if isinstance(spw, dict) else spw
    assert (rule["FREQ"] == ["DAILY"] and expected >= 7) or len(rule["BYDAY"]) == expected
    assert sessions.walk("VALARM") and review.walk("VALARM")
    weeks = NECK["phases"][0]["review_after_weeks"]
    assert review["DTSTART"].dt == datetime.date.fromisoformat(day(0)) + datetime.timedelta(weeks=weeks)
    again = [c["UID"] for c in icalendar.Calendar.from_ical(second.read_bytes()).walk("VEVENT")]
    assert [e["UID"] for e in events] == again  # importing a newer file updates, never doubles
    assert "warning-sign questions first" in str(sessions["DESCRIPTION"])


def test_output_file_errors_are_usage_errors_and_write_nothing(cli, tmp_path) -> None:
    no_ending = cli("handout", "neck-pain", "-o", str(tmp_path / "handout"))
    assert no_ending.exit_code == 2 and "has no ending" in no_ending.output
    unknown = cli("handout", "neck-pain", "-o", str(tmp_path / "h.docx"))
    assert unknown.exit_code == 2 and ".html" in unknown.output and ".pdf" in unknown.output
    missing = cli("handout", "neck-pain", "-o", str(tmp_path / "nope" / "h.html"))
    assert missing.exit_code == 2 and "does not exist" in missing.output
    report_md = cli("report", "P-1", "-o", str(tmp_path / "r.md"))
    assert report_md.exit_code == 2 and "course-reports as .md" in report_md.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_packs_renderer_that_fails_is_named_and_writes_nothing(rehabkit, tmp_path) -> None:
    for behaviour, said in (
        ("renderer-raises", "ValueError: the renderer broke"),
        ("renderer-exits", "SystemExit"),
        ("renderer-number", "returned int"),
    ):
        out = tmp_path / f"{behaviour}.html"
        result = rehabkit(
            "handout",
            "neck-pain",
            "--renderer",
            "hostile",
            "-o",
            str(out),
            packs=["hostile"],
            env={"HOSTILE_BEHAVIOUR": behaviour},
        )
        assert result.returncode == 3, (behaviour, result.stderr)
        assert "plugin pack 'test-hostile'" in result.stderr and said in result.stderr
        assert result.stdout == "" and not out.exists()
        assert list(tmp_path.iterdir()) == []  # no partial file left behind either


def test_pdf_without_the_extra_says_how_to_get_it(rehabkit, tmp_path) -> None:
    shim = tmp_path / "shim" / "weasyprint"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('WeasyPrint is not installed here')\n")
    result = rehabkit("handout", "neck-pain", "-o", str(tmp_path / "h.pdf"), env={"PYTHONPATH": str(shim.parent)})
    assert result.returncode == 2, result.stderr
    assert 'pip install "rehabkit[pdf]"' in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "h.pdf").exists()


def _pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (Debian's poppler-utils) is not installed")
def test_a_pdf_handout_holds_every_exercise_keeps_cards_whole_and_follows_the_paper(cli, tmp_path) -> None:
    pytest.importorskip("weasyprint", reason="the pdf extra (WeasyPrint) is not installed")
    from rehabkit._plugins.manager import PluginManager

    manager = PluginManager.from_environment()
    manager.load()
    library = manager.registry().exercise_library()
    out = tmp_path / "h.pdf"
    result = cli("handout", "neck-pain", "--phase", "recovery", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info and "(A4)" in info
    pages = _pdf_pages(out)
    assert f"Pages:           {len(pages)}" in info
    whole = " ".join(" ".join(pages).split())
    phase = next(p for p in NECK["phases"] if p["id"] == "recovery")
    for ref in phase["exercises"]:
        exercise = library[ref["exercise"]]
        assert exercise.name in whole
        # A card does not split across pages: its name and its last step are on the same page.
        on = [n for n, page in enumerate(pages) if exercise.name in " ".join(page.split())]
        last_step = " ".join(exercise.steps[-1].split())[:40]
        assert any(last_step in " ".join(pages[n].split()) for n in on), exercise.name
    for n, page in enumerate(pages):
        assert f"Page {n + 1} of {len(pages)}" in page
        lines = [
            line.strip()
            for line in page.splitlines()
            if line.strip() and not line.strip().startswith(("Page ", "neck-pain@"))
        ]
        assert lines[-1] not in ("Your exercises", "Stop and get help", "Every day", "Your exercise log", "Take care")
    letter = tmp_path / "letter.pdf"
    assert cli("handout", "neck-pain", "--paper", "letter", "-o", str(letter)).exit_code == 0
    assert "(letter)" in subprocess.run(["pdfinfo", str(letter)], capture_output=True, text=True, check=True).stdout
    large = tmp_path / "large.pdf"
    assert cli("handout", "neck-pain", "--phase", "recovery", "--large-print", "-o", str(large)).exit_code == 0
    assert len(_pdf_pages(large)) > len(pages)  # the larger type takes more pages


def test_history_json_gives_next_morning_pain_and_dated_measures(cli, tmp_path) -> None:
    course = _calm_course(cli, tmp_path, days=2)
    assert course.do("next-day", "P-7", "--pain", "3", n=2).exit_code == 0
    data = course.history()
    assert data["sessions"][-1]["next_morning"]["pain"] == 3
    text = cli("history", "P-7", "--db", course.db).output
    assert "2->2/3" in text  # pain before -> after / the next morning
    assert {m["date"] for m in data["measures"]} <= {day(n) for n in range(3)}


def test_a_calendar_made_after_a_phase_change_replaces_the_earlier_one(cli, tmp_path) -> None:
    icalendar = pytest.importorskip("icalendar")
    course = _calm_course(cli, tmp_path, days=3)
    early, late = tmp_path / "early.ics", tmp_path / "late.ics"
    assert cli("calendar", "P-7", "--db", course.db, "--date", day(3), "-o", str(early)).exit_code == 0
    for n in range(3, 10):  # the patient moves on from acute to recovery
        assert course.run(n)[0].exit_code == 0
    assert cli("calendar", "P-7", "--db", course.db, "--date", day(10), "-o", str(late)).exit_code == 0
    first = icalendar.Calendar.from_ical(early.read_bytes()).walk("VEVENT")
    second = icalendar.Calendar.from_ical(late.read_bytes()).walk("VEVENT")
    assert "Settle pain" in str(first[0]["SUMMARY"]) and "Restore movement" in str(second[0]["SUMMARY"])
    assert [e["UID"] for e in first] == [e["UID"] for e in second]  # same events, updated
    assert all(int(b["SEQUENCE"]) >= int(a["SEQUENCE"]) for a, b in zip(first, second, strict=True))


def test_an_overdue_review_is_said_and_bounds_the_calendar(cli, tmp_path) -> None:
    icalendar = pytest.importorskip("icalendar")
    course = _calm_course(cli, tmp_path, days=3)
    weeks = NECK["phases"][0]["review_after_weeks"]
    late = weeks * 7 + 2  # still in the first phase, its review date passed
    handout = tmp_path / "late.html"
    assert cli("handout", "--patient", "P-7", "--db", course.db, "--date", day(late), "-o", str(handout)).exit_code == 0
    due = (START_DAY + __import__("datetime").timedelta(weeks=weeks)).isoformat()
    assert f"Your review was due on {due}: contact your clinician" in Page(handout.read_text(encoding="utf-8")).words
    ics = tmp_path / "late.ics"
    assert cli("calendar", "P-7", "--db", course.db, "--date", day(late), "-o", str(ics)).exit_code == 0
    sessions, review = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert "UNTIL" in sessions["RRULE"]  # never an endless series
    assert review["DTSTART"].dt.isoformat() == day(late) and "Ask your clinician for a review" in str(review["SUMMARY"])


def test_a_next_morning_report_asking_for_review_stops_the_handout(cli, tmp_path) -> None:
    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    data["symptom_rules"].append(
        {
            "id": "bad-night",
            "measure": "pain-next-morning",
            "above": 6,
            "action": "stop-and-review",
            "message": "See your clinician before exercising again.",
        }
    )
    protocol = tmp_path / "file-protocol.yaml"  # not installed: next-day cannot act on it at once
    protocol.write_text(yaml.safe_dump(data), encoding="utf-8")
    db = str(tmp_path / "s.db")
    answers = tmp_path / "a.yaml"
    answers.write_text(
        yaml.safe_dump(
            {
                "screening": {"all": False},
                "pain_before": 2,
                "exercises": {"all": 1},
                "pain_after": 2,
                "new_symptom": False,
            }
        )
    )
    assert (
        cli("run", str(protocol), "--patient", "P-8", "--answers", str(answers), "--db", db, "--date", day(0)).exit_code
        == 0
    )
    assert cli("next-day", "P-8", "--pain", "8", "--db", db, "--date", day(1)).exit_code == 0
    refused = cli(
        "handout", str(protocol), "--patient", "P-8", "--db", db, "--date", day(1), "-o", str(tmp_path / "h.html")
    )
    assert refused.exit_code == 6 and "asks for a review" in refused.output
    assert not (tmp_path / "h.html").exists()


def test_a_file_that_cannot_be_written_is_a_usage_error_and_binary_never_goes_to_stdout(cli, tmp_path) -> None:
    pytest.importorskip("weasyprint", reason="the pdf extra (WeasyPrint) is not installed")
    (tmp_path / "taken").mkdir()
    folder = cli("handout", "neck-pain", "-o", str(tmp_path / "taken"), "--renderer", "html")
    assert folder.exit_code == 2 and "is a folder" in folder.output
    binary = cli("handout", "neck-pain", "-o", "-", "--renderer", "pdf")
    assert binary.exit_code == 2 and "binary" in binary.output and "%PDF" not in binary.output
    text = cli("handout", "neck-pain", "-o", "-", "--renderer", "markdown")
    assert text.exit_code == 0 and text.stdout.startswith("# ")


def test_what_a_patient_reads_holds_no_command_line(cli, tmp_path) -> None:
    course = _calm_course(cli, tmp_path, days=3)
    for name in ("plan.html", "plan.md"):
        out = tmp_path / name
        assert cli("handout", "--patient", "P-7", "--db", course.db, "--date", day(3), "-o", str(out)).exit_code == 0
        text = out.read_text(encoding="utf-8")
        for command in ("rehabkit run", "rehabkit next-day", "--answers", "--patient"):
            assert command not in text, (name, command)
        assert "clinician enters it" in text
    calendar = tmp_path / "plan.ics"
    assert cli("calendar", "P-7", "--db", course.db, "--date", day(3), "-o", str(calendar)).exit_code == 0
    unfolded = calendar.read_text(encoding="utf-8").replace("\r\n ", "")
    assert "rehabkit run" not in unfolded and "warning-sign questions first" in unfolded


def test_the_clinicians_report_does_not_open_with_the_words_addressed_to_the_patient(cli, tmp_path) -> None:
    course = _calm_course(cli, tmp_path, days=3)
    out = tmp_path / "report.html"
    assert cli("report", "P-7", "--db", course.db, "--date", day(3), "-o", str(out)).exit_code == 0
    words = Page(out.read_text(encoding="utf-8")).words
    statement = " ".join(NECK["supervision"]["statement"].split())
    assert words.index("Where the course stands") < words.index(statement)  # quoted at the end, not the opening
    assert words.index("What the patient's pages say first") < words.index(statement)


def test_the_report_gives_each_exercises_pain_against_its_limit(cli, tmp_path) -> None:
    """Issue 26, finding 14: the report gives pain during each exercise, not only the session's, and marks one
    above its own limit."""
    course = Course(cli, tmp_path, "neck-pain", patient="P-7")
    course.approve("acute", 0)
    assert course.run(0)[0].exit_code == 0
    result, _ = course.run(1, exercises={"all": 1, "supine-chin-nod": 4})  # the chin nod's limit is 3
    assert result.exit_code in (0, 4), result.output
    out = tmp_path / "report.html"
    assert cli("report", "P-7", "--db", course.db, "--date", day(2), "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    table = text[text.index("Pain during each exercise") :]
    table = table[: table.index("</table>")]
    rows = [Page("<tr" + row).words for row in table.split("<tr")[2:]]
    nod = [row for row in rows if "Chin nod lying down" in row]
    assert len(nod) == 2 and nod[0].startswith(day(0))
    assert "Chin nod lying down 1 3" in nod[0] and "above its limit" not in nod[0]
    assert "Chin nod lying down 4 3 above its limit" in nod[1]
    assert len(rows) >= 2 * 5  # every exercise of both sessions


def test_a_handout_lists_what_to_avoid_one_line_each_and_prints_the_log_readably(cli, tmp_path) -> None:
    """Issue 26, finding 14: contraindications are a list (never run together as "clinician.; Unsteadiness"), the
    printed log's headings are readable (no 6-pt type) on a landscape page, and printed cards are compact."""
    out = tmp_path / "recovery.html"
    assert cli("handout", "low-back-pain-chronic", "--phase", "acute", "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert ".; " not in Page(text).words
    assert "<strong>Avoid it if:</strong><ul><li>" in text
    pytest.importorskip("weasyprint", reason="the pdf extra (WeasyPrint) is not installed")
    pdf = tmp_path / "recovery.pdf"
    assert cli("handout", "low-back-pain-chronic", "--phase", "acute", "-o", str(pdf)).exit_code == 0
    layout = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    import re

    pages = layout.split("<page ")[1:]
    log = next(page for page in pages if "settled" in page)
    width, height = (float(v) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', log).groups())
    assert width > height  # the log has a landscape page of its own
    heights = [
        float(y2) - float(y1)
        for y1, y2, word in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', log)
        if word == "settled"
    ]
    assert heights and min(heights) > 9  # about 10-pt type: a box over 9 pt tall (6-pt type gives about 7)
    cards = [page for page in pages if "Stop if:" in page]
    phase = next(
        p
        for p in yaml.safe_load((PROTOCOLS / "low-back" / "low-back-pain-chronic.yaml").read_text())["phases"]
        if p["id"] == "acute"
    )
    assert len(cards) < len(phase["exercises"])  # more than one card a page
