"""The grading round trip through nbgrader itself, per chapter.

For each chapter a small class hands in: the solution (must earn every autograded point), the
untouched release (must earn none), and every entry of the chapter's wrong-implementation
catalogue (each must lose all points of the test cells it targets and keep every other point).
Then feedback is generated and searched for any line of the hidden tests.
"""

from __future__ import annotations

import csv
import html
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

from grading.course import autograded_scores, fill_release, notebook_path
from tests.catalogue import load
from tests.conftest import CHAPTERS, read_nb

SOLUTION, UNTOUCHED = "solution", "untouched"
MIN_CATALOGUE = {"ch00_adversarial_idea": 4}


def student_id(mistake) -> str:
    return f"mistake-{mistake.name}"


@pytest.fixture(scope="session")
def graded(scratch_course, root):
    """Autograde and generate feedback for every chapter's class; returns {chapter: {student: scores}}."""
    results = {}
    for chapter in CHAPTERS:
        release = read_nb(notebook_path(root, "notebooks", chapter))
        solution = read_nb(notebook_path(root, "solutions", chapter))
        submissions = {SOLUTION: fill_release(release, solution), UNTOUCHED: release}
        for mistake in load(chapter):
            submissions[student_id(mistake)] = fill_release(release, solution, {mistake.cell: mistake.patches})
        for student, nb in submissions.items():
            path = notebook_path(scratch_course, "submitted", chapter, student)
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
        results[chapter] = {s: None for s in submissions}
    # The instructor's own commands (`make autograde`, `make feedback`, `make grades`), on the scratch course.
    for command in ("autograde", "feedback", "grades"):
        subprocess.run([sys.executable, "-m", "grading", "--course-root", str(scratch_course), command],
                       check=True, cwd=root, capture_output=True, stdin=subprocess.DEVNULL)
    for chapter, students in results.items():
        for student in students:
            students[student] = autograded_scores(scratch_course, chapter, student)
    return results


def hidden_lines(root: Path, chapter: str) -> list[str]:
    """Every substantial line of the chapter's hidden tests."""
    lines = []
    for cell in read_nb(notebook_path(root, "solutions", chapter)).cells:
        for block in re.findall(r"BEGIN HIDDEN TESTS\n(.*?)\n[^\n]*END HIDDEN TESTS", cell.source, re.S):
            lines += [line.strip() for line in block.splitlines() if len(line.strip()) >= 10]
    return lines


def visible_text(html_source: str) -> str:
    """What a reader of an HTML page sees: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_source))


def leaked(lines: list[str], text: str) -> list[str]:
    return [line for line in lines if line in text]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_earns_every_autograded_point(graded, chapter):
    scores = graded[chapter][SOLUTION]
    assert scores, "the chapter has no autograded test cells"
    lost = {cell: s for cell, s in scores.items() if s[0] < s[1]}
    assert not lost, f"the solution loses points in {lost}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_release_earns_nothing(graded, chapter):
    earned = {cell: s for cell, s in graded[chapter][UNTOUCHED].items() if s[0] > 0}
    assert not earned, f"the untouched release earns points in {earned}: a test that passes on a stub"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_catalogue_is_big_enough(chapter):
    assert len(load(chapter)) >= MIN_CATALOGUE.get(chapter, 1), f"{chapter} needs more catalogue entries"


@pytest.mark.parametrize("chapter,mistake", [(c, m) for c in CHAPTERS for m in load(c)],
                         ids=lambda x: getattr(x, "name", x))
def test_catalogue_mistake_loses_exactly_its_exercise(graded, chapter, mistake):
    scores = graded[chapter][student_id(mistake)]
    unknown = set(mistake.loses) - set(scores)
    assert not unknown, f"{mistake.name} targets test cells {unknown} that the chapter does not have"
    kept = {cell: s for cell, s in scores.items() if cell in mistake.loses and s[0] > 0}
    assert not kept, f"{mistake.name} ({mistake.why}) still earns points in {kept}"
    lost = {cell: s for cell, s in scores.items() if cell not in mistake.loses and s[0] < s[1]}
    assert not lost, f"{mistake.name} ({mistake.why}) also loses points in {lost}: one mistake must not cascade"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_feedback_never_shows_hidden_tests(graded, scratch_course, root, chapter):
    lines = hidden_lines(root, chapter)
    assert lines, "the chapter has no hidden tests"
    files = sorted((scratch_course / "feedback").glob(f"*/{chapter}/*.html"))
    assert len(files) == len(graded[chapter]), f"expected one feedback file per student; got {len(files)}"
    for path in files:
        found = leaked(lines, visible_text(path.read_text()))
        assert not found, f"{path.relative_to(scratch_course)} shows hidden test lines: {found[:3]}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_leak_detector_sees_hidden_tests_in_unscrubbed_html(graded, scratch_course, root, chapter):
    """The feedback check above can fail: the autograded notebooks, rendered as plain HTML, do leak."""
    lines = hidden_lines(root, chapter)
    path = notebook_path(scratch_course, "autograded", chapter, SOLUTION)
    body, _ = HTMLExporter().from_notebook_node(read_nb(path))
    assert leaked(lines, visible_text(body))


def test_failed_hidden_assert_traceback_would_leak_without_the_scrubber(graded, scratch_course, root):
    """A failed hidden assert's traceback quotes hidden code; only HideHiddenTestTracebacks removes it."""
    chapter = "ch00_adversarial_idea"
    lines = hidden_lines(root, chapter)
    nb = read_nb(notebook_path(scratch_course, "autograded", chapter, "mistake-bce-half-stable"))
    tracebacks = "\n".join(visible_text("\n".join(o.traceback)) for c in nb.cells if c.cell_type == "code"
                           for o in c.get("outputs", []) if o.output_type == "error")
    tracebacks = re.sub(r"\x1b\[[0-9;]*m", "", tracebacks)
    assert leaked(lines, tracebacks), "expected the raw traceback of the failed hidden test to quote it"


def test_grades_export_lists_every_submission(graded, scratch_course):
    with open(scratch_course / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    exported = {(r["assignment"], r["student_id"]): float(r["score"]) for r in rows}
    for chapter, students in graded.items():
        for student, scores in students.items():
            assert (chapter, student) in exported, f"grades.csv has no row for {student} on {chapter}"
            auto = sum(s for s, _ in scores.values())
            assert abs(exported[(chapter, student)] - auto) < 1e-6, (
                f"grades.csv gives {student} {exported[(chapter, student)]} on {chapter}; autograded total is {auto}")
