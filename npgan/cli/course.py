"""python -m npgan.course strip NOTEBOOK... -o DIR [--ipynb] [--force]
python -m npgan.course grade FILE_OR_FOLDER... [--csv GRADES.csv [--overwrite]] [--assignment NAME]
                             [--only NAME,...] [--timeout SECONDS] [--submission-timeout SECONDS]

Every mistake ends as one line: a bad flag, output folder or CSV file is argparse's (exit 2), a file that is
not a notebook `prog: error: ...` (exit 1), Ctrl-C `prog: interrupted` (exit 130, the answers' process
killed)."""
import argparse
import os
import sys

from npgan.cli.console import ArgumentParser, run_command
from npgan.course.cells import NotebookError, plan_strip, write_plan
from npgan.course.classroom import grade_class
from npgan.course.exercises import ASSIGNMENTS, EXERCISES
from npgan.course.grader import DEFAULT_SUBMISSION_TIMEOUT, DEFAULT_TIMEOUT, MAX_TIMEOUT, find_assignment
from npgan.course.sandbox import GraderError
from npgan.settings import SettingError

PROG = "python -m npgan.course"
USER_ERRORS = (NotebookError, GraderError)


def existing_file(path):
    if os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"{path} is a folder; give a notebook file")
    return submission_path(path)


def submission_path(path):
    """A notebook or module file, or a folder of them (searched when grading)."""
    if os.path.isdir(path):
        return path
    if not os.path.exists(path):
        raise argparse.ArgumentTypeError(f"no such file: {path}")
    if not os.path.isfile(path):
        raise argparse.ArgumentTypeError(f"{path} is not a regular file (a pipe or a device?); give a notebook file")
    if not path.endswith((".py", ".ipynb")):
        raise argparse.ArgumentTypeError(f"{path}: expected a .py (jupytext percent or module) or .ipynb file")
    return path


def exercise_names(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in EXERCISES]
    if unknown or not names:
        what = f"unknown exercise(s) {', '.join(unknown)}" if unknown else "no exercise named"
        raise argparse.ArgumentTypeError(f"{what}: choose from {', '.join(EXERCISES)}")
    return names


def assignment_name(text):
    try:
        return find_assignment(text)
    except SettingError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def build_parser():
    parser = ArgumentParser(prog=PROG, description="npgan's course kit")
    commands = parser.add_subparsers(dest="command", required=True)
    strip = commands.add_parser("strip", help="write student versions: solutions replaced by NotImplementedError")
    strip.add_argument("notebooks", nargs="+", type=existing_file, help="notebook sources (.py or .ipynb)")
    strip.add_argument("-o", "--out", required=True,
                       help="output folder (created if missing); all inputs are checked before any file is written")
    strip.add_argument("--ipynb", action="store_true", help="also write each .py source as a .ipynb (jupytext)")
    strip.add_argument("--force", action="store_true",
                       help="replace student copies that differ from what strip writes (edited ones included)")
    grader = commands.add_parser("grade", help="check each exercise; exit status 0 only if every one passes")
    grader.add_argument("paths", nargs="+", type=submission_path, metavar="FILE_OR_FOLDER",
                        help="students' notebooks (.py or .ipynb) or modules, or folders of them (searched)")
    grader.add_argument("--csv", metavar="GRADES.csv",
                        help="write one row per submission and exercise: submission, exercise, points, passed, "
                             "error, reason")
    grader.add_argument("--overwrite", action="store_true", help="replace the --csv file if it exists")
    grader.add_argument("--assignment", type=assignment_name, metavar="NAME",
                        help=f"grade every file as this assignment ({', '.join(ASSIGNMENTS)}; a prefix such as "
                             f"02 will do); default: by the file's name, else by its exercise cells")
    grader.add_argument("--only", type=exercise_names, metavar="NAME,...", help="comma-separated exercises to grade")
    grader.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time each exercise may take, all its checks together, in its file's own process "
                             f"(default {DEFAULT_TIMEOUT:g}, at most {MAX_TIMEOUT:g}); what the answers print is "
                             f"not shown")
    grader.add_argument("--submission-timeout", type=float, default=DEFAULT_SUBMISSION_TIMEOUT, metavar="SECONDS",
                        help=f"time all of one file's exercises may take (default {DEFAULT_SUBMISSION_TIMEOUT:g})")
    return parser, {"strip": strip, "grade": grader}


def strip_command(args):
    plan = plan_strip(args.notebooks, args.out, ipynb=args.ipynb, force=args.force)
    write_plan(plan)
    for target, _, unchanged in plan:
        print(f"unchanged {target}" if unchanged else f"wrote {target}")
    return 0


def grade_command(args):
    rows = grade_class(args.paths, csv_path=args.csv, overwrite=args.overwrite, timeout=args.timeout,
                       assignment=args.assignment, only=args.only, submission_timeout=args.submission_timeout)
    return 0 if rows and all(row["passed"] for row in rows) else 1


def main(argv=None):
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    job = strip_command if args.command == "strip" else grade_command
    return run_command(lambda: job(args), f"{PROG} {args.command}", USER_ERRORS, commands[args.command])


if __name__ == "__main__":
    sys.exit(main())
