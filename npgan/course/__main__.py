"""python -m npgan.course strip NOTEBOOK... -o DIR [--ipynb]   |   python -m npgan.course grade FILE [--only NAME,...]"""
import argparse
import os
import sys

from npgan.course.cells import strip_file
from npgan.course.exercises import EXERCISES, grade


def existing_file(path):
    if not os.path.isfile(path):
        raise argparse.ArgumentTypeError(f"no such file: {path}")
    if not path.endswith((".py", ".ipynb")):
        raise argparse.ArgumentTypeError(f"{path}: expected a .py (jupytext percent or module) or .ipynb file")
    return path


def exercise_names(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in EXERCISES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown exercise(s) {', '.join(unknown)}: choose from "
                                         f"{', '.join(EXERCISES)}")
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m npgan.course", description="npgan's course kit")
    commands = parser.add_subparsers(dest="command", required=True)
    strip = commands.add_parser("strip", help="write student versions: solutions replaced by NotImplementedError")
    strip.add_argument("notebooks", nargs="+", type=existing_file, help="notebook sources (.py or .ipynb)")
    strip.add_argument("-o", "--out", required=True, help="output folder (created if missing)")
    strip.add_argument("--ipynb", action="store_true", help="also write each .py source as a .ipynb (jupytext)")
    grader = commands.add_parser("grade", help="check each exercise; exit status 1 if any fails")
    grader.add_argument("file", type=existing_file, help="a student's notebook (.py or .ipynb) or module")
    grader.add_argument("--only", type=exercise_names, help="comma-separated exercises to grade")
    args = parser.parse_args(argv)
    if args.command == "strip":
        for path in args.notebooks:
            try:
                target = strip_file(path, args.out, ipynb=args.ipynb)
                print(f"wrote {target}" + (f" and {target[:-3]}.ipynb" if args.ipynb and target.endswith(".py") else ""))
            except ImportError:
                parser.exit(2, f'{parser.prog} strip: error: --ipynb needs jupytext: pip install -e ".[notebooks]"\n')
            except ValueError as error:
                parser.exit(2, f"{parser.prog} strip: error: {error}\n")
        return 0
    results = grade(args.file, only=args.only)
    return 0 if results and all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
