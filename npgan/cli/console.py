"""How every command line of npgan ends: a user's mistake as one line (`run_command`, `ArgumentParser`).

Every command line of npgan ends the same way: a bad flag is argparse's one line and exit 2; a file or
setting it cannot use is one line `prog: error: ...` and exit 1; Ctrl-C is `prog: interrupted` and exit 130
(SIGTERM: `terminated`, 143), with every temporary file removed on the way out (npgan.checkpoint.atomic_file
cleans up when the interrupt unwinds through it). Under `mpiexec` each of these is printed by rank 0 alone.
A traceback means a bug in npgan.
"""
import argparse
import signal
import sys

from npgan.backend import BackendUnavailableError, UnknownBackendError
from npgan.checkpoint import CheckpointError
from npgan.distributed.comm import launched_rank
from npgan.settings import SettingError
from npgan.training.signals import Terminated

# What any command reports as the user's mistake: a backend it cannot use, a file that is not a checkpoint,
# a file or folder it cannot read or write. Each command adds its own (missing data, a bad run folder, ...).
USER_ERRORS = (BackendUnavailableError, UnknownBackendError, CheckpointError, OSError)
INTERRUPTED, TERMINATED = 130, 143  # the shells' 128 + signal number


def _raise_terminated(signum, frame):
    raise Terminated


def say(line):
    """Print one line to stderr, once per job: under mpiexec only rank 0 speaks (every rank refuses alike)."""
    if launched_rank() == 0:
        print(line, file=sys.stderr, flush=True)


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, whose usage and errors are printed once under mpiexec (rank 0)."""

    def _print_message(self, message, file=None):
        if launched_rank() == 0:
            super()._print_message(message, file)


def run_command(job, prog, user_errors=(), parser=None):
    """job(), with a user's mistake turned into one line instead of a traceback: a setting out of its
    range as argparse reports a bad flag (`argument --lr: must be ...`, exit 2), any of USER_ERRORS or
    `user_errors` (a file that is not a checkpoint, missing data, ...) as `prog: error: ...` (exit 1),
    Ctrl-C as `prog: interrupted` (exit 130) and SIGTERM as `prog: terminated` (exit 143). Anything else
    is a bug in npgan, and keeps its traceback."""
    try:
        previous, installed = signal.signal(signal.SIGTERM, _raise_terminated), True
    except ValueError:  # not the main thread: signals stay as they are
        previous, installed = None, False
    try:
        return job()
    except SettingError as error:
        message = f"argument --{error.name.replace('_', '-')}: {error.message}"
        if parser is not None:
            parser.error(message)  # exits with status 2
        say(f"{prog}: error: {message}")
        return 2
    except USER_ERRORS + tuple(user_errors) as error:
        say(f"{prog}: error: {error}")
        return 1
    except Terminated:
        say(f"{prog}: terminated")
        return TERMINATED
    except KeyboardInterrupt:
        say(f"\n{prog}: interrupted")
        return INTERRUPTED
    finally:
        if installed:  # None: the handler was set outside Python; the default is the closest Python can restore
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
