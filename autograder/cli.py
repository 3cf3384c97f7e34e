"""Command line: `python -m autograder <stage> ...` (or the `autograder` command). Only argument wiring lives here.

Each command imports its stage when it runs, not at the top: importing every stage (nbgrader, nbconvert,
matplotlib, ...) takes about 4 s, against 8 ms for this module alone (measured with `python -X importtime`, on a
2-core machine under load), and `--help`, a mistyped command or one stage need none of the others. `grade` and
`serve` first start the local pool's fork server (autograder.forkserver, standard library only), so that its
import of nbgrader runs beside the stage's own: a `grade` of 2 submissions took 4.39 s instead of 5.75 s (medians
of six alternating runs)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .course import CourseError, assignments, course_root


def _sync(args, root):
    from .twins import sync  # measured start-up cost: see the top

    for assignment in args.assignments or assignments(root):
        print(sync(root=root, assignment=assignment, from_notebook=args.from_notebook))


def _release(args, root):
    from .release import release  # measured start-up cost: see the top

    for done in release(root=root, assignments=args.assignments, check_source=not args.no_validate):
        print(f"released {done.assignment}: {done.notebook.relative_to(root)}")


def _check(args, root):
    from .checks import leaks  # measured start-up cost: see the top
    from .release import staleness  # measured start-up cost: see the top
    from .twins import differences  # measured start-up cost: see the top

    problems = []
    for assignment in args.assignments or assignments(root):
        problems += differences(root, assignment) + leaks(root, assignment) + staleness(root=root, assignment=assignment)
    print("\n".join(problems) or "release/ and notebooks/ are in sync with source/ and leak nothing")
    return 1 if problems else 0


def _coverage(args, root):
    from .coverage import measure, table  # measured start-up cost: see the top

    rows = [measure(root=root, assignment=a, progress=print if args.verbose else None)
            for a in args.assignments or assignments(root)]
    print(table(rows))
    for c in rows:
        if c.missed:
            print(f"{c.assignment}: no visible check catches {', '.join(c.missed)}")
        if c.wrongly_marked:
            print(f"{c.assignment}: marked unseen but caught by a visible check: {', '.join(c.wrongly_marked)}")
    return 1 if any(c.wrongly_marked for c in rows) else 0


def _figures(args, root):
    from .expected_figures import attach_expected_figures  # measured start-up cost: see the top

    for name in attach_expected_figures(args.assignment, root):
        print(f"attached {name}")


def _collect(args, root):
    from .collect import collect  # measured start-up cost: see the top
    from .fromservice import collect_from_service  # measured start-up cost: see the top

    if args.from_service and (args.paths or args.times):
        raise CourseError("collect --from-service takes no paths or --times: the service's receipt times count")
    if not args.from_service and not args.paths:
        raise CourseError("collect needs the downloaded folders, notebooks or zips (or --from-service)")
    done = collect_from_service(root=root, assignment=args.assignment) if args.from_service else \
        collect(root=root, assignment=args.assignment, paths=args.paths, times=args.times)
    for c in done.collected:
        when = c.submitted_at.strftime("%Y-%m-%d %H:%M:%S UTC") if c.submitted_at else "time unknown"
        print(f"{'unchanged' if c.unchanged else 'collected'} {c.student}: {c.file} ({when}"
              f"{', marked LATE' if c.late_mark else ''})")
    for d in done.dropped:
        print(f"dropped   {d.student}: {d.file} (older attempt; kept {d.kept})")
    for r in done.rejected:
        print(f"rejected  {r.file}: {r.reason}: {r.detail}")
    for w in done.warnings:
        print(f"warning   {w}")
    print(f"{len(done.collected)} collected, {len(done.dropped)} dropped, {len(done.rejected)} rejected; "
          f"log: {done.log.relative_to(root)}")


def _start_workers_server(args) -> None:
    """Unless a Dask scheduler was given, start the local pool's fork server now, before the stage is imported, so
    that its import of nbgrader runs beside this process's own."""
    from .forkserver import start_server  # measured start-up cost: see the top

    if not args.scheduler:
        start_server()


