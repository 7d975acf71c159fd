"""nbgrader preprocessors the course adds to nbgrader's own."""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

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
