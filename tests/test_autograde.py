"""The grading round trip through nbgrader itself, per chapter.

For each chapter a small class hands in: the solution (must earn every autograded point), the
untouched release (must earn none), and every entry of the chapter's wrong-implementation
catalogue (each must lose all points of the test cells it targets and keep every other point).
Then feedback is generated and searched for any line of the hidden tests.

To keep the class small (spec section 9), catalogue entries that patch different solution cells and
target different test cells share one submission: each must still lose all of its own cells, and
every cell that no entry of the submission targets must keep full marks.
"""

from __future__ import annotations

import csv
import html
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

from grading.course import autograded_scores, fill_release, notebook_path
from tests.catalogue import load
from tests.conftest import CHAPTERS, read_nb

SOLUTION, UNTOUCHED = "solution", "untouched"
MIN_CATALOGUE = {"ch00_adversarial_idea": 4, "ch01_generator_discriminator": 4, "ch02_minmax_game": 4,
                 "ch03_training_dynamics": 4, "ch04_mode_collapse": 4, "ch05_wasserstein_gan": 5,
                 "ch06_stylegan": 4, "ch07_conditional_gans": 4, "ch08_gans_today": 5}


def group_mistakes(mistakes) -> list[list]:
    """Pack catalogue entries into shared submissions: no two in a group patch the same cell or
    target the same test cell (greedy, in catalogue order, so the grouping is stable)."""
    groups: list[list] = []
    for m in mistakes:
        for group in groups:
            if all(m.cell != o.cell and not set(m.loses) & set(o.loses) for o in group):
                group.append(m)
                break
        else:
            groups.append([m])
    return groups


def submissions_for(chapter) -> dict[str, list]:
    """``{student id: [mistakes in that submission]}`` for a chapter's catalogue."""
    return {f"mistakes-{i:02d}": group for i, group in enumerate(group_mistakes(load(chapter)), 1)}


def student_of(chapter, mistake) -> tuple[str, list]:
    for student, group in submissions_for(chapter).items():
        if mistake in group:
            return student, group
    raise KeyError(mistake.name)


