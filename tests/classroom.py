"""The class that the grading tests share, and nbgrader's scoring rule applied to an nbclient run.

Grading a submission costs a full execution of its chapter, so (spec section 9) ``make test`` grades
one small class per chapter through the instructor's real pipeline, and scores the rest of the
wrong-implementation catalogue by executing each patched notebook with nbclient and applying
nbgrader's own rule to the outputs.

The class (every chapter, in one course, graded by ``python -m grading autograde --jobs 2``):

* ``alice`` hands in the solution; her free-response answers get full marks by hand;
* ``bob`` hands in the chapter's first group of catalogue mistakes (see :func:`mistake_groups`), with
  each test cell they target edited to print a pass message: nbgrader must restore those cells from
  the release, so he still loses their points; half marks by hand for his free-response answers;
* ``carol`` hands in the release untouched (nothing answered: zero everywhere).

The other catalogue groups run through :func:`execute_notebook` and :func:`nbgrader_scores`, which
executes what nbgrader would (the submission with its test cells put back, hidden tests included)
and scores it with ``nbgrader.utils.determine_grade``. tests/test_autograde.py checks that this
scoring gives the gradebook's numbers on the notebooks nbgrader itself graded.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import nbformat

from grading.course import fill_release, nbgrader_cells, nbgrader_env, notebook_path
from grading.sandbox import tree_state
from tests.catalogue import load

STUDENTS = ("alice", "bob", "carol")
MANUAL_SHARE = {"alice": 1.0, "bob": 0.5}  # of each free-response cell's points, entered by hand
EDITED_TEST = 'print("All tests passed!")'
CELL_TIMEOUT_S = 120                        # the course's nbgrader_config.py: CourseExecute.timeout
WORKERS = 2                                 # the 2 cores of the machines make test runs on


# ----------------------------------------------------------------------------------------------------
# The catalogue, packed into submissions

def mistake_groups(chapter: str) -> list[list]:
    """The chapter's catalogue packed into shared submissions: no two mistakes in a group patch the
    same cell or target the same test cell (greedy, in catalogue order, so the grouping is stable).
    The first group is bob's; the others are scored with nbclient."""
    groups: list[list] = []
    for m in load(chapter):
        for group in groups:
            if all(m.cell != o.cell and not set(m.loses) & set(o.loses) for o in group):
                group.append(m)
                break
        else:
            groups.append([m])
    return groups


def group_of(chapter: str, mistake) -> tuple[int, list]:
    """``(index, group)`` of the group that holds ``mistake``; index 0 is bob's submission."""
    for i, group in enumerate(mistake_groups(chapter)):
        if mistake in group:
            return i, group
    raise KeyError(mistake.name)


def patches_of(group) -> dict:
    return {m.cell: m.patches for m in group}


def targets_of(group) -> set[str]:
    """The test cells that a group's mistakes must lose."""
    return {cell for m in group for cell in m.loses}


# ----------------------------------------------------------------------------------------------------
# What nbgrader executes, and how it scores it

