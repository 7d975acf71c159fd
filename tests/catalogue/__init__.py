"""The catalogue of wrong implementations: one module per chapter, named after it.

Each module defines ``MISTAKES``, a list of :class:`Mistake`. A mistake is a small patch of one
solution cell that reproduces something learners really do, and the test cells it must lose points
in. tests/test_autograde.py grades each one through nbgrader and checks that it loses every point
of exactly those cells and keeps every other point.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    name: str                            # short id, used as the nbgrader student id
    cell: str                            # grade_id of the solution cell to patch
    patches: tuple[tuple[str, str], ...]  # (text in the solution, what the learner wrote instead)
    loses: tuple[str, ...]               # grade_ids of the test cells that must score zero
    why: str                             # the mistake in a learner's words


def load(chapter: str) -> list[Mistake]:
    try:
        module = importlib.import_module(f"tests.catalogue.{chapter}")
    except ModuleNotFoundError:
        return []
    return list(module.MISTAKES)
