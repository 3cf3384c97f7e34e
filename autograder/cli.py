"""Command line: `python -m autograder <stage> ...`. Only argument wiring lives here."""
from __future__ import annotations

import argparse
import sys

from .course import CourseError, course_root


def _sync(args, root):
    from .course import assignments
    from .twins import sync

    for assignment in args.assignments or assignments(root):
        print(sync(root=root, assignment=assignment, from_notebook=args.from_notebook))


def _release(args, root):
    from .release import release

    for done in release(root=root, assignments=args.assignments, check_source=not args.no_validate):
        print(f"released {done.assignment}: {done.notebook.relative_to(root)}")


def _check(args, root):
    from .checks import leaks
    from .course import assignments
    from .release import staleness
    from .twins import differences

    problems = []
    for assignment in args.assignments or assignments(root):
        problems += differences(root, assignment) + leaks(root, assignment) + staleness(root=root, assignment=assignment)
    print("\n".join(problems) or "release/ and notebooks/ are in sync with source/ and leak nothing")
    return 1 if problems else 0


def _figures(args, root):
    from .expected_figures import attach_expected_figures

    for name in attach_expected_figures(args.assignment, root):
        print(f"attached {name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    stages = parser.add_subparsers(dest="stage", required=True)

    p = stages.add_parser("sync", help="make source notebooks and their notebooks/ twins agree (twin -> notebook)")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all in source/)")
    p.add_argument("--from-notebook", action="store_true", help="write the twin from the notebook instead")
    p.set_defaults(run=_sync)

    p = stages.add_parser("release", help="validate source, generate release/, check for leaks")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all in source/)")
    p.add_argument("--no-validate", action="store_true", help="skip running the solutions through their tests")
    p.set_defaults(run=_release)

    p = stages.add_parser("check", help="prove release/ and notebooks/ are up to date and leak nothing")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all in source/)")
    p.set_defaults(run=_check)

    p = stages.add_parser("figures", help="render the expected figures from the solution into the source notebook")
    p.add_argument("assignment")
    p.set_defaults(run=_figures)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args, course_root()) or 0
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
