"""nbgrader preprocessors the course adds to nbgrader's own."""

from __future__ import annotations

import ast
import secrets
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode

NOTE = ("The failing check is a hidden test; its code is not shown. "
        "The message above says what it found.")


class HideHiddenTestTracebacks(NbGraderPreprocessor):
    """Replace the traceback of an error raised in a cell that holds hidden tests.

    nbgrader's ClearHiddenTests removes hidden lines from a cell's *source*, but an IPython
    traceback quotes the failing line and the lines around it, so a failed hidden assert would
    still show its code in the feedback. For cells with a hidden region, each error output keeps
    only its exception type and message.
    """

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict,
                        cell_index: int) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type == "code" and self.begin_test_delimeter in cell.source:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}", NOTE]
        return cell, resources


# ----------------------------------------------------------------------------------------------------
# Autograde: sanitising a submission, executing it with limits, and guarding the test cells.

GUARD_KEY = "grading_guard"  # resources key and cell-metadata key of the guard's bookkeeping


def _nbgrader_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader") or {}


class RestoreLockedCells(NbGraderPreprocessor):
    """Give every cell the nbgrader flags it was released with, and put back deleted locked cells.

    Runs before nbgrader's OverwriteCells (which then restores the *source* of every locked cell). A
    submission may have changed a test cell's metadata (``grade: false``, ``solution: true``,
    ``locked: false``, other points) or deleted locked cells (tests, setup, text); nbgrader restores
    only some of this. Here each cell whose ``grade_id`` the gradebook knows gets the released flags
    and points back, and each locked or graded cell missing from the submission is inserted again
    after the nearest released cell that precedes it. A deleted *answer* cell is not restored: the
    exercise it answers then fails its tests.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])
            order = [c.name for c in source.source_cells]
            released = {c.name: {"cell_type": c.cell_type, "locked": bool(c.locked), "source": c.source,
                                 "checksum": c.checksum} for c in source.source_cells}
            points = {c.name: float(c.max_score) for c in source.grade_cells}
            solutions = {c.name for c in source.solution_cells}
            tasks = {c.name for c in source.task_cells}

        present: dict[str, int] = {}
        for index, cell in enumerate(nb.cells):
            grade_id = _nbgrader_meta(cell).get("grade_id")
            if grade_id not in released:
                continue
            meta = cell.metadata["nbgrader"]
            meta["grade"] = grade_id in points
            meta["solution"] = grade_id in solutions
            meta["task"] = grade_id in tasks
            meta["locked"] = released[grade_id]["locked"]
            if grade_id in points:
                meta["points"] = points[grade_id]
            else:
                meta.pop("points", None)
            present[grade_id] = index

        restored = 0
        for position, grade_id in enumerate(order):
            cell_info = released[grade_id]
            if grade_id in present or not (cell_info["locked"] or grade_id in points):
                continue
            before = [present[g] for g in order[:position] if g in present]
            where = max(before) + 1 if before else 0
            cell = self._make_cell(grade_id, cell_info, points.get(grade_id), grade_id in solutions,
                                   grade_id in tasks)
            nb.cells.insert(where, cell)
            present = {g: i + (1 if i >= where else 0) for g, i in present.items()}
            present[grade_id] = where
            restored += 1
            self.log.warning("Cell %s was missing from the submission; restored from the release", grade_id)
        if restored:
            resources.setdefault(GUARD_KEY, {})["restored_cells"] = restored
        return nb, resources

    @staticmethod
    def _make_cell(grade_id: str, info: dict, points: float | None, solution: bool,
                   task: bool) -> NotebookNode:
        from nbformat.v4 import new_code_cell, new_markdown_cell

        make = new_code_cell if info["cell_type"] == "code" else new_markdown_cell
        meta = {"grade": points is not None, "grade_id": grade_id, "locked": info["locked"],
                "solution": solution, "task": task, "schema_version": 3, "checksum": info["checksum"]}
        if points is not None:
            meta["points"] = points
        return make(source=info["source"], metadata={"nbgrader": meta})


class CourseExecute(Execute):
    """nbgrader's Execute with two more limits: output size per cell, and a kernel that dies.

    * Each cell keeps at most ``max_output_bytes`` of output as it arrives (then one note), so a
      submission that prints hundreds of MB cannot exhaust the grader's memory or bloat the
      gradebook and feedback. Error outputs are always kept (they decide the grade), shortened to
      ``max_error_chars`` per string.
    * When the kernel dies (``os._exit``, a segfault, the memory limit), the cell that killed it and
      every later code cell get an error output instead of stopping the whole notebook: the cells
      graded before the crash keep their points, the rest score zero.
    """

    max_output_bytes = Integer(1_000_000, help="output kept per cell, in characters").tag(config=True)
    max_error_chars = Integer(20_000, help="characters kept of an error's message and each traceback line"
                              ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._output_sizes: dict[int, int] = {}
        self._dead: str | None = None
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._dead is not None:
            cell.outputs = [_error_output("KernelDied", f"not run: the kernel died in an earlier cell ({self._dead})")]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError as error:
            self._dead = f"cell {index}"
            cell = self.nb.cells[index]
            cell.outputs = list(cell.get("outputs", [])) + [
                _error_output("KernelDied", f"the kernel died while running this cell ({error})")]
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                cap = self.max_error_chars
                output["evalue"] = _shorten(str(output.get("evalue", "")), cap)
                output["traceback"] = [_shorten(str(line), cap) for line in output.get("traceback", [])]
        return cell, resources

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "error":
            return super().output(outs, msg, display_id, cell_index)
        used = self._output_sizes.get(cell_index, 0)
        if used > self.max_output_bytes:
            return None  # already truncated
        content = msg["content"]
        size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        if used + size <= self.max_output_bytes:
            self._output_sizes[cell_index] = used + size
            return super().output(outs, msg, display_id, cell_index)
        self._output_sizes[cell_index] = self.max_output_bytes + 1
        room = self.max_output_bytes - used
        if msg["msg_type"] == "stream" and room > 0:
            content["text"] = content["text"][:room]
            super().output(outs, msg, display_id, cell_index)
        note = NotebookNode(output_type="stream", name="stdout",
                            text=f"\n... output truncated by the grader: more than {self.max_output_bytes} "
                                 "characters ...\n")
        outs.append(note)
        return note


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _shorten(text: str, cap: int) -> str:
    return text if len(text) <= cap else text[:cap] + f" ... [{len(text) - cap} characters cut by the grader]"


def _imports(source: str) -> dict[str, tuple[str, str | None]]:
    """``{name: (module, attribute or None)}`` for the top-level imports of a cell's code."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return {}
    out: dict[str, tuple[str, str | None]] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = (alias.name, None)
                else:
                    top = alias.name.split(".")[0]
                    out[top] = (top, None)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    out[alias.asname or alias.name] = (node.module, alias.name)
    return out