def grade_class(course: Path, root: Path) -> None:
    """The instructor's own commands (`make autograde`, `make feedback`, `make grades`) on one course."""
    for command in ("autograde", "feedback", "grades"):
        subprocess.run([sys.executable, "-m", "grading", "--course-root", str(course), command],
                       check=True, cwd=root, capture_output=True, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def courses(scratch_course, root, tmp_path_factory) -> dict[str, Path]:
    """One graded nbgrader course per chapter: its release, gradebook and class, autograded.

    Each chapter gets a course of its own so the chapters are graded in parallel, one process per
    CPU core (nbgrader grades one course's submissions one after another).
    """
    out = {}
    for chapter in CHAPTERS:
        course = tmp_path_factory.mktemp(f"grade-{chapter}")
        shutil.copy(scratch_course / "nbgrader_config.py", course / "nbgrader_config.py")
        shutil.copy(scratch_course / "gradebook.db", course / "gradebook.db")
        for step in ("solutions", "notebooks"):
            shutil.copytree(scratch_course / step / chapter, course / step / chapter)
        release = read_nb(notebook_path(course, "notebooks", chapter))
        solution = read_nb(notebook_path(course, "solutions", chapter))
        submissions = {SOLUTION: fill_release(release, solution), UNTOUCHED: release}
        for student, group in submissions_for(chapter).items():
            submissions[student] = fill_release(release, solution, {m.cell: m.patches for m in group})
        for student, nb in submissions.items():
            path = notebook_path(course, "submitted", chapter, student)
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
        out[chapter] = course
    with ThreadPoolExecutor(max_workers=max(1, min(len(out), os.cpu_count() or 1))) as pool:
        list(pool.map(lambda course: grade_class(course, root), out.values()))
    return out


@pytest.fixture(scope="session")
def graded(courses) -> dict[str, dict[str, dict]]:
    """``{chapter: {student: {grade_id: (score, max_score)}}}`` read from each course's gradebook."""
    return {chapter: {p.parent.parent.name: autograded_scores(course, chapter, p.parent.parent.name)
                      for p in sorted((course / "submitted").glob(f"*/{chapter}/{chapter}.ipynb"))}
            for chapter, course in courses.items()}


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
    student, group = student_of(chapter, mistake)
    scores = graded[chapter][student]
    unknown = set(mistake.loses) - set(scores)
    assert not unknown, f"{mistake.name} targets test cells {unknown} that the chapter does not have"
    kept = {cell: s for cell, s in scores.items() if cell in mistake.loses and s[0] > 0}
    assert not kept, f"{mistake.name} ({mistake.why}) still earns points in {kept}"
    targeted = {cell for m in group for cell in m.loses}
    lost = {cell: s for cell, s in scores.items() if cell not in targeted and s[0] < s[1]}
    assert not lost, (f"{mistake.name} ({mistake.why}), graded in {student} with "
                      f"{[m.name for m in group]}, also loses points in {lost}: one mistake must not cascade")


def test_shared_submissions_never_mix_mistakes_of_one_exercise():
    for chapter in CHAPTERS:
        for student, group in submissions_for(chapter).items():
            cells = [m.cell for m in group]
            assert len(cells) == len(set(cells)), f"{chapter}/{student} patches one cell twice: {cells}"
            targets = [c for m in group for c in m.loses]
            assert len(targets) == len(set(targets)), f"{chapter}/{student} targets a test cell twice"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_feedback_never_shows_hidden_tests(graded, courses, root, chapter):
    lines = hidden_lines(root, chapter)
    assert lines, "the chapter has no hidden tests"
    files = sorted((courses[chapter] / "feedback").glob(f"*/{chapter}/*.html"))
    assert len(files) == len(graded[chapter]), f"expected one feedback file per student; got {len(files)}"
    for path in files:
        found = leaked(lines, visible_text(path.read_text()))
        assert not found, f"{path.relative_to(courses[chapter])} shows hidden test lines: {found[:3]}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_leak_detector_sees_hidden_tests_in_unscrubbed_html(courses, root, chapter):
    """The feedback check above can fail: the autograded notebooks, rendered as plain HTML, do leak."""
    lines = hidden_lines(root, chapter)
    path = notebook_path(courses[chapter], "autograded", chapter, SOLUTION)
    body, _ = HTMLExporter().from_notebook_node(read_nb(path))
    assert leaked(lines, visible_text(body))


def test_failed_hidden_assert_traceback_would_leak_without_the_scrubber(courses, root):
    """A failed hidden assert's traceback quotes hidden code; only HideHiddenTestTracebacks removes it."""
    chapter = "ch00_adversarial_idea"
    if chapter not in CHAPTERS:
        pytest.skip("chapter 0 is not among COURSE_TEST_CHAPTERS")
    lines = hidden_lines(root, chapter)
    half_stable = next(m for m in load(chapter) if m.name == "bce-half-stable")
    nb = read_nb(notebook_path(courses[chapter], "autograded", chapter, student_of(chapter, half_stable)[0]))
    tracebacks = "\n".join(visible_text("\n".join(o.traceback)) for c in nb.cells if c.cell_type == "code"
                           for o in c.get("outputs", []) if o.output_type == "error")
    tracebacks = re.sub(r"\x1b\[[0-9;]*m", "", tracebacks)
    assert leaked(lines, tracebacks), "expected the raw traceback of the failed hidden test to quote it"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_grades_export_lists_every_submission(graded, courses, chapter):
    with open(courses[chapter] / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    exported = {(r["assignment"], r["student_id"]): float(r["score"]) for r in rows}
    for student, scores in graded[chapter].items():
        assert (chapter, student) in exported, f"grades.csv has no row for {student} on {chapter}"
        auto = sum(s for s, _ in scores.values())
        assert abs(exported[(chapter, student)] - auto) < 1e-6, (
            f"grades.csv gives {student} {exported[(chapter, student)]} on {chapter}; autograded total is {auto}")
