"""Instructor commands: ``python -m grading {release,autograde,feedback,grades} [chapter ...]``.

release    regenerate notebooks/ from solutions/ (all chapters unless some are named)
autograde  grade every submission under submitted/<student>/<chapter>/ (fast mode, one kernel each)
feedback   write feedback/<student>/<chapter>/<chapter>.html (hidden tests never shown)
grades     write grades.csv with every student's score per chapter
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grading.course import ROOT, chapters, run_nbgrader


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course-root", type=Path, default=ROOT,
                        help="the nbgrader course directory (default: this repository)")
    parser.add_argument("command", choices=["release", "autograde", "feedback", "grades"])
    parser.add_argument("chapters", nargs="*", help="chapter ids, e.g. ch00_adversarial_idea (default: all)")
    args = parser.parse_args(argv)
    root = args.course_root.resolve()
    known = chapters(root)
    wanted = args.chapters or known
    unknown = [c for c in wanted if c not in known]
    if unknown:
        parser.error(f"unknown chapter(s) {unknown}; known: {known}")

    if args.command == "grades":
        run_nbgrader(["export", "--to", str(root / "grades.csv")], course_root=root)
        print(f"wrote {root / 'grades.csv'}")
        return 0
    for chapter in wanted:
        if args.command == "release":
            run_nbgrader(["generate_assignment", chapter, "--force"], course_root=root)
        elif not any((root / "submitted").glob(f"*/{chapter}")):
            print(f"{chapter}: no submissions under submitted/*/{chapter}/, skipped")
        elif args.command == "autograde":
            run_nbgrader(["autograde", chapter, "--force"], course_root=root)
        else:
            run_nbgrader(["generate_feedback", chapter, "--force"], course_root=root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