def autograded_tests(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The notebook's autograded test cells (nbgrader ``grade`` without ``solution``) by ``grade_id``."""
    return {g: c for g, c in nbgrader_cells(nb).items() if c.cell_type == "code"
            and c.metadata["nbgrader"].get("grade") and not c.metadata["nbgrader"].get("solution")}


def as_graded(submission: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook nbgrader executes for ``submission``: every autograded test cell put back as the
    instructor wrote it (hidden tests included), whatever the learner did to it."""
    graded = nbformat.from_dict(submission)
    tests = autograded_tests(solution)
    for grade_id, cell in nbgrader_cells(graded).items():
        if grade_id in tests:
            cell.source = tests[grade_id].source
    return graded


def execute_notebook(nb: dict, cwd: str, timeout: int = CELL_TIMEOUT_S) -> dict:
    """Run ``nb`` top to bottom in a fresh python3 kernel, in fast mode, as the autograder does,
    keeping going after errors. Runs in a worker process (the kernel inherits its environment)."""
    from nbclient import NotebookClient

    os.environ.update(nbgrader_env(fast=True))
    nb = nbformat.from_dict(nb)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": cwd}}).execute()
    return nb


def execute_all(jobs: dict, workers: int = WORKERS) -> dict:
    """``{key: (notebook, cwd)}`` -> ``{key: executed notebook}``, ``workers`` kernels at a time."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = {key: pool.submit(execute_notebook, dict(nb), str(cwd)) for key, (nb, cwd) in jobs.items()}
        return {key: nbformat.from_dict(f.result()) for key, f in futures.items()}


def nbgrader_scores(executed: nbformat.NotebookNode) -> dict[str, tuple[float, float]]:
    """``{grade_id: (score, max_score)}`` of every autograded test cell, by nbgrader's own rule
    (``determine_grade``: an error, or anything on stderr, scores zero; otherwise full marks)."""
    from nbgrader.utils import determine_grade

    return {g: tuple(float(x) for x in determine_grade(c)) for g, c in autograded_tests(executed).items()}


# ----------------------------------------------------------------------------------------------------
# The class, graded as an instructor would

def bob_group(chapter: str) -> list:
    groups = mistake_groups(chapter)
    return groups[0] if groups else []


def write_class(course: Path, chapters: list[str]) -> None:
    """Hand in alice's, bob's and carol's notebooks for every chapter of ``course``."""
    for chapter in chapters:
        release = nbformat.read(notebook_path(course, "notebooks", chapter), as_version=4)
        solution = nbformat.read(notebook_path(course, "solutions", chapter), as_version=4)
        group = bob_group(chapter)
        bob = fill_release(release, solution, patches_of(group))
        for grade_id in targets_of(group):
            nbgrader_cells(bob)[grade_id].source = EDITED_TEST
        for student, nb in (("alice", fill_release(release, solution)), ("bob", bob), ("carol", release)):
            path = notebook_path(course, "submitted", chapter, student)
            path.parent.mkdir(parents=True)
            nbformat.write(nb, path)


def run_grading(course: Path, root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grading", "--course-root", str(course), *args],
                          cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def cell_points(course: Path, chapter: str) -> tuple[dict[str, float], set[str]]:
    """``({grade_id: max points}, {grade_ids graded by hand})`` from the course gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_notebook(chapter, chapter)
        points = {c.name: float(c.max_score) for c in nb.grade_cells}
        manual = {c.name for c in nb.grade_cells if c.name in {s.name for s in nb.solution_cells}}
    return points, manual


def grade_class(scratch_course: Path, root: Path, course: Path, chapters: list[str]) -> dict:
    """Release every chapter into ``course``, hand in the class, then autograde (two at a time),
    enter the hand grades through nbgrader's API, write feedback and export the grades, with the
    instructor's commands. Returns what the tests read: the course, its file tree before and after,
    the autograde log and the hand grades entered."""
    from nbgrader.api import Gradebook

    shutil.copy(scratch_course / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copy(scratch_course / "gradebook.db", course / "gradebook.db")
    for step in ("solutions", "notebooks"):
        for chapter in chapters:
            shutil.copytree(scratch_course / step / chapter, course / step / chapter)
    write_class(course, chapters)

    before = tree_state(course)
    autograde = run_grading(course, root, "autograde", "--jobs", str(WORKERS))
    assert autograde.returncode == 0, f"autograde failed:\n{autograde.stdout}\n{autograde.stderr}"

    manual_entered = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for chapter in chapters:
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


# ----------------------------------------------------------------------------------------------------
# Hidden tests, and finding them in what a learner sees

def hidden_lines(root: Path, chapter: str) -> list[str]:
    """Every substantial line of the chapter's hidden tests."""
    lines = []
    for cell in nbformat.read(notebook_path(root, "solutions", chapter), as_version=4).cells:
        for block in re.findall(r"BEGIN HIDDEN TESTS\n(.*?)\n[^\n]*END HIDDEN TESTS", cell.source, re.S):
            lines += [line.strip() for line in block.splitlines() if len(line.strip()) >= 10]
    return lines


def visible_text(html_source: str) -> str:
    """What a reader of an HTML page sees: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_source))


def leaked(lines: list[str], text: str) -> list[str]:
    return [line for line in lines if line in text]
