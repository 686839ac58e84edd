"""The pack harness keeps its word to tests written for rehabkit 0.1 (issue 30): ``run_session`` without
``approvals=`` approves the first gate, with a DeprecationWarning saying what to pass; a closed gate or a stopped
course fails with a note saying what a test changes. Real packs (neck and exercises, installed), a real store file."""

from __future__ import annotations

import datetime
import warnings

import pytest

from rehabkit._sessions.service import CourseStopped, GateClosed
from rehabkit.testing import PackHarness

CALM = {"screening": {"all": False}, "pain_before": 2, "exercises": {"all": 2}, "pain_after": 2, "new_symptom": False}
DAY = datetime.date(2026, 11, 2)


@pytest.fixture
def harness(tmp_path) -> PackHarness:
    return PackHarness("neck", ["exercises"], db_path=tmp_path / "harness.db")


def test_a_01_test_without_approvals_runs_the_first_phase_with_a_deprecation_warning(harness) -> None:
    with pytest.warns(DeprecationWarning, match=r"pass approvals=\{'clinician-approval': True\}") as caught:
        session = harness.run_session("neck-pain", CALM, today=DAY)
    assert session.action == "continue"
    assert "rehabkit 0.3" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the course has started: nothing more is approved or warned
        assert harness.run_session("neck-pain", CALM, today=DAY + datetime.timedelta(days=1)).action == "continue"


def test_approvals_given_are_used_without_a_warning(harness) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = harness.run_session("neck-pain", CALM, today=DAY, approvals={"clinician-approval": True})
    assert session.action == "continue"


def test_a_closed_gate_says_what_the_test_changes(harness) -> None:
    with pytest.raises(GateClosed) as raised:
        harness.run_session("neck-pain", CALM, today=DAY, approvals={})
    assert "approvals={'clinician-approval': True}" in "".join(raised.value.__notes__)


def test_a_stopped_course_says_what_the_test_changes(harness) -> None:
    approved = {"clinician-approval": True}
    question = harness.registry.find_protocol("neck-pain").item.red_flags[0].id
    red_flag = {**CALM, "screening": {"all": False, question: True}}
    assert harness.run_session("neck-pain", red_flag, today=DAY, approvals=approved).action != "continue"
    with pytest.raises(CourseStopped) as raised:
        harness.run_session("neck-pain", CALM, today=DAY + datetime.timedelta(days=1), approvals={})
    assert "Use another patient=" in "".join(raised.value.__notes__)


def test_a_pack_tested_without_the_library_it_names_is_told_to_add_rehabkit_with(tmp_path) -> None:
    # The neck pack's protocols name exercises of the installed exercises pack; a test loading only the neck pack
    # (a scaffold's test before its author sets rehabkit_with) fails with RK101 and is told what to add.
    alone = PackHarness("neck", db_path=tmp_path / "alone.db")
    with pytest.raises(AssertionError, match="RK101") as failure:
        alone.assert_protocols_clean()
    assert 'rehabkit_with = ["exercises"]' in str(failure.value)
    PackHarness("neck", ["exercises"], db_path=tmp_path / "with.db").assert_protocols_clean()
