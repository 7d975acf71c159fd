"""Grading, per chapter: the solution earns every point, the untouched release none, and every entry
of the wrong-implementation catalogue loses exactly the test cells it targets.

The class of tests/classroom.py goes through nbgrader itself (alice: the solution, bob: the first
group of catalogue mistakes, carol: the untouched release). The catalogue's other groups are scored
by executing each patched notebook with nbclient and applying nbgrader's rule (spec section 9); the
tests at the end check that this scoring reproduces the gradebook on the notebooks nbgrader graded,
and that it executes exactly the code nbgrader executes.

Catalogue entries that patch different solution cells and target different test cells share one
submission: each must still lose all of its own cells, and every cell that no entry of the
submission targets must keep full marks.
"""

from __future__ import annotations

import re

import pytest
from nbconvert import HTMLExporter

from grading.course import autograded_scores, fill_release, nbgrader_cells, notebook_path
from tests.catalogue import load
from tests.classroom import (as_graded, bob_group, group_of, hidden_lines, leaked, mistake_groups, nbgrader_scores,
                             patches_of, targets_of, visible_text)
from tests.conftest import CHAPTERS, read_nb

MIN_CATALOGUE = {"ch00_adversarial_idea": 4, "ch01_generator_discriminator": 4, "ch02_minmax_game": 4,
                 "ch03_training_dynamics": 4, "ch04_mode_collapse": 4, "ch05_wasserstein_gan": 5,
                 "ch06_stylegan": 4, "ch07_conditional_gans": 4, "ch08_gans_today": 5}


@pytest.fixture(scope="session")
def gradebook(graded_class) -> dict[str, dict[str, dict]]:
    """``{chapter: {student: {grade_id: (score, max_score)}}}`` of the class, from its gradebook."""
    course = graded_class["course"]
    return {chapter: {s: autograded_scores(course, chapter, s) for s in ("alice", "bob", "carol")}
            for chapter in CHAPTERS}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_earns_every_autograded_point(gradebook, chapter):
    scores = gradebook[chapter]["alice"]
    assert scores, "the chapter has no autograded test cells"
    lost = {cell: s for cell, s in scores.items() if s[0] < s[1]}
    assert not lost, f"the solution loses points in {lost}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_release_earns_nothing(gradebook, chapter):
    earned = {cell: s for cell, s in gradebook[chapter]["carol"].items() if s[0] > 0}
    assert not earned, f"the untouched release earns points in {earned}: a test that passes on a stub"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_catalogue_is_big_enough(chapter):
    assert len(load(chapter)) >= MIN_CATALOGUE.get(chapter, 1), f"{chapter} needs more catalogue entries"


@pytest.mark.parametrize("chapter,mistake", [(c, m) for c in CHAPTERS for m in load(c)],
                         ids=lambda x: getattr(x, "name", x))
def test_catalogue_mistake_loses_exactly_its_exercise(gradebook, catalogue_runs, chapter, mistake):
    index, group = group_of(chapter, mistake)
    if index == 0:
        where, scores = "bob's submission (graded by nbgrader)", gradebook[chapter]["bob"]
    else:
        where = f"catalogue group {index} (scored from nbclient)"
        scores = nbgrader_scores(catalogue_runs[(chapter, index)])
    unknown = set(mistake.loses) - set(scores)
    assert not unknown, f"{mistake.name} targets test cells {unknown} that the chapter does not have"
    kept = {cell: s for cell, s in scores.items() if cell in mistake.loses and s[0] > 0}
    assert not kept, f"{mistake.name} ({mistake.why}) still earns points in {kept}"
    targeted = targets_of(group)
    lost = {cell: s for cell, s in scores.items() if cell not in targeted and s[0] < s[1]}
    assert not lost, (f"{mistake.name} ({mistake.why}), graded in {where} with "
                      f"{[m.name for m in group]}, also loses points in {lost}: one mistake must not cascade")


def test_shared_submissions_never_mix_mistakes_of_one_exercise():
    for chapter in CHAPTERS:
        for i, group in enumerate(mistake_groups(chapter)):
            cells = [m.cell for m in group]
            assert len(cells) == len(set(cells)), f"{chapter} group {i} patches one cell twice: {cells}"
            targets = [c for m in group for c in m.loses]
            assert len(targets) == len(set(targets)), f"{chapter} group {i} targets a test cell twice"