def _serve(args, root):
    _start_workers_server(args)
    from .serve import serve  # measured start-up cost: see the top

    serve(root=root, host=args.host, port=args.port, scheduler=args.scheduler, workers=args.workers)


def _tokens(args, root):
    from .tokens import issue_tokens  # measured start-up cost: see the top

    done = issue_tokens(root=root, roster=args.roster, out=args.out, reissue=args.reissue)
    for student in done.kept:
        print(f"kept      {student}: has a token already (stored hashed: it cannot be shown again; "
              f"--reissue {student} replaces it)")
    print(f"{len(done.issued)} new tokens, {len(done.kept)} kept; wrote {done.out}")


def _grade(args, root):
    _start_workers_server(args)
    from .grade import grade  # measured start-up cost: see the top
    from .report import flag_lines, repairs_file, score_table  # measured start-up cost: see the top

    misplaced = [s for s in args.students or [] if s in assignments(root)]
    if args.assignment is None or misplaced:  # `grade --student a b lab` would take lab for a student
        raise CourseError(f"{misplaced[0] + ' is an assignment, not a student id: ' if misplaced else ''}give the "
                          "assignment first: python -m autograder grade ASSIGNMENT --student ID [ID ...]")
    run = grade(root=root, assignment=args.assignment, workers=args.workers, force=args.force,
                students=args.students, progress=not args.no_progress, scheduler=args.scheduler)
    if run.graded:
        print(score_table(list(run.graded), f"{args.assignment}: graded {len(run.graded)} in {run.seconds:.1f} s "
                                            f"with {run.workers} workers"))
        for g in run.graded:
            if g.status != "graded":
                print(f"{g.student}: {g.status}: {g.detail}")
        repaired = [g for g in run.graded if g.repairs]
        if repaired:
            listed = repairs_file(root=root, assignment=args.assignment).relative_to(root)
            for g in repaired:
                print(f"{g.student}: {len(g.repairs)} repair{'s' if len(g.repairs) != 1 else ''} before grading "
                      f"(each one in {listed})")
    if run.skipped:
        print(f"{len(run.skipped)} unchanged submissions already graded: {', '.join(run.skipped)} (--force regrades)")
    flagged = flag_lines(root=root, assignment=args.assignment, students=[g.student for g in run.graded])
    if flagged:
        print("flagged for the TA (severity code (cell); also in the formgrader and reports/<a>/flags.csv):")
        print("\n".join(f"  {line}" for line in flagged))
    return 1 if any(g.status == "failed" for g in run.graded) else 0


def _report(args, root):
    from .report import report  # measured start-up cost: see the top

    done = report(root=root, assignment=args.assignment, feedback=not args.no_feedback,
                  provisional=args.provisional, progress=not args.no_progress)
    for path in (done.grades_csv, done.canvas_csv, done.repairs_csv, done.flags_csv, done.histograms):
        if path is not None:
            print(f"wrote {path.relative_to(root)}")
    if done.feedback:
        print(f"wrote {len(done.feedback)} feedback pages in feedback/<student>/{args.assignment}/")
    if done.similarity:
        print(done.similarity)
    for note in done.notes:
        print(f"note: {note}")


def _similarity(args, root):
    from .similarity import pair_lines, similarity  # measured start-up cost: see the top

    done = similarity(root=root, assignment=args.assignment)
    for line in done.skipped:
        print(f"skipped {line}")
    print(f"{len(done.students)} graded submissions compared on {len(done.questions)} answer cells in "
          f"{done.seconds:.1f} s; {len(done.flagged)} pair{'s' if len(done.flagged) != 1 else ''} flagged"
          + (":" if done.flagged else ""))
    for line in pair_lines(done):
        print(f"  {line}")
    print(f"wrote {done.csv.relative_to(root)}\nwrote {done.html.relative_to(root)}")


def _demo(args, root):
    from .demo import demo  # measured start-up cost: see the top

    return demo(root=root, assignments=args.assignments, workers=args.workers, out=print)


