"""Hostile and broken submissions, graded as one class through the instructor's pipeline (chapter 0).

The grading machinery is the same for every chapter, so (spec section 9) these cases run on
chapter 0 only. One class holds an honest learner and one submission per case (snooping, a 300 MB
print and a memory bomb share the "noisy" submission, each in a cell of its own); it is graded by
``grading.sandbox.autograde_class`` (each submission in its own process and scratch course, with
time, memory and output limits), then feedback and the grades export run as an instructor would.
For each case the test states the grade it must get; none may earn a point it did not earn, the
class run must finish, and nothing in the course tree may change except the grader's own outputs.

Chapter 0's autograded cells: check_q1..check_q4 (1 point each, multiple choice), bce_values and
bce_stable (2 points each, the bce_with_logits build-it); free_density (3 points) is graded by hand.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grading.course import autograded_scores, fill_release, nbgrader_cells, notebook_path
from grading.sandbox import Limits, autograde_class, grade_submission, tree_changes, tree_state
from tests.conftest import CHAPTERS, read_nb
from tests.classroom import hidden_lines, leaked, visible_text

CHAPTER = "ch00_adversarial_idea"
pytestmark = pytest.mark.skipif(CHAPTER not in CHAPTERS, reason=f"{CHAPTER} is not among COURSE_TEST_CHAPTERS")

QUESTIONS = ("check_q1", "check_q2", "check_q3", "check_q4")
BCE = ("bce_values", "bce_stable")
ALL = QUESTIONS + BCE
# A limit per cell short enough to keep the test quick, long enough for chapter 0's slowest cell in
# fast mode on a busy 2-core machine (a few seconds).
LIMITS = Limits(cell_timeout_s=20, wall_s=400, memory_mb=8192)
STUBBORN_LIMITS = Limits(cell_timeout_s=3, wall_s=25, memory_mb=8192)


# ----------------------------------------------------------------------------------------------------
# The submissions


def cells(nb) -> dict:
    return nbgrader_cells(nb)


def wrong(nb, *questions: str):
    """Answer the multiple-choice questions wrongly ("a" is never the right letter in chapter 0)."""
    for q in questions:
        cells(nb)[f"answer_{q}"].source = f'answer_{q} = "a"'
    return nb


# A bce_with_logits that fails every test: the sum instead of the mean, and unstable.
WRONG_BCE = ("def bce_with_logits(logits, targets):\n"
             "    p = torch.sigmoid(logits)\n"
             "    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).sum()\n")


def wrong_bce(nb):
    cells(nb)["bce_solution"].source = WRONG_BCE
    return nb


def playground(nb):
    """The chapter's free code cell (no nbgrader metadata): a learner may put anything there."""
    return next(c for c in nb.cells if c.cell_type == "code" and "nbgrader" not in c.metadata)


MONKEYPATCH = '''
import builtins, inspect, numpy, torch, torch.nn.functional
import gan_helpers.checks as _checks

def _ok(*args, **kwargs):
    return None

class _Always(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__

for _name in ("check_close", "check_scalar", "check_finite", "check_dtype", "check_grad_close",
              "check_number_close", "check_shape", "check_tensor"):
    setattr(_checks, _name, _ok)
    globals()[_name] = _ok
_checks.require_answer.__code__ = (lambda answer, name, options: type(
    "Always", (str,), {"__eq__": lambda s, o: True, "__hash__": str.__hash__})("b")).__code__
require_answer = lambda *args, **kwargs: _Always("b")
passed = lambda *args, **kwargs: 2.0           # a number shown as the cell's value reads as partial credit
torch.allclose = lambda *args, **kwargs: True
torch.isclose = lambda a, b, *args, **kwargs: torch.ones_like(torch.as_tensor(a), dtype=torch.bool)
numpy.allclose = lambda *args, **kwargs: True
torch.nn.functional.binary_cross_entropy_with_logits = lambda a, y, **kw: bce_with_logits(a, y)
inspect.getsource = lambda obj: ""             # hides what the learner's function calls
'''

