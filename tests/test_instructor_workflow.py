"""The instructor's workflow end to end, on nbgrader's normal course layout, for every chapter.

One course holds every chapter that has landed (picked up from ``solutions/``), released as
``make release`` does, and the small class of tests/classroom.py: under
``submitted/<student>/<chapter>/``, ``alice`` hands in the solution, ``bob`` the chapter's first group
of catalogue mistakes with the test cells they target edited to print a pass message (nbgrader must
restore them from the release, so he still loses those points), ``carol`` the release untouched.

Then, as an instructor would: ``python -m grading autograde --jobs 2`` (``make autograde``: every
student, each in its own process and scratch course), hand grades entered through nbgrader's API
(full marks for alice's free-response answers, half for bob's), ``python -m grading feedback`` and
``python -m grading grades`` (``make feedback``, ``make grades``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from grading.course import nbgrader_cells, notebook_path
from grading.sandbox import tree_changes
from tests.classroom import (MANUAL_SHARE, STUDENTS, bob_group, cell_points, hidden_lines, leaked, targets_of,
                             visible_text)
from tests.conftest import CHAPTERS, read_nb

GRADER_OUTPUTS = ("autograded/", "feedback/", "gradebook.db", "grades.csv")


@pytest.fixture(scope="module")
def workflow(graded_class):
    return graded_class


def bob_loses(chapter) -> set[str]:
    return targets_of(bob_group(chapter))


def expected_total(course: Path, chapter: str, student: str) -> float:
    points, manual = cell_points(course, chapter)
    auto = {g: p for g, p in points.items() if g not in manual}
    if student == "carol":
        return 0.0
    lost = bob_loses(chapter) if student == "bob" else set()
    by_hand = sum(MANUAL_SHARE[student] * points[g] for g in manual)
    return sum(p for g, p in auto.items() if g not in lost) + by_hand


@pytest.mark.parametrize("chapter,student", [(c, s) for c in CHAPTERS for s in STUDENTS])
def test_grades_csv_has_the_right_total(workflow, chapter, student):
    with open(workflow["course"] / "grades.csv", newline="") as f:
        rows = {(r["assignment"], r["student_id"]): float(r["score"]) for r in csv.DictReader(f)}
    assert (chapter, student) in rows, f"grades.csv has no row for {student} on {chapter}"
    want = expected_total(workflow["course"], chapter, student)
    got = rows[(chapter, student)]
    assert abs(got - want) < 1e-6, f"{student} on {chapter}: grades.csv says {got}; expected {want}\n{workflow['log']}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_free_response_cells_were_graded_by_hand(workflow, chapter):
    _, manual = cell_points(workflow["course"], chapter)
    assert manual, f"{chapter} has no free-response cell to grade by hand"
    entered = {g for (c, _, g) in workflow["manual"] if c == chapter}
    assert entered == manual


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_edited_locked_cells_are_restored_from_the_release(workflow, chapter):
    group = bob_group(chapter)
    if not group:
        pytest.skip(f"{chapter} has no catalogue entry yet")
    course = workflow["course"]
    # nbgrader grades a test cell with its hidden tests put back: the solution's version of the cell
    released = nbgrader_cells(read_nb(notebook_path(course, "solutions", chapter)))
    graded = nbgrader_cells(read_nb(notebook_path(course, "autograded", chapter, "bob")))
    for m in group:
        for grade_id in m.loses:
            assert graded[grade_id].source == released[grade_id].source, f"{chapter}: bob's edit of {grade_id} survived"
            assert any(o.output_type == "error" for o in graded[grade_id].outputs), (
                f"{chapter}: {grade_id} should fail on bob's mistake {m.name}")


def hidden_names(root: Path, chapter: str) -> list[str]:
    """Names the hidden tests define (functions, classes), which feedback must not show either."""
    names = []
    for cell in read_nb(notebook_path(root, "solutions", chapter)).cells:
        for block in re.findall(r"BEGIN HIDDEN TESTS\n(.*?)\n[^\n]*END HIDDEN TESTS", cell.source, re.S):
            names += [n for n in re.findall(r"^\s*(?:def|class)\s+(\w+)", block, re.M) if len(n) >= 6]
    return names


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_feedback_files_hide_the_hidden_tests(workflow, root, chapter):
    course = workflow["course"]
    lines = hidden_lines(root, chapter)
    names = hidden_names(root, chapter)
    files = {p.parent.parent.name: p for p in (course / "feedback").glob(f"*/{chapter}/*.html")}
    assert set(files) == set(STUDENTS), f"feedback for {chapter}: {sorted(files)}"
    for student, path in files.items():
        text = visible_text(path.read_text())
        found = leaked(lines, text) + [n for n in names if re.search(rf"\b{re.escape(n)}\b", text)]
        assert not found, f"{student}'s feedback on {chapter} shows hidden tests: {found[:3]}"
        assert "BEGIN HIDDEN TESTS" not in text and "grader-token" not in text


def test_only_the_graders_outputs_change(workflow):
    changed = tree_changes(workflow["before"], workflow["after"])
    others = [p for p in changed if not p.startswith(GRADER_OUTPUTS)]
    assert not others, f"grading changed files outside its outputs: {others[:10]}"
    assert any(p.startswith("feedback/") for p in changed) and "grades.csv" in changed


def test_autograde_reports_every_submission(workflow):
    for chapter in CHAPTERS:
        for student in STUDENTS:
            assert re.search(rf"{chapter} {student}: graded, ", workflow["log"]), (
                f"no 'graded' line for {student} on {chapter} in:\n{workflow['log']}")
