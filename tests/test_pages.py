"""Handouts and course reports opened in a real headless Chromium, as a patient or clinician would open them.

No console errors, no request but the file itself, no serious accessibility
violation (axe-core), and an A4 print of the handout with no heading stranded
at the foot of a page. The screenshots in docs/ come from this run
(``UPDATE_SCREENSHOTS=docs`` writes them there).

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make test``);
Playwright drives it and downloads no browser of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_courses import day
from test_outputs import _calm_course

from conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (make test installs Debian's chromium)"
)
PDFTOTEXT = shutil.which("pdftotext")
#: Flags that keep Chromium off the network it would otherwise try to reach at start.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HEADINGS = ("Goals of this phase", "Take care", "Your exercises", "Stop and get help", "Every day", "Your exercise log")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def _open(browser, path: Path):
    """Open a file; return the page, console errors and every request it made."""
    page = browser.new_page(viewport={"width": 900, "height": 1200})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def _serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _screenshot(page, name: str, tmp_path: Path) -> None:
    folder = os.environ.get("UPDATE_SCREENSHOTS")
    target = (REPO / folder if folder else tmp_path) / name
    page.screenshot(path=str(target), clip={"x": 0, "y": 0, "width": 900, "height": 1200})
    assert target.stat().st_size > 10_000


def test_the_handout_opens_cleanly_is_accessible_and_prints_without_stranded_headings(browser, cli, tmp_path) -> None:
    course = _calm_course(cli, tmp_path)
    out = tmp_path / "handout.html"
    result = cli("handout", "--patient", "P-7", "--db", course.db, "--date", day(10), "-o", str(out))
    assert result.exit_code == 0, result.output
    page, errors, requests = _open(browser, out)
    assert errors == []
    assert requests == [out.as_uri()]  # no network: fonts, images and styles are all inside the file
    assert page.evaluate("document.scripts.length") == 0
    assert _serious_violations(page) == []
    _screenshot(page, "handout.png", tmp_path)
    # An A4 print, laid out by Chromium's print engine, read back page by page.
    if PDFTOTEXT is None:
        pytest.skip("pdftotext (Debian's poppler-utils) is not installed: the print check needs it")
    pdf = tmp_path / "print.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 2
    for number, printed in enumerate(pages, 1):
        lines = [line.strip() for line in printed.splitlines() if line.strip()]
        body = [line for line in lines if not line.startswith("Page ") and "made by rehabkit" not in line]
        assert body and body[-1] not in HEADINGS, f"page {number} ends with the heading {body[-1]!r}"
    page.close()


def test_a_handout_with_exercise_figures_opens_cleanly_and_is_accessible(browser, cli, tmp_path) -> None:
    out = tmp_path / "handout.html"
    result = cli("handout", "low-back-pain-acute", "-o", str(out))
    assert result.exit_code == 0, result.output
    page, errors, requests = _open(browser, out)
    assert errors == []
    assert requests == [out.as_uri()]
    figures = page.locator("figure.exercise-figure svg[role=img]")
    assert figures.count() >= 1
    assert figures.first.bounding_box()["height"] > 40  # drawn, not collapsed
    title = page.evaluate("document.querySelector('figure.exercise-figure svg title').textContent")
    assert title.startswith("Line drawing of Relaxed belly breathing: start position (left)")
    assert _serious_violations(page) == []
    # The README's picture of a handout card with its figure (UPDATE_SCREENSHOTS=docs writes it there).
    card = page.locator("article.card").filter(has=page.locator("h3", has_text="Knee to chest"))
    folder = os.environ.get("UPDATE_SCREENSHOTS")
    target = (REPO / folder if folder else tmp_path) / "handout-card.png"
    card.screenshot(path=str(target))
    assert 5_000 < target.stat().st_size < 80_000  # a card, kept small
    page.close()


def test_the_figure_gallery_opens_cleanly_and_is_accessible(browser, cli, tmp_path) -> None:
    out = tmp_path / "gallery.html"
    result = cli("exercises", "--gallery", "-o", str(out))
    assert result.exit_code == 0, result.output
    page, errors, requests = _open(browser, out)
    assert errors == []
    assert requests == [out.as_uri()]
    assert page.evaluate("document.scripts.length") == 0
    figures = page.locator("figure.exercise-figure svg[role=img]")
    assert figures.count() == page.locator("article").count() >= 46
    heights = page.evaluate(
        "[...document.querySelectorAll('figure.exercise-figure svg')].map(s => s.getBoundingClientRect().height)"
    )
    assert min(heights) > 40  # every figure drawn, none collapsed
    assert _serious_violations(page) == []
    page.close()


def test_a_title_with_a_script_tag_stays_inert_in_the_browser(browser, cli, tmp_path) -> None:
    import yaml

    from conftest import CORPUS

    data = yaml.safe_load((CORPUS / "good" / "minimal.yaml").read_text(encoding="utf-8"))
    data["reviewed"] = str(data["reviewed"])
    data["title"] = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "evil.html"
    assert cli("handout", str(path), "-o", str(out)).exit_code == 0
    page, errors, requests = _open(browser, out)
    assert page.title() == data["title"] + ": Acute"  # the script never ran to change it
    assert page.evaluate("document.querySelectorAll('script, img').length") == 0
    assert "<script>" in page.inner_text("h1")  # shown as text
    assert errors == [] and requests == [out.as_uri()]
    page.close()


def test_the_course_report_opens_cleanly_and_is_accessible(browser, cli, tmp_path) -> None:
    course = _calm_course(cli, tmp_path)
    assert course.do("next-day", "P-7", "--pain", "2", n=10).exit_code == 0
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
    out = tmp_path / "report.html"
    assert cli("report", "P-7", "--db", course.db, "--date", day(10), "-o", str(out)).exit_code == 0
    page, errors, requests = _open(browser, out)
    assert errors == [] and requests == [out.as_uri()]
    charts = "document.querySelectorAll('svg[role=img]:not(.rk-figure) > title').length"
    assert page.evaluate(charts) == 3  # each chart is named
    figures = "document.querySelectorAll('#plan ~ .plan svg.rk-figure[role=img] > title').length"
    assert page.evaluate(figures) >= 1  # the plan's exercise figures, each with its text alternative
    assert _serious_violations(page) == []
    _screenshot(page, "report.png", tmp_path)
    page.close()