IPYTHON_HOOKS = '''
_ip = get_ipython()
# every later cell that mentions a check runs as `pass`; every error is swallowed
_ip.input_transformers_cleanup.append(
    lambda lines: ["pass\\n"] if any(w in "".join(lines) for w in ("check", "assert", "grader")) else lines)
_ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)
'''

SNOOP = '''
import glob, os
here = os.getcwd()
up = [os.path.abspath(os.path.join(here, *[".."] * n)) for n in range(1, 4)]   # up to the course root
found = {
    "solutions": [p for d in up for p in glob.glob(os.path.join(d, "solutions", "**", "*.ipynb"), recursive=True)],
    "students": sorted({os.path.basename(p) for d in up for p in glob.glob(os.path.join(d, "submitted", "*"))}),
    "autograded": sorted({os.path.basename(p) for d in up for p in glob.glob(os.path.join(d, "autograded", "*"))}),
}
print("SNOOP " + json.dumps(found))
for d in up + [os.path.dirname(up[-1])]:
    with open(os.path.join(d, "HACKED.txt"), "w") as f:      # outside its folder, inside the scratch copy
        f.write("was here")
'''

STUBBORN_LOOP = '''
while True:
    try:
        while True:
            pass
    except KeyboardInterrupt:
        pass
'''


def submissions(release, solution, course: Path) -> dict[str, object]:
    """``{student: notebook, or bytes to write as the file, or None for no file}``."""
    honest = lambda: fill_release(release, solution)  # noqa: E731
    out: dict[str, object] = {"honest": honest()}

    nb = honest()  # an infinite loop inside the learner's function: its two test cells time out
    cells(nb)["bce_solution"].source = cells(nb)["bce_solution"].source.replace(
        "    ### BEGIN SOLUTION", "    while True:\n        pass\n    ### BEGIN SOLUTION")
    out["infinite-loop"] = nb

    nb = honest()  # the kernel exits in the middle (answer 3 is set, then os._exit)
    cells(nb)["answer_q3"].source += "\nimport os\nos._exit(1)"
    out["kernel-exit"] = nb

    nb = honest()  # a segfault right after a correct bce_with_logits
    cells(nb)["bce_solution"].source += "\nimport ctypes\nctypes.string_at(0)"
    out["segfault"] = nb

    nb = wrong(honest(), "q1", "q2", "q3")  # wrong answers hidden by tampering with the test cells
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "check_q1"]  # deleted
    cells(nb)["check_q2"].source = 'print("all good")'                                                  # edited
    meta = cells(nb)["check_q3"].metadata["nbgrader"]                                                  # metadata
    meta.update(grade=False, solution=True, locked=False, points=100)
    cells(nb)["check_q3"].source = "pass"
    q4 = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "check_q4"][0]
    nb.cells.insert(q4 - 1, nb.cells.pop(q4))          # reordered: check_q4 now runs before answer_q4
    out["tampered-cells"] = nb

    out["not-json"] = b'{"cells": [ this is not JSON'
    out["empty"] = b""
    out["missing"] = None
    raw = json.loads(nbformat.writes(honest()))
    raw["nbformat"] = 99
    out["nbformat-99"] = json.dumps(raw).encode()
    out["nbformat-3"] = nbformat.writes(nbformat.convert(honest(), 3), version=3).encode()

    nb = wrong_bce(wrong(honest(), "q1", "q2", "q3", "q4"))
    cells(nb)["answer_q1"].source += "\n" + MONKEYPATCH
    out["monkeypatch"] = nb

    nb = wrong_bce(wrong(honest(), "q1", "q2", "q3", "q4"))
    cells(nb)["answer_q1"].source += "\n" + IPYTHON_HOOKS
    out["ipython-hooks"] = nb

    # one learner who snoops around, prints 300 MB and allocates without end, each in a cell of its
    # own after the playground (learners may add cells); every exercise answered correctly
    nb = honest()
    at = nb.cells.index(playground(nb)) + 1
    nb.cells[at:at] = [nbformat.v4.new_code_cell(source) for source in (
        "import json\n" + SNOOP,
        'for _ in range(300):\n    print("x" * (2**20 - 1))',
        "hog = [torch.empty(2**28) for _ in range(10**6)]  # 1 GiB of address space each, until the limit",
    )]
    out["noisy"] = nb

    nb = honest()  # writes into the real course by its absolute path: detected, reported
    target = course / "submitted" / "honest" / CHAPTER / "planted.txt"
    playground(nb).source = f"open({str(target)!r}, 'w').write('planted by another student')"
    out["writes-course"] = nb

    nb = honest()
    cells(nb)["answer_q3"].source += "\n" + STUBBORN_LOOP
    out["stubborn-loop"] = nb
    return out