def _examples(args, root):
    from .examples import generate_examples  # measured start-up cost: see the top

    for assignment in args.assignments or assignments(root):
        try:
            for folder in generate_examples(root=root, assignments=[assignment]):
                print(f"wrote {folder.relative_to(root)}")
        except CourseError as exc:
            if args.assignments:
                raise
            print(f"skipped {assignment}: {exc}")


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

    p = stages.add_parser("coverage", help="the share of each assignment's mutants that a visible check catches "
                                           "(the table of docs/AUTHORING.md)")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all in source/)")
    p.add_argument("--verbose", action="store_true", help="print each mutant's verdict as it runs")
    p.set_defaults(run=_coverage)

    p = stages.add_parser("figures", help="render the expected figures from the solution into the source notebook")
    p.add_argument("assignment")
    p.set_defaults(run=_figures)

    p = stages.add_parser("collect", help="put LMS downloads (folders, notebooks, zips) into submitted/")
    p.add_argument("assignment")
    p.add_argument("paths", nargs="*", type=Path, help="downloaded folders, notebooks or zip files")
    p.add_argument("--times", type=Path, help="CSV with columns file,submitted_at giving submission times")
    p.add_argument("--from-service", action="store_true",
                   help="collect what the hand-in service received (each student's last submission, at its "
                        "receipt time) instead of downloads")
    p.set_defaults(run=_collect)

    p = stages.add_parser("serve", help="the hand-in service: students hand in from Colab or an upload page and get "
                                        "the visible checks' results (docs/GRADING.md)")
    p.add_argument("--host", help="address to listen on (default: Serve.host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: Serve.port, 8765)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run the checks on this Dask scheduler's workers")
    p.add_argument("--workers", type=int, help="local worker processes per assignment (default: cores)")
    p.set_defaults(run=_serve)

    p = stages.add_parser("tokens", help="the students' personal tokens for the hand-in service")
    p.add_argument("roster", type=Path, help="CSV with a `student` column")
    p.add_argument("--out", type=Path, required=True, help="CSV to write: student,token")
    p.add_argument("--reissue", nargs="+", metavar="STUDENT", default=[],
                   help="give these students a new token (their old one stops working)")
    p.set_defaults(run=_tokens)

    p = stages.add_parser("grade", help="autograde every collected submission into gradebook.db")
    p.add_argument("assignment", nargs="?", help="the assignment (before --student)")
    p.add_argument("--workers", type=int, help="worker processes (default: GradeSubmissions.workers, else cores)")
    p.add_argument("--force", action="store_true", help="regrade submissions already graded")
    p.add_argument("--student", dest="students", action="extend", nargs="+", metavar="ID",
                   help="grade only these students, after the assignment (--student aa0006 aa0001; repeatable); ids "
                        "are read as collect reads them, case aside")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="grade on this Dask scheduler's workers (default: GradeSubmissions.scheduler, else locally)")
    p.set_defaults(run=_grade)

    p = stages.add_parser("report", help="grades CSV, Canvas CSV, feedback HTML and score histograms")
    p.add_argument("assignment")
    p.add_argument("--no-feedback", action="store_true", help="skip the per-student feedback pages")
    p.add_argument("--provisional", action="store_true",
                   help="with written answers not graded yet, write canvas_provisional.csv (those answers count 0) "
                        "instead of no Canvas file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_report)

    p = stages.add_parser("similarity", help="answers copied between students: pairs of graded submissions with "
                                             "alike answer cells, for the TA to review")
    p.add_argument("assignment")
    p.set_defaults(run=_similarity)

    p = stages.add_parser("demo", help="release, collect, grade, report and compare the example submissions in "
                                       "examples/")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all in source/)")
    p.add_argument("--workers", type=int, help="worker processes (default: cores)")
    p.set_defaults(run=_demo)

    p = stages.add_parser("examples", help="generate examples/submissions/<a>/ from source/ and release/")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all in source/)")
    p.set_defaults(run=_examples)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args, course_root()) or 0
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
