"""Autograde a class one submission at a time: own process, own scratch course, limits, tree check.

nbgrader runs a learner's code in a kernel of the grader's own, with no sandbox. To grade a class
safely this module grades every submission of a chapter separately:

1. A scratch course is made for it in a temporary directory: ``nbgrader_config.py``, the release
   (``notebooks/<chapter>/``), a gradebook pruned to this chapter alone (other chapters and every
   student removed, then VACUUMed so nothing deleted lingers in the file), and this one submission.
   No ``solutions/``, no other student's work: what the learner's code reaches by relative paths
   from its working directory is the release and its own files.
2. ``nbgrader autograde`` runs on it in a child process with limits: each cell at most
   ``cell_timeout_s`` (nbgrader interrupts it: that cell scores zero, grading goes on), the whole
   submission at most ``wall_s`` (then the child and its kernel are killed), an address-space
   limit of ``memory_mb`` per process (``RLIMIT_AS``, set in the child before it starts nbgrader,
   inherited by the kernel), and output capped per cell (``CourseExecute``, ``LimitOutput``).
3. The course tree is compared before and after (sizes and modification times of every file but
   ``.git`` and ``__pycache__``): a change made while the submission ran is reported.
4. The results are copied back: the autograded notebook into ``autograded/<student>/<chapter>/``
   and the scores into the course's gradebook. A submission that cannot be read (missing, empty,
   not JSON, not a notebook nbformat can read), or whose grading did not finish, gets zero on every
   cell and an autograded notebook that is the release with a note saying why, so feedback and
   the grades export still list it.

One bad submission never stops the class: every outcome is recorded and grading goes on.

Example (one chapter; ``python -m grading autograde`` grades every chapter in one pool with
``autograde_course``)::

    from grading.sandbox import Limits, autograde_class
    for outcome in autograde_class(course_root, "ch00_adversarial_idea", limits=Limits(memory_mb=8192)):
        print(outcome.line())
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grading.course import nbgrader_env, notebook_path

# Runs in the child before nbgrader starts: the address-space limit, then exec (no fork-with-threads).
_LAUNCH = ("import os, resource, sys; limit = int(sys.argv[1]); "
           "resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); "
           "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])")
# held while the grader writes into the course and while the course tree is snapshotted, so that a
# snapshot never catches the grader's own write half done
_MERGE_LOCK = threading.RLock()
# course root -> {path: state} of the files this module itself wrote (results copied back), so that,
# with several submissions graded at once, one's results are not reported as another's change
_WRITTEN: dict[Path, dict[str, tuple[int, int]]] = {}
SKIPPED_DIRS = {".git", "__pycache__", ".pytest_cache", ".ipynb_checkpoints"}


@dataclass(frozen=True)
class Limits:
    """Limits for grading one submission.

    cell_timeout_s: nbgrader's per-cell execution timeout (the cell is interrupted and scores zero).
    wall_s:         the whole submission, nbgrader included; past it the child and kernel are killed.
    memory_mb:      RLIMIT_AS per process (nbgrader and its kernel each). Importing torch alone
                    reserves about 3.4 GB of address space, so 8 GiB leaves room for every chapter in
                    fast mode while a memory bomb fails with MemoryError long before a laptop runs out.
    """

    cell_timeout_s: int = 120
    wall_s: float = 900.0
    memory_mb: int = 8192

    def __post_init__(self):
        if self.cell_timeout_s <= 0 or self.wall_s <= 0:
            raise ValueError(f"timeouts must be positive; got cell_timeout_s={self.cell_timeout_s}, "
                             f"wall_s={self.wall_s}")
        if self.memory_mb < 1024:
            raise ValueError(f"memory_mb={self.memory_mb} is too small to import torch; expected >= 1024")


@dataclass
class Outcome:
    """What grading one submission gave.

    status: ``graded``; ``unreadable`` (file missing, empty, not JSON, not a readable notebook);
    ``timed out`` (past ``Limits.wall_s``); ``failed`` (nbgrader exited with an error).
    """

    student: str
    chapter: str
    status: str
    detail: str = ""
    seconds: float = 0.0
    score: float = 0.0
    max_score: float = 0.0
    changed: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.chapter} {self.student}: {self.status}, {self.score:g}/{self.max_score:g} ({self.seconds:.1f} s)"
        if self.detail:
            text += f" - {self.detail}"
        if self.changed:
            text += f"\n  WARNING: the course tree changed while it ran: {self.changed[:10]}"
        return text


# ----------------------------------------------------------------------------------------------------
# Reading a submission and the course tree


def unreadable_reason(path: Path) -> str | None:
    """Why nbgrader cannot grade the notebook at ``path``, or None if it can."""
    if not path.is_file():
        return f"no {path.name} in the submission"
    raw = path.read_bytes()
    if not raw.strip():
        return f"{path.name} is empty"
    try:
        json.loads(raw)
    except ValueError as error:
        return f"{path.name} is not valid JSON ({error})"
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # noqa: BLE001  (nbformat raises many kinds; each means "unreadable")
        return f"{path.name} is not a notebook nbformat 4 can read ({type(error).__name__}: {str(error)[:200]})"
    return None


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """``{relative path: (size, mtime_ns)}`` of every file under ``root`` (not .git, caches)."""
    state = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in files:
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            state[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns)
    return state


def tree_changes(before: dict, after: dict, written: dict | None = None) -> list[str]:
    """Paths added, removed or modified between two :func:`tree_state` snapshots, except those
    whose new state is one that ``written`` says the grader itself gave them (and sqlite journals)."""
    written = written or {}
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p)
                  and not p.endswith("-journal") and (p not in after or written.get(p) != after[p]))


def _note_written(course_root: Path, paths: list[Path]) -> None:
    """Remember the state of files the grader wrote (call with _MERGE_LOCK held)."""
    table = _WRITTEN.setdefault(course_root, {})
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for f in files:
            st = f.stat()
            table[str(f.relative_to(course_root))] = (st.st_size, st.st_mtime_ns)


# ----------------------------------------------------------------------------------------------------
# The scratch course


def make_template(course_root: Path, chapter: str, into: Path) -> Path:
    """A course holding only ``chapter``'s release, config and a gradebook pruned to that chapter."""
    from nbgrader.api import Gradebook

    release = course_root / "notebooks" / chapter
    if not notebook_path(course_root, "notebooks", chapter).is_file():
        raise FileNotFoundError(f"no release for {chapter} under {release}: run `make release` first")
    db = course_root / "gradebook.db"
    if not db.is_file():
        raise FileNotFoundError(f"no gradebook at {db}: run `make release` first")
    into.mkdir(parents=True, exist_ok=True)
    shutil.copy(course_root / "nbgrader_config.py", into / "nbgrader_config.py")
    shutil.copytree(release, into / "notebooks" / chapter)
    shutil.copy(db, into / "gradebook.db")
    with Gradebook(f"sqlite:///{into / 'gradebook.db'}") as gb:
        names = [a.name for a in gb.assignments]
        if chapter not in names:
            raise LookupError(f"{chapter} is not in {db} (assignments: {names}): run `make release` first")
        for name in names:
            if name != chapter:
                gb.remove_assignment(name)
        for student in [s.id for s in gb.students]:
            gb.remove_student(student)
    conn = sqlite3.connect(into / "gradebook.db")
    try:
        conn.execute("VACUUM")  # deleted rows (other chapters' hidden tests) must not linger in free pages
    finally:
        conn.close()
    return into


