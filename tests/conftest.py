"""Shared fixtures: the course root, its chapters, and a scratch nbgrader course built from them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
import torch

from grading.course import ROOT, chapters, notebook_path, run_nbgrader

# COURSE_TEST_CHAPTERS=ch01_x,ch02_y limits the course tests to some chapters while you work on them;
# `make test` and CI always test every chapter.
ONLY_ENV = "COURSE_TEST_CHAPTERS"
_ONLY = [c for c in os.environ.get(ONLY_ENV, "").split(",") if c]
CHAPTERS = [c for c in chapters() if not _ONLY or c in _ONLY]


def pytest_configure(config):
    if not CHAPTERS:
        raise pytest.UsageError("no chapters found under solutions/ (or none matching "
                                f"{ONLY_ENV}={os.environ.get(ONLY_ENV)!r}): the course tests would test nothing")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="module")
def one_thread():
    """Run a module's tests on one intra-op thread, then restore the setting.

    The course's reference networks are tiny: a second thread gains nothing, and on a busy 2-core
    machine contending OpenMP threads made training steps 10-80x slower (measured). One thread also
    fixes the order of floating-point reductions, so a computation repeated in another process with
    one thread (the distributed workers) gives the same bits.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def read_nb(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="session")
def scratch_course(tmp_path_factory) -> Path:
    """A fresh nbgrader course: config and solutions copied, every chapter released into notebooks/.

    The same steps as `make release`, in a directory of its own, so the tests never touch the
    repository's gradebook or release.
    """
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions", course / "solutions")
    for chapter in CHAPTERS:
        run_nbgrader(["generate_assignment", chapter, "--force"], course_root=course, capture=True)
        assert notebook_path(course, "notebooks", chapter).exists()
    return course


@pytest.fixture(scope="session")
def graded_class(scratch_course, tmp_path_factory) -> dict:
    """alice (solution), bob (first catalogue group, test cells edited) and carol (untouched release)
    hand in every chapter; the class is graded with the instructor's commands (tests/classroom.py)."""
    from tests.classroom import grade_class

    return grade_class(scratch_course, ROOT, tmp_path_factory.mktemp("class"), CHAPTERS)


@pytest.fixture(scope="session")
def catalogue_runs(scratch_course, tmp_path_factory) -> dict:
    """``{(chapter, group index): executed notebook}`` for every catalogue group after bob's, each
    executed as nbgrader would (test cells put back) with nbclient, two kernels at a time."""
    from grading.course import fill_release
    from tests.classroom import as_graded, execute_all, mistake_groups, patches_of

    jobs = {}
    for chapter in CHAPTERS:
        release = read_nb(notebook_path(scratch_course, "notebooks", chapter))
        solution = read_nb(notebook_path(scratch_course, "solutions", chapter))
        for i, group in enumerate(mistake_groups(chapter)[1:], 1):
            nb = as_graded(fill_release(release, solution, patches_of(group)), solution)
            jobs[(chapter, i)] = (nb, tmp_path_factory.mktemp(f"run-{chapter}-{i}"))
    return execute_all(jobs)