# ----------------------------------------------------------------------------------------------------
# The nbclient scoring is nbgrader's


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_nbclient_scoring_reproduces_the_gradebook(graded_class, gradebook, chapter):
    """nbgrader's rule applied to the notebooks nbgrader executed gives the scores it recorded, for
    a full-marks, a partly wrong and an empty submission."""
    course = graded_class["course"]
    for student in ("alice", "bob", "carol"):
        executed = read_nb(notebook_path(course, "autograded", chapter, student))
        assert nbgrader_scores(executed) == gradebook[chapter][student], f"{student} on {chapter}"
    assert any(s < m for s, m in gradebook[chapter]["bob"].values()), f"bob loses nothing on {chapter}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_nbclient_runs_the_code_nbgrader_runs(graded_class, chapter):
    """The notebook built for nbclient is, cell by cell, the code nbgrader executed for bob: his
    patched answers, and the test cells he edited put back with their hidden tests."""
    course = graded_class["course"]
    release = read_nb(notebook_path(course, "notebooks", chapter))
    solution = read_nb(notebook_path(course, "solutions", chapter))
    ours = as_graded(fill_release(release, solution, patches_of(bob_group(chapter))), solution)
    theirs = read_nb(notebook_path(course, "autograded", chapter, "bob"))
    assert [c.source for c in ours.cells if c.cell_type == "code"] == [
        c.source for c in theirs.cells if c.cell_type == "code"]
    assert any("BEGIN HIDDEN TESTS" in c.source for c in nbgrader_cells(ours).values())


def test_nbclient_scoring_zeroes_errors_and_stderr():
    """determine_grade, as used: an error or a stderr stream scores zero; a clean cell full marks."""
    import nbformat

    def cell(grade_id, outputs):
        c = nbformat.v4.new_code_cell("pass", outputs=outputs)
        c.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 2, "grade_id": grade_id}
        return c

    nb = nbformat.v4.new_notebook(cells=[
        cell("clean", [nbformat.v4.new_output("stream", name="stdout", text="All tests passed!\n")]),
        cell("raises", [nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[])]),
        cell("warns", [nbformat.v4.new_output("stream", name="stderr", text="oops\n")])])
    assert nbgrader_scores(nb) == {"clean": (2.0, 2.0), "raises": (0.0, 2.0), "warns": (0.0, 2.0)}


# ----------------------------------------------------------------------------------------------------
# Hidden tests


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_leak_detector_sees_hidden_tests_in_unscrubbed_html(graded_class, root, chapter):
    """The feedback checks (tests/test_instructor_workflow.py) can fail: the autograded notebooks,
    rendered as plain HTML, do leak."""
    lines = hidden_lines(root, chapter)
    assert lines, "the chapter has no hidden tests"
    path = notebook_path(graded_class["course"], "autograded", chapter, "alice")
    body, _ = HTMLExporter().from_notebook_node(read_nb(path))
    assert leaked(lines, visible_text(body))


def test_failed_hidden_assert_traceback_would_leak_without_the_scrubber(catalogue_runs, root):
    """A failed hidden assert's traceback quotes hidden code; only HideHiddenTestTracebacks removes it."""
    chapter = "ch00_adversarial_idea"
    if chapter not in CHAPTERS:
        pytest.skip("chapter 0 is not among COURSE_TEST_CHAPTERS")
    lines = hidden_lines(root, chapter)
    half_stable = next(m for m in load(chapter) if m.name == "bce-half-stable")
    index, _ = group_of(chapter, half_stable)
    assert index > 0, "bce-half-stable is expected among the nbclient-scored groups"
    nb = catalogue_runs[(chapter, index)]
    tracebacks = "\n".join(visible_text("\n".join(o.traceback)) for c in nb.cells if c.cell_type == "code"
                           for o in c.get("outputs", []) if o.output_type == "error")
    tracebacks = re.sub(r"\x1b\[[0-9;]*m", "", tracebacks)
    assert leaked(lines, tracebacks), "expected the raw traceback of the failed hidden test to quote it"