def _scratch_for(template: Path, course_root: Path, chapter: str, student: str, into: Path) -> Path:
    shutil.copytree(template, into)
    src = course_root / "submitted" / student / chapter
    shutil.copytree(src, into / "submitted" / student / chapter)
    return into


# ----------------------------------------------------------------------------------------------------
# Running nbgrader with limits


def _descendants(pid: int, seen: dict) -> None:
    """Add every live descendant of ``pid`` to ``seen`` (pid -> psutil.Process)."""
    import psutil

    try:
        for child in psutil.Process(pid).children(recursive=True):
            seen.setdefault(child.pid, child)
    except psutil.NoSuchProcess:
        pass


def _kill(processes) -> None:
    """SIGKILL each process still alive (psutil refuses a pid that was reused meanwhile)."""
    import psutil

    for p in processes:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def _run_limited(args: list[str], cwd: Path, limits: Limits, log: Path) -> tuple[int | None, float]:
    """Run ``python -m nbgrader <args>`` under the limits; (exit code or None if killed, seconds).

    The kernel runs in a session of its own, so the child's descendants are recorded while it runs
    and any left when it ends (or is killed at the wall-clock limit) are killed too.
    """
    cmd = [sys.executable, "-c", _LAUNCH, str(limits.memory_mb * 2**20), "-m", "nbgrader", *args]
    start = time.perf_counter()
    seen: dict = {}
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=nbgrader_env(fast=True), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        code = None
        while time.perf_counter() - start < limits.wall_s:
            _descendants(proc.pid, seen)
            try:
                code = proc.wait(timeout=1.0)
                break
            except subprocess.TimeoutExpired:
                continue
        if code is None:
            _descendants(proc.pid, seen)
            proc.kill()
            proc.wait()
        _kill(seen.values())
    return code, time.perf_counter() - start


