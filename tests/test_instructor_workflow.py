"""The instructor's workflow end to end, on nbgrader's normal course layout, for every chapter.

One course holds every chapter that has landed (picked up from ``solutions/``), released as
``make release`` does (the session's scratch course). A small class per chapter hands in under
``submitted/<student>/<chapter>/``:

* ``alice`` the solution; her free-response answers get full marks by hand;
* ``bob`` the chapter's first catalogue mistake, with the test cells it targets edited to print
  a pass message (nbgrader must restore them from the release, so he still loses those points);
  half marks by hand for his free-response answers;
* ``carol`` the release untouched (nothing answered: zero everywhere, nothing to grade by hand),
  in the first chapter only: tests/test_autograde.py already grades every chapter's untouched
  release, and each submission costs a full execution of the chapter (test time, spec section 9).

Then, as an instructor would: ``python -m grading autograde`` (``make autograde``: every student,
each in its own process and scratch course), manual grades entered through nbgrader's API,
``python -m grading feedback`` and ``python -m grading grades`` (``make feedback``, ``make grades``).
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grading.course import fill_release, nbgrader_cells, notebook_path
from grading.sandbox import tree_changes, tree_state
from tests.catalogue import load
from tests.conftest import CHAPTERS, read_nb
from tests.test_autograde import hidden_lines, leaked, visible_text

STUDENTS = ("alice", "bob", "carol")
CAROL_CHAPTERS = CHAPTERS[:1]


def students_for(chapter: str) -> tuple[str, ...]:
    return STUDENTS if chapter in CAROL_CHAPTERS else ("alice", "bob")
MANUAL_SHARE = {"alice": 1.0, "bob": 0.5}  # of each free-response cell's points, entered by hand
EDITED_TEST = 'print("All tests passed!")'
GRADER_OUTPUTS = ("autograded/", "feedback/", "gradebook.db", "grades.csv")


def run_grading(course: Path, root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grading", "--course-root", str(course), *args],
                          cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def bob_mistake(chapter):
    mistakes = load(chapter)
    return mistakes[0] if mistakes else None


def cell_points(course: Path, chapter: str) -> tuple[dict[str, float], set[str]]:
    """``({grade_id: max points}, {grade_ids graded by hand})`` from the course gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_notebook(chapter, chapter)
        points = {c.name: float(c.max_score) for c in nb.grade_cells}
        manual = {c.name for c in nb.grade_cells if c.name in {s.name for s in nb.solution_cells}}
    return points, manual


@pytest.fixture(scope="module")
def workflow(scratch_course, root, tmp_path_factory):
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("instructor")
    shutil.copy(scratch_course / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copy(scratch_course / "gradebook.db", course / "gradebook.db")
    for step in ("solutions", "notebooks"):
        for chapter in CHAPTERS:
            shutil.copytree(scratch_course / step / chapter, course / step / chapter)

    for chapter in CHAPTERS:
        release = read_nb(notebook_path(course, "notebooks", chapter))
        solution = read_nb(notebook_path(course, "solutions", chapter))
        mistake = bob_mistake(chapter)
        bob = fill_release(release, solution, {mistake.cell: mistake.patches} if mistake else None)
        for grade_id in (mistake.loses if mistake else ()):
            nbgrader_cells(bob)[grade_id].source = EDITED_TEST
        for student, nb in (("alice", fill_release(release, solution)), ("bob", bob), ("carol", release)):
            if student not in students_for(chapter):
                continue
            path = notebook_path(course, "submitted", chapter, student)
            path.parent.mkdir(parents=True)
            nbformat.write(nb, path)

    before = tree_state(course)
    autograde = run_grading(course, root, "autograde", "--jobs", "2")
    assert autograde.returncode == 0, f"autograde failed:\n{autograde.stdout}\n{autograde.stderr}"

    manual_entered = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for chapter in CHAPTERS:
            points, manual = cell_points(course, chapter)
            for student, share in MANUAL_SHARE.items():
                for grade_id in manual:
                    grade = gb.find_grade(grade_id, chapter, chapter, student)
                    grade.manual_score = share * points[grade_id]
                    manual_entered[(chapter, student, grade_id)] = grade.manual_score
        gb.db.commit()

    for command in ("feedback", "grades"):
        done = run_grading(course, root, command)
        assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return {"course": course, "before": before, "after": tree_state(course), "log": autograde.stdout,
            "manual": manual_entered}


def expected_total(course: Path, chapter: str, student: str) -> float:
    points, manual = cell_points(course, chapter)
    auto = {g: p for g, p in points.items() if g not in manual}
    if student == "carol":
        return 0.0
    lost = set(bob_mistake(chapter).loses) if student == "bob" and bob_mistake(chapter) else set()
    by_hand = sum(MANUAL_SHARE[student] * points[g] for g in manual)
    return sum(p for g, p in auto.items() if g not in lost) + by_hand


@pytest.mark.parametrize("chapter,student", [(c, s) for c in CHAPTERS for s in students_for(c)])
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
    mistake = bob_mistake(chapter)
    if mistake is None:
        pytest.skip(f"{chapter} has no catalogue entry yet")
    course = workflow["course"]
    # nbgrader grades a test cell with its hidden tests put back: the solution's version of the cell
    released = nbgrader_cells(read_nb(notebook_path(course, "solutions", chapter)))
    graded = nbgrader_cells(read_nb(notebook_path(course, "autograded", chapter, "bob")))
    for grade_id in mistake.loses:
        assert graded[grade_id].source == released[grade_id].source, f"{chapter}: bob's edit of {grade_id} survived"
        assert any(o.output_type == "error" for o in graded[grade_id].outputs), (
            f"{chapter}: {grade_id} should fail on bob's mistake {mistake.name}")


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
    assert set(files) == set(students_for(chapter)), f"feedback for {chapter}: {sorted(files)}"
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
        for student in students_for(chapter):
            assert re.search(rf"{chapter} {student}: graded, ", workflow["log"]), (
                f"no 'graded' line for {student} on {chapter} in:\n{workflow['log']}")
