"""Instructor commands: ``python -m grading {release,autograde,feedback,grades} [chapter ...]``.

release    regenerate notebooks/ from solutions/ (all chapters unless some are named)
autograde  grade every submission under submitted/<student>/<chapter>/ (fast mode), each in its own
           process and scratch course with time, memory and output limits (grading/sandbox.py);
           a bad submission scores zero and the class goes on. Exit status 1 if a submission
           changed the course tree while it ran.
feedback   write feedback/<student>/<chapter>/<chapter>.html (hidden tests never shown)
grades     write grades.csv with every student's score per chapter
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grading.course import ROOT, chapters, released_chapters, run_nbgrader
from grading.sandbox import Limits, autograde_course, students_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course-root", type=Path, default=ROOT,
                        help="the nbgrader course directory (default: this repository)")
    parser.add_argument("command", choices=["release", "autograde", "feedback", "grades"])
    parser.add_argument("chapters", nargs="*", help="chapter ids, e.g. ch00_adversarial_idea (default: all)")
    defaults = Limits()
    grading = parser.add_argument_group("autograde limits")
    grading.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grading.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    grading.add_argument("--cell-timeout", type=int, default=defaults.cell_timeout_s,
                         help=f"seconds per cell before it is interrupted (default {defaults.cell_timeout_s})")
    grading.add_argument("--wall-timeout", type=float, default=defaults.wall_s,
                         help=f"seconds per submission before it is killed (default {defaults.wall_s:g})")
    grading.add_argument("--memory-mb", type=int, default=defaults.memory_mb,
                         help=f"address-space limit per process, MiB (default {defaults.memory_mb})")
    args = parser.parse_args(argv)
    root = args.course_root.resolve()
    # release works from solutions/; grading needs only the release (a course may hold no solutions)
    known = chapters(root) if args.command == "release" else released_chapters(root)
    wanted = args.chapters or known
    unknown = [c for c in wanted if c not in known]
    if unknown:
        parser.error(f"unknown chapter(s) {unknown}; known: {known}")

    if args.command == "grades":
        run_nbgrader(["export", "--to", str(root / "grades.csv")], course_root=root)
        print(f"wrote {root / 'grades.csv'}")
        return 0
    if args.command == "autograde":
        if args.jobs < 1:
            parser.error(f"--jobs must be >= 1; got {args.jobs}")
        try:
            limits = Limits(args.cell_timeout, args.wall_timeout, args.memory_mb)
        except ValueError as error:
            parser.error(str(error))
    classes = {}
    for chapter in wanted:
        if args.command == "release":
            run_nbgrader(["generate_assignment", chapter, "--force"], course_root=root)
        elif not any((root / "submitted").glob(f"*/{chapter}")):
            print(f"{chapter}: no submissions under submitted/*/{chapter}/, skipped")
        elif args.command == "autograde":
            missing = sorted(set(args.student or ()) - set(students_of(root, chapter)))
            if missing:
                parser.error(f"no submission for {missing} under submitted/<student>/{chapter}/")
            classes[chapter] = args.student
        else:
            run_nbgrader(["generate_feedback", chapter, "--force"], course_root=root)
    tampered = []
    if classes:  # one pool for the whole course, so no worker waits for a chapter's last submission
        outcomes = autograde_course(root, classes, limits, args.jobs, echo=lambda line: print(line, flush=True))
        tampered = [o for o in outcomes if o.changed]
    if tampered:
        print(f"{len(tampered)} submission(s) changed the course tree while they ran: "
              f"{[(o.chapter, o.student) for o in tampered]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