# ----------------------------------------------------------------------------------------------------
# Copying results back


def _scores(db: Path, chapter: str, student: str) -> tuple[dict, dict, object]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}") as gb:
        sub = gb.find_submission(chapter, student)
        grades = {nb.name: {g.name: (g.auto_score, g.needs_manual_grade) for g in nb.grades} for nb in sub.notebooks}
        comments = {nb.name: {c.name: c.auto_comment for c in nb.comments} for nb in sub.notebooks}
        return grades, comments, sub.timestamp


def _record(course_root: Path, chapter: str, student: str, grades: dict | None, comments: dict | None,
            timestamp=None) -> tuple[float, float]:
    """Write a submission's autograded scores into the course gradebook (zero everywhere if
    ``grades`` is None); returns (score, max score). Manual scores already entered are kept."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    with _MERGE_LOCK:
        with warnings.catch_warnings(), Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gb:
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's autoflush chatter when it adds a submission
            gb.update_or_create_student(student)
            kwargs = {"timestamp": timestamp} if timestamp is not None else {}
            sub = gb.update_or_create_submission(chapter, student, **kwargs)
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grades is None:
                        grade.auto_score, grade.needs_manual_grade = 0.0, False
                    else:
                        auto, needs = grades[nb.name][grade.name]
                        grade.auto_score = auto
                        grade.needs_manual_grade = bool(needs or grade.manual_score is not None)
                for comment in nb.comments:
                    comment.auto_comment = None if comments is None else comments[nb.name].get(comment.name)
            gb.db.commit()
            sub = gb.find_submission(chapter, student)
            result = float(sub.score), float(sub.max_score)
        _note_written(course_root, [course_root / "gradebook.db"])
    return result


def _placeholder(course_root: Path, chapter: str, student: str, why: str) -> None:
    """The release with a note on top, as the autograded notebook of a submission that was not graded."""
    release = nbformat.read(notebook_path(course_root, "notebooks", chapter), as_version=4)
    note = nbformat.v4.new_markdown_cell(
        f"**This submission could not be graded: {why}.** Every exercise scores zero. "
        "Below is the assignment as it was released.")
    release.cells.insert(0, note)
    path = notebook_path(course_root, "autograded", chapter, student)
    with _MERGE_LOCK:
        if path.parent.exists():
            shutil.rmtree(path.parent)
        path.parent.mkdir(parents=True)
        nbformat.write(release, path)
        _note_written(course_root, [path.parent])


# ----------------------------------------------------------------------------------------------------
# Grading


def grade_submission(course_root: Path, chapter: str, student: str, limits: Limits = Limits(),
                     template: Path | None = None) -> Outcome:
    """Autograde ``submitted/<student>/<chapter>/`` in its own process and scratch course."""
    course_root = Path(course_root).resolve()
    nb_path = notebook_path(course_root, "submitted", chapter, student)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"grade-{chapter}-{student}-") as tmp:
        tmp = Path(tmp)
        if template is None:
            template = make_template(course_root, chapter, tmp / "template")
        reason = unreadable_reason(nb_path)
        if reason is not None:
            score, max_score = _record(course_root, chapter, student, None, None)
            _placeholder(course_root, chapter, student, reason)
            return Outcome(student, chapter, "unreadable", reason, time.perf_counter() - start, score, max_score)
        scratch = _scratch_for(template, course_root, chapter, student, tmp / "course")
        with _MERGE_LOCK:
            before = tree_state(course_root)
        args = ["autograde", chapter, "--student", student, "--force",
                f"--CourseExecute.timeout={limits.cell_timeout_s}"]
        code, _ = _run_limited(args, scratch, limits, tmp / "nbgrader.log")
        with _MERGE_LOCK:
            changed = tree_changes(before, tree_state(course_root), _WRITTEN.get(course_root))
        graded = notebook_path(scratch, "autograded", chapter, student)
        if code == 0 and graded.is_file():
            grades, comments, timestamp = _scores(scratch / "gradebook.db", chapter, student)
            score, max_score = _record(course_root, chapter, student, grades, comments, timestamp)
            dest = graded.parent.relative_to(scratch)
            with _MERGE_LOCK:
                if (course_root / dest).exists():
                    shutil.rmtree(course_root / dest)
                shutil.copytree(graded.parent, course_root / dest)
                _note_written(course_root, [course_root / dest])
            return Outcome(student, chapter, "graded", "", time.perf_counter() - start, score, max_score, changed)
        if code is None:
            status, why = "timed out", f"grading took longer than {limits.wall_s:g} s"
        else:
            log = (tmp / "nbgrader.log").read_text(errors="replace").strip().splitlines()
            errors = [line for line in log if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)]
            status, why = "failed", f"nbgrader exited with {code}: {(errors or log or [''])[-1][:300]}"
        score, max_score = _record(course_root, chapter, student, None, None)
        _placeholder(course_root, chapter, student, why)
        return Outcome(student, chapter, status, why, time.perf_counter() - start, score, max_score, changed)


def students_of(course_root: Path, chapter: str) -> list[str]:
    """Every student with a ``submitted/<student>/<chapter>/`` folder, sorted."""
    return sorted(p.parent.name for p in (Path(course_root) / "submitted").glob(f"*/{chapter}") if p.is_dir())


def autograde_class(course_root: Path, chapter: str, students: list[str] | None = None,
                    limits: Limits = Limits(), jobs: int = 1, echo=None) -> list[Outcome]:
    """Grade every submission of ``chapter`` (or the ``students`` named), ``jobs`` at a time.

    ``echo`` (e.g. ``print``) receives each outcome's line as it finishes.
    """
    return autograde_course(course_root, {chapter: students}, limits, jobs, echo)


def autograde_course(course_root: Path, classes: dict[str, list[str] | None], limits: Limits = Limits(),
                     jobs: int = 1, echo=None) -> list[Outcome]:
    """Grade several chapters' submissions in one pool of ``jobs`` workers.

    ``classes`` maps each chapter to the students to grade (``None``: every student who handed it
    in). Pooling the whole course keeps every worker busy; a pool per chapter would leave workers
    idle at the end of each chapter's class. Outcomes come back in ``classes`` order.
    """
    course_root = Path(course_root).resolve()
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1; got {jobs}")
    work = [(chapter, student) for chapter, students in classes.items()
            for student in (students_of(course_root, chapter) if students is None else list(students))]
    with tempfile.TemporaryDirectory(prefix="grade-templates-") as tmp:
        templates = {chapter: make_template(course_root, chapter, Path(tmp) / chapter) for chapter in classes}

        def one(item: tuple[str, str]) -> Outcome:
            chapter, student = item
            try:
                outcome = grade_submission(course_root, chapter, student, limits, templates[chapter])
            except Exception as error:  # noqa: BLE001  (one submission must never stop the class)
                outcome = Outcome(student, chapter, "failed", f"{type(error).__name__}: {error}")
            if echo is not None:
                echo(outcome.line())
            return outcome

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(one, work))
