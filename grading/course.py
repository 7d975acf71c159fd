"""Course layout and thin wrappers around nbgrader's command line."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import nbformat

from gan_helpers.course import FAST_ENV
from gan_helpers.widgets import WIDGETS_ENV

ROOT = Path(__file__).resolve().parent.parent


def chapters(root: Path = ROOT) -> list[str]:
    """Chapter ids (``chNN_name``): every ``solutions/<id>/<id>.ipynb``, in order."""
    return sorted(p.parent.name for p in (root / "solutions").glob("ch*/ch*.ipynb") if p.stem == p.parent.name)


def released_chapters(root: Path = ROOT) -> list[str]:
    """Chapter ids with a solution or a release (``notebooks/<id>/<id>.ipynb``), in order."""
    released = {p.parent.name for p in (root / "notebooks").glob("ch*/ch*.ipynb") if p.stem == p.parent.name}
    return sorted(released | set(chapters(root)))


def notebook_path(root: Path, step: str, chapter: str, student: str | None = None) -> Path:
    """Where nbgrader keeps a chapter's notebook at a step (solutions, notebooks, submitted, ...)."""
    base = root / step if student is None else root / step / student
    return base / chapter / f"{chapter}.ipynb"


def nbgrader_env(fast: bool = True) -> dict[str, str]:
    """The environment nbgrader runs in: the course root importable, fast mode for grading."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    # nbgrader runs helpers such as `alembic` by name: the environment's bin/ must be on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env[WIDGETS_ENV] = "static"
    if fast:
        env[FAST_ENV] = "1"
    return env


def run_nbgrader(args: Sequence[str], course_root: Path = ROOT, fast: bool = True,
                 check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` with ``course_root`` as the course directory."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(cmd, cwd=course_root, env=nbgrader_env(fast), text=True,
                            capture_output=capture, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        detail = f"\n{result.stdout}\n{result.stderr}" if capture else ""
        raise RuntimeError(f"`nbgrader {' '.join(args)}` exited with {result.returncode}{detail}")
    return result


def nbgrader_cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The notebook's nbgrader cells by ``grade_id``."""
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and meta.get("grade_id"):
            out[meta["grade_id"]] = cell
    return out


def fill_release(release: nbformat.NotebookNode, solution: nbformat.NotebookNode,
                 patches: Mapping[str, Sequence[tuple[str, str]]] | None = None) -> nbformat.NotebookNode:
    """What a learner would hand in: the release notebook with every solution cell answered.

    Each answer is the solution's cell source, after the ``(old, new)`` text replacements that
    ``patches`` lists for that cell's ``grade_id`` (used to reproduce a learner's mistake). An
    ``old`` text missing from the solution is an error, so a patch cannot silently go stale.
    """
    patches = patches or {}
    answers = nbgrader_cells(solution)
    unknown = set(patches) - set(answers)
    if unknown:
        raise KeyError(f"patches name cells the solution does not have: {sorted(unknown)}")
    submission = copy.deepcopy(release)
    for grade_id, cell in nbgrader_cells(submission).items():
        if not cell.metadata["nbgrader"].get("solution"):
            continue
        source = answers[grade_id].source
        for old, new in patches.get(grade_id, ()):
            if old not in source:
                raise ValueError(f"patch for cell {grade_id!r} expects text that is not there: {old!r}")
            source = source.replace(old, new)
        cell.source = source
    return submission


def autograded_scores(course_root: Path, chapter: str, student: str) -> dict[str, tuple[float, float]]:
    """``{grade_id: (score, max_score)}`` for every autograded test cell of a graded submission."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(chapter, chapter, student)
        return {g.name: (float(g.score), float(g.max_score)) for g in nb.grades if g.auto_score is not None
                and g.cell.cell_type == "code"}