# Every autograded cell's expected score for each case, and why.
FULL = {c: (1.0 if c in QUESTIONS else 2.0) for c in ALL}


def expect(zero: tuple[str, ...] = ()) -> dict[str, float]:
    return {c: 0.0 if c in zero else v for c, v in FULL.items()}


EXPECTED = {
    "honest": expect(),
    "infinite-loop": expect(zero=BCE),                                    # both bce tests time out
    "kernel-exit": expect(zero=("check_q3", "check_q4") + BCE),           # cells from the crash on
    "segfault": expect(zero=BCE),
    "tampered-cells": expect(zero=QUESTIONS),  # tests restored, so wrong answers fail; check_q4 runs first
    "not-json": expect(zero=ALL),
    "empty": expect(zero=ALL),
    "missing": expect(zero=ALL),
    "nbformat-99": expect(zero=ALL),
    "nbformat-3": expect(),                    # an older format nbformat converts: graded like any other
    "monkeypatch": expect(zero=ALL),
    "ipython-hooks": expect(zero=ALL),
    "noisy": expect(),                         # snooping, 300 MB printed, a memory bomb: nothing lost
    "writes-course": expect(),
    "stubborn-loop": expect(zero=ALL),         # ignores interrupts: killed at the wall-clock limit
}
# The loop that ignores interrupts is killed at the wall-clock limit ("timed out"), unless nbgrader
# gives up on the unresponsive kernel first ("failed"); zero either way.
STATUS = {"not-json": {"unreadable"}, "empty": {"unreadable"}, "missing": {"unreadable"},
          "nbformat-99": {"unreadable"}, "stubborn-loop": {"timed out", "failed"}}


# ----------------------------------------------------------------------------------------------------
# The class, graded once


