"""Instructor commands: ``python -m grading {release,autograde,feedback,grades} [chapter ...]``.

release    regenerate notebooks/ from solutions/ (all chapters unless some are named)
autograde  grade every submission under submitted/<student>/<chapter>/ (fast mode, one kernel each)
feedback   write feedback/<student>/<chapter>/<chapter>.html (hidden tests never shown)
grades     write grades.csv with every student's score per chapter
"""

from __future__ import annotations

import argparse
import sys

from grading.course import ROOT, chapters, run_nbgrader


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["release", "autograde", "feedback", "grades"])
    parser.add_argument("chapters", nargs="*", help="chapter ids, e.g. ch00_adversarial_idea (default: all)")
    args = parser.parse_args(argv)
    known = chapters()
    wanted = args.chapters or known
    unknown = [c for c in wanted if c not in known]
    if unknown:
        parser.error(f"unknown chapter(s) {unknown}; known: {known}")

    if args.command == "grades":
        run_nbgrader(["export", "--to", str(ROOT / "grades.csv")])
        print(f"wrote {ROOT / 'grades.csv'}")
        return 0
    for chapter in wanted:
        if args.command == "release":
            run_nbgrader(["generate_assignment", chapter, "--force"])
        elif not any((ROOT / "submitted").glob(f"*/{chapter}")):
            print(f"{chapter}: no submissions under submitted/*/{chapter}/, skipped")
        elif args.command == "autograde":
            run_nbgrader(["autograde", chapter, "--force"])
        else:
            run_nbgrader(["generate_feedback", chapter, "--force"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
