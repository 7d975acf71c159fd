"""The chapters as files: clean solutions, a release in sync with them, and release notebooks that run.

(Each solution notebook is also executed top to bottom by nbval: `solutions/` is a test path.)
"""

from __future__ import annotations

import re

import nbformat
import pytest

from grading.course import chapters, nbgrader_cells, notebook_path
from tests.classroom import execute_all
from tests.conftest import CHAPTERS, read_nb

STUB_ERRORS = {"NotImplementedError", "NotAnswered"}  # NotAnswered subclasses NotImplementedError
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_is_committed_clean(root, chapter):
    nb = read_nb(notebook_path(root, "solutions", chapter))
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3", "nbgrader needs the kernelspec to be python3"
    assert "widgets" not in nb.metadata, "stored widget state in the solution: clear it before committing"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {i} of the solution has outputs: clear them before committing"
            assert cell.execution_count is None, f"cell {i} of the solution has an execution count"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_has_every_kind_of_chapter_part(root, chapter):
    nb = read_nb(notebook_path(root, "solutions", chapter))
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"Estimated time:\*\*\s*\d+", text), "the chapter must give an estimated time"
    assert "you will be able to" in text, "the chapter must list learning objectives"
    metas = [nbgrader_meta(c) for c in nb.cells if nbgrader_meta(c)]
    autograded = [m for m in metas if m["grade"] and not m["solution"]]
    manual = [m for m in metas if m["grade"] and m["solution"]]
    assert autograded and all(m["points"] > 0 and m["locked"] for m in autograded)
    assert manual, "every chapter has at least one hand-graded free-response answer"
    ids = [m["grade_id"] for m in metas]
    assert len(ids) == len(set(ids)), "duplicate nbgrader grade_ids"
    for cell in nb.cells:
        if cell.cell_type == "markdown" and not (nbgrader_meta(cell) or {}).get("solution"):
            for marker in MARKERS:
                assert marker not in cell.source, f"prose contains {marker!r}, which nbgrader reads as a marker"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_is_what_make_release_produces(root, scratch_course, chapter):
    committed = read_nb(notebook_path(root, "notebooks", chapter))
    fresh = read_nb(notebook_path(scratch_course, "notebooks", chapter))
    assert len(committed.cells) == len(fresh.cells), "notebooks/ is stale: run `make release` and commit it"
    for i, (a, b) in enumerate(zip(committed.cells, fresh.cells)):
        assert (a.cell_type, a.source, nbgrader_meta(a)) == (b.cell_type, b.source, nbgrader_meta(b)), (
            f"cell {i} of notebooks/{chapter} differs from a fresh release: run `make release` and commit it")
    assert committed.metadata.kernelspec.name == "python3"


def test_release_holds_exactly_the_chapters(root):
    released = sorted(p.name for p in (root / "notebooks").iterdir() if p.is_dir())
    assert released == chapters(root), f"notebooks/ has {released}; solutions/ has {chapters(root)}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_hides_solutions_and_hidden_tests(root, chapter):
    release = read_nb(notebook_path(root, "notebooks", chapter))
    solution = read_nb(notebook_path(root, "solutions", chapter))
    for cell in release.cells:
        for marker in MARKERS:
            assert marker not in cell.source, f"the release still contains {marker!r}"
    released = nbgrader_cells(release)
    for grade_id, cell in nbgrader_cells(solution).items():
        meta = nbgrader_meta(cell)
        if meta["solution"]:
            body = cell.source.split("BEGIN SOLUTION", 1)[-1].split("END SOLUTION", 1)[0]
            for line in body.splitlines()[1:-1]:
                if len(line.strip()) > 12:
                    assert line.strip() not in released[grade_id].source, f"solution text leaked into {grade_id}"


@pytest.fixture(scope="module")
def executed_releases(root, tmp_path_factory) -> dict:
    """Every chapter's release executed top to bottom as a learner gets it, in fast mode, two
    kernels at a time (tests/classroom.py)."""
    return execute_all({chapter: (read_nb(notebook_path(root, "notebooks", chapter)),
                                  tmp_path_factory.mktemp(f"release-{chapter}")) for chapter in CHAPTERS})


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_runs_and_fails_only_on_the_stubs(executed_releases, chapter):
    """Executed top to bottom as a learner gets it, the only errors are NotImplementedError (or its subclass)."""
    nb = executed_releases[chapter]
    errors = [(nbgrader_meta(c) or {}).get("grade_id", i) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error" and o.ename not in STUB_ERRORS]
    assert not errors, f"cells {errors} raise something other than NotImplementedError in the release"
    stubbed = [c for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert stubbed, "the release raised no NotImplementedError at all: are its exercises stubbed?"
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "fast mode is on" in printed, "the release was meant to run in fast mode"