@pytest.fixture(scope="module")
def hostile(scratch_course, root, tmp_path_factory):
    course = tmp_path_factory.mktemp("hostile")
    shutil.copy(scratch_course / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copy(scratch_course / "gradebook.db", course / "gradebook.db")
    shutil.copytree(scratch_course / "notebooks" / CHAPTER, course / "notebooks" / CHAPTER)
    release = read_nb(notebook_path(course, "notebooks", CHAPTER))
    solution = read_nb(notebook_path(scratch_course, "solutions", CHAPTER))
    subs = submissions(release, solution, course)
    assert set(subs) == set(EXPECTED)
    for student, content in subs.items():
        path = notebook_path(course, "submitted", CHAPTER, student)
        path.parent.mkdir(parents=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            nbformat.write(content, path)
    before = tree_state(course)
    # two at a time; then, alone (so a change to the course tree is pinned on the right submission),
    # the one that writes into the course and the one that ignores interrupts (other limits)
    alone = ("writes-course", "stubborn-loop")
    class_students = sorted(s for s in subs if s not in alone)
    outcomes = {o.student: o for o in autograde_class(course, CHAPTER, class_students, LIMITS, jobs=2)}
    outcomes["writes-course"] = grade_submission(course, CHAPTER, "writes-course", LIMITS)
    outcomes["stubborn-loop"] = grade_submission(course, CHAPTER, "stubborn-loop", STUBBORN_LIMITS)
    after_grading = tree_state(course)
    for command in ("feedback", "grades"):
        subprocess.run([sys.executable, "-m", "grading", "--course-root", str(course), command],
                       check=True, cwd=root, capture_output=True, stdin=subprocess.DEVNULL)
    scores = {s: {c: v[0] for c, v in autograded_scores(course, CHAPTER, s).items()} for s in subs}
    return {"course": course, "outcomes": outcomes, "scores": scores, "before": before,
            "after_grading": after_grading}


def autograded(hostile, student):
    return read_nb(notebook_path(hostile["course"], "autograded", CHAPTER, student))


def outputs_text(nb, kinds=("stream",)) -> str:
    return "\n".join(o.get("text", "") + o.get("evalue", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.output_type in kinds)


# ----------------------------------------------------------------------------------------------------
# Grades


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_case_gets_its_grade(hostile, student):
    outcome = hostile["outcomes"][student]
    assert outcome.status in STATUS.get(student, {"graded"}), outcome.line()
    got = hostile["scores"][student]
    want = EXPECTED[student]
    assert set(got) == set(want), f"{student}: graded cells {sorted(got)}; expected {sorted(want)}"
    wrong_cells = {c: (got[c], want[c]) for c in want if abs(got[c] - want[c]) > 1e-9}
    assert not wrong_cells, f"{student}: (got, expected) per cell {wrong_cells}; {outcome.line()}"


def test_no_case_earns_more_than_the_honest_learner_with_the_same_answers(hostile):
    """A cross-check that does not rely on EXPECTED: no hostile submission beats the honest one,
    and every submission that carries wrong answers (monkeypatch, IPython hooks, tampered cells)
    scores zero on the questions it got wrong."""
    honest = hostile["scores"]["honest"]
    for student, scores in hostile["scores"].items():
        extra = {c: v for c, v in scores.items() if v > honest[c] + 1e-9}
        assert not extra, f"{student} earns more than the honest learner in {extra}"
    for student in ("monkeypatch", "ipython-hooks"):
        earned = {c: v for c, v in hostile["scores"][student].items() if v > 0}
        assert not earned, f"{student} has every answer wrong yet earns {earned}"


def test_the_class_run_finishes_and_lists_every_student_in_grades_csv(hostile):
    with open(hostile["course"] / "grades.csv", newline="") as f:
        rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f) if r["assignment"] == CHAPTER}
    assert set(rows) == set(EXPECTED), f"grades.csv lists {sorted(rows)}"
    for student, want in EXPECTED.items():
        assert abs(rows[student] - sum(want.values())) < 1e-9, f"grades.csv gives {student} {rows[student]}"


# ----------------------------------------------------------------------------------------------------
# What each case shows in its autograded notebook


def test_infinite_loop_is_interrupted_at_the_cell_timeout(hostile):
    nb = autograded(hostile, "infinite-loop")
    errors = {cells(nb)[c].outputs[-1].ename for c in BCE}
    assert errors <= {"KeyboardInterrupt", "CellTimeoutError"}, f"bce test cells ended with {errors}"
    assert hostile["outcomes"]["infinite-loop"].seconds < LIMITS.wall_s


@pytest.mark.parametrize("student", ["kernel-exit", "segfault"])
def test_a_kernel_crash_zeroes_the_cells_from_the_crash_on(hostile, student):
    nb = autograded(hostile, student)
    first_dead = "check_q3" if student == "kernel-exit" else "bce_values"
    assert any(o.output_type == "error" and o.ename == "KernelDied" for o in cells(nb)[first_dead].outputs)


def test_tampered_test_cells_are_restored_from_the_release(hostile, scratch_course):
    """Deleted, edited and re-flagged test cells are back as released (with their hidden tests,
    which nbgrader puts back into every test cell it grades)."""
    released = cells(read_nb(notebook_path(scratch_course, "solutions", CHAPTER)))
    nb = cells(autograded(hostile, "tampered-cells"))
    for grade_id in QUESTIONS:
        assert grade_id in nb, f"{grade_id} is missing from the autograded notebook"
        assert nb[grade_id].source == released[grade_id].source, f"{grade_id} was not restored"
        meta = nb[grade_id].metadata["nbgrader"]
        assert meta["grade"] and not meta["solution"] and meta["locked"], f"{grade_id} flags: {meta}"
        assert abs(float(meta["points"]) - 1.0) < 1e-9, f"{grade_id} points: {meta['points']}"


@pytest.mark.parametrize("student", ["not-json", "empty", "missing", "nbformat-99"])
def test_unreadable_submission_gets_a_placeholder_saying_why(hostile, student):
    nb = autograded(hostile, student)
    note = nb.cells[0].source
    assert "could not be graded" in note, note
    reason = {"not-json": "not valid JSON", "empty": "is empty", "missing": "no ch00",
              "nbformat-99": "not a notebook"}[student]
    assert reason in note, f"expected {reason!r} in the note: {note}"


@pytest.mark.parametrize("student", ["monkeypatch", "ipython-hooks"])
def test_tampering_with_the_kernel_is_caught_by_the_guard(hostile, student):
    nb = autograded(hostile, student)
    text = outputs_text(nb, kinds=("error",))
    for grade_id in ALL:
        outs = cells(nb)[grade_id].outputs
        assert any(o.output_type == "error" for o in outs), f"{student}: {grade_id} has no error output"
    assert "grader-token" not in json.dumps(nb), "guard tokens must not stay in the autograded notebook"
    if student == "ipython-hooks":
        assert "GraderGuardError" in "\n".join(o.ename for c in nb.cells if c.cell_type == "code"
                                                for o in c.get("outputs", []) if o.output_type == "error"), text


def test_the_guard_leaves_no_trace_in_an_honest_notebook(hostile, scratch_course):
    release = read_nb(notebook_path(scratch_course, "notebooks", CHAPTER))
    nb = autograded(hostile, "honest")
    assert len(nb.cells) == len(release.cells), "guard cells were left in the autograded notebook"
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "__grader_guard__" not in code and "grader-token" not in code
    assert "grader-token" not in outputs_text(nb)


def test_snooping_finds_no_solutions_and_no_other_student(hostile):
    text = outputs_text(autograded(hostile, "noisy"))
    match = re.search(r"SNOOP (\{.*\})", text)
    assert match, f"the snooping cell printed nothing: {text[:500]}"
    found = json.loads(match.group(1))
    assert found["solutions"] == [], f"solutions reachable from the kernel: {found['solutions']}"
    assert found["students"] == ["noisy"], f"submissions visible to the kernel: {found['students']}"
    assert set(found["autograded"]) <= {"noisy"}, f"graded work visible to the kernel: {found['autograded']}"


def test_nothing_outside_the_scratch_copy_changes(hostile):
    """Only the grader's own outputs change, except where a submission wrote by absolute path:
    that one is detected and reported against the submission that did it."""
    changed = tree_changes(hostile["before"], hostile["after_grading"])
    unexpected = [p for p in changed if not (p == "gradebook.db" or p.startswith("autograded/"))]
    planted = f"submitted/honest/{CHAPTER}/planted.txt"
    assert unexpected == [planted], f"the course tree changed outside the grader's outputs: {unexpected}"
    for student, outcome in hostile["outcomes"].items():
        want = [planted] if student == "writes-course" else []
        assert outcome.changed == want, f"{student}: reported changes {outcome.changed}; expected {want}"
    assert not list(hostile["course"].rglob("HACKED.txt")), "a write outside the submission's folder landed"


def test_huge_output_is_capped(hostile):
    path = notebook_path(hostile["course"], "autograded", CHAPTER, "noisy")
    size = path.stat().st_size
    assert size < 5 * 2**20, f"the autograded notebook is {size / 2**20:.1f} MiB; output was not capped"
    assert "output truncated by the grader" in outputs_text(autograded(hostile, "noisy"))


def test_memory_bomb_stops_at_the_limit(hostile):
    text = outputs_text(autograded(hostile, "noisy"), kinds=("error",))
    assert re.search(r"can't allocate memory|MemoryError|out of memory", text, re.I), (
        f"expected an allocation failure from the memory limit; got: {text[:500]}")


def test_feedback_never_shows_hidden_tests_even_for_broken_submissions(hostile, root):
    lines = hidden_lines(root, CHAPTER)
    files = sorted((hostile["course"] / "feedback").glob(f"*/{CHAPTER}/*.html"))
    assert {p.parent.parent.name for p in files} == set(EXPECTED), "every student needs a feedback file"
    for path in files:
        text = visible_text(path.read_text())
        found = leaked(lines, text)
        assert not found, f"{path.parent.parent.name}'s feedback shows hidden test lines: {found[:3]}"
        assert "grader-token" not in text and "__grader_guard__" not in text


# ----------------------------------------------------------------------------------------------------
# Small pieces, no grading


def test_limits_reject_nonsense():
    with pytest.raises(ValueError, match="timeouts must be positive"):
        Limits(cell_timeout_s=0)
    with pytest.raises(ValueError, match="too small to import torch"):
        Limits(memory_mb=100)


def test_autograde_class_rejects_zero_jobs(tmp_path):
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        autograde_class(tmp_path, CHAPTER, [], jobs=0)


def test_template_needs_a_release(tmp_path):
    with pytest.raises(FileNotFoundError, match="run `make release` first"):
        grade_submission(tmp_path, CHAPTER, "someone")


def test_without_the_guard_the_tampering_would_earn_the_points(scratch_course):
    """The guard is needed: in a plain kernel (no guard) the same monkeypatching and IPython hooks
    make the hidden tests of wrong answers pass. Scored with nbgrader's rule (a test cell earns its
    points unless it shows an error)."""
    from nbclient import NotebookClient

    solution = cells(read_nb(notebook_path(scratch_course, "solutions", CHAPTER)))
    new = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        new(solution["setup"].source),
        new('answer_q1 = "a"\n' + MONKEYPATCH),
        new(solution["check_q1"].source),                       # with its hidden tests
        new(WRONG_BCE),
        new(solution["bce_values"].source),
        new(IPYTHON_HOOKS),
        new('assert False, "this check fails"'),
    ])
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(scratch_course)}}).execute()
    errors = {i: [o.ename for o in c.outputs if o.output_type == "error"] for i, c in enumerate(nb.cells)}
    assert errors[3] == [], f"the wrong bce_with_logits cell itself should run: {errors}"
    for index, what in ((2, "check_q1 with a wrong answer"), (4, "bce_values with a wrong bce_with_logits"),
                        (6, "a failing assert after the IPython hooks")):
        assert errors[index] == [], f"without the guard, {what} was expected to pass (the attack works); got {errors[index]}"


@pytest.mark.parametrize("args,message", [
    (["--student", "nobody"], r"no submission for \['nobody'\]"),
    (["--jobs", "0"], "--jobs must be >= 1"),
    (["--cell-timeout", "0"], "timeouts must be positive"),
    (["--memory-mb", "10"], "too small to import torch"),
    (["ch99_nothing"], r"unknown chapter\(s\) \['ch99_nothing'\]"),
])
def test_autograde_command_rejects_bad_arguments(tmp_path, root, args, message):
    shutil.copytree(root / "notebooks" / CHAPTER, tmp_path / "notebooks" / CHAPTER)
    (tmp_path / "submitted" / "someone" / CHAPTER).mkdir(parents=True)
    chapter = [] if any(a.startswith("ch") for a in args) else [CHAPTER]
    done = subprocess.run([sys.executable, "-m", "grading", "--course-root", str(tmp_path), "autograde",
                           *chapter, *args], cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stdout + done.stderr
    assert re.search(message, done.stderr), done.stderr