def _token() -> str:
    return f"grader-token-{secrets.token_hex(16)}"


class GuardTestCells(NbGraderPreprocessor):
    """Add the grader's guard around the autograded test cells (removed again by CheckGuard).

    Inserts a first cell that installs the kernel-side guard (``grading/kernel_guard.py``), and a
    cell before every autograded test cell that restores what a submission may have replaced (module
    functions, the names the locked cells imported, IPython's hooks) and checks that comparisons
    still fail on unequal values. Each test cell also gets a last line that prints a random token;
    CheckGuard gives no points to a test cell whose token, or whose guard cell's token, is missing.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        aliases: dict[str, tuple[str, str | None]] = {}
        for cell in nb.cells:
            meta = _nbgrader_meta(cell)
            if cell.cell_type == "code" and meta.get("locked") and not meta.get("solution"):
                aliases.update(_imports(cell.source))
        modules = sorted({module for module, _ in aliases.values()})
        guard_source = (Path(__file__).with_name("kernel_guard.py").read_text()
                        + f"\n_grader_guard_install({modules!r})\ndel _grader_guard_install\n")
        cells = [_guard_cell(guard_source, {"role": "install", "token": None})]
        tests = {}
        for cell in nb.cells:
            meta = _nbgrader_meta(cell)
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                check_token, test_token = _token(), _token()
                cells.append(_guard_cell(f"__grader_guard__(globals(), {aliases!r}, {check_token!r})",
                                         {"role": "check", "token": check_token}))
                tests[meta["grade_id"]] = {"source": cell.source, "token": test_token, "check": check_token}
                cell.source = _with_last_line(cell.source, f"print({test_token!r})")
            cells.append(cell)
        nb.cells = cells
        resources[GUARD_KEY] = {**resources.get(GUARD_KEY, {}), "tests": tests}
        return nb, resources


def _guard_cell(source: str, info: dict) -> NotebookNode:
    from nbformat.v4 import new_code_cell

    return new_code_cell(source=source, metadata={GUARD_KEY: info})


def _with_last_line(source: str, line: str) -> str:
    """``source`` with ``line`` run at its end, or just before a final bare expression (so the
    expression's displayed value, which nbgrader may read as partial credit, stays last)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source + "\n" + line
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        lines = source.splitlines()
        start = tree.body[-1].lineno - 1
        return "\n".join(lines[:start] + [line] + lines[start:])
    return source + "\n" + line


class CheckGuard(NbGraderPreprocessor):
    """After execution: remove the guard's cells and lines, and zero a test cell that was tampered with.

    A test cell without an error earns its points only if its guard cell ran cleanly (printed its
    token) and the cell itself printed its token, i.e. it ran to its end with the grader's stdout.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        tests = resources.get(GUARD_KEY, {}).get("tests", {})
        checks: dict[str, NotebookNode] = {}
        kept = []
        for cell in nb.cells:
            info = cell.get("metadata", {}).get(GUARD_KEY)
            if info is not None:
                if info.get("token"):
                    checks[info["token"]] = cell
                continue
            kept.append(cell)
        nb.cells = kept
        for cell in nb.cells:
            grade_id = _nbgrader_meta(cell).get("grade_id")
            if cell.cell_type != "code" or grade_id not in tests:
                continue
            test = tests[grade_id]
            cell.source = test["source"]
            printed = _strip_token(cell, test["token"])
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                continue
            check = checks.get(test["check"])
            problem = self._check_problem(check, test["check"])
            if problem is None and not printed:
                problem = ("this test cell did not run to its end under the grader (its code was changed or "
                           "skipped, or its output hidden), so it earns no points")
            if problem is not None:
                cell.outputs = list(cell.get("outputs", [])) + [_error_output("GraderGuardError", problem)]
        return nb, resources

    @staticmethod
    def _check_problem(check: NotebookNode | None, token: str) -> str | None:
        if check is None:
            return "the grader's check before this test cell is missing"
        for output in check.get("outputs", []):
            if output.get("output_type") == "error":
                return f"the grader's check before this test cell failed: {output.get('evalue', '')}"
        if not any(token in o.get("text", "") for o in check.get("outputs", []) if o.get("output_type") == "stream"):
            return "the grader's check before this test cell did not run (the kernel was modified)"
        return None


def _strip_token(cell: NotebookNode, token: str) -> bool:
    """Remove ``token`` from the cell's outputs (its line in stdout; the lines of a traceback that
    quote the line printing it); whether stdout had it."""
    found = False
    outputs = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and token in output.get("text", ""):
            found = found or output.get("name") == "stdout"
            output["text"] = output["text"].replace(token + "\n", "").replace(token, "")
            if not output["text"]:
                continue
        if output.get("output_type") == "error":
            output["traceback"] = ["\n".join(line for line in entry.split("\n") if token not in line)
                                   for entry in output.get("traceback", [])]
        outputs.append(output)
    cell.outputs = outputs
    return found
