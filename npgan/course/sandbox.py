"""Running a student's answers in a child process, so that none can stop, hang or fool the grader.

    with AnswerProcess() as answers:
        job = {"name": "sigmoid_backward", "source": cell, "filename": "nb.py:sigmoid_backward", "inputs": inputs}
        outputs, defining = answers.run(job, returns=("gx", "gx32"), timeout=60)   # arrays, or why not

The child (a fresh `python`, in its own process group; npgan.course.child) defines the answer by running its cell, calls it on
the inputs the parent sent (`Exercise.run`, on copies) and sends back only its outputs, as arrays of plain
numbers: a JSON header and raw bytes, which the parent decodes without pickle and checks (names, dtypes,
sizes). The verdict is computed in the parent, against its own copy of the inputs, which the answer cannot
reach (it works on copies in another process), so an answer can pass only by returning the right numbers. What the answers print goes nowhere: it could imitate the grader's
lines. An answer that exits, is killed, loops past the time limit or garbles its reply fails for that
reason; its process group is killed and the next exercise starts a fresh child. Leaving the `with` block by
any route (Ctrl-C included) kills the child and anything it started in its group.

This guards the verdict, not the machine: the answers run with the grader's user rights, as a student's
code does on their own machine.
"""
import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

from npgan.course.child import HEAD, LENGTH, MAX_REPLY, _clean
from npgan.threads import THREAD_VARIABLES

START_TIMEOUT = 120.0  # seconds for a fresh child to import numpy and npgan on a busy machine
CHILD = "import sys; sys.path[0] = sys.argv[1]; from npgan.course.child import child; child()"


class GraderError(RuntimeError):
    """The grader could not start the process that runs the answers."""


class _Hung(Exception):
    pass


class _Closed(Exception):
    pass


class _Garbled(Exception):
    pass


def _ended(returncode):
    """How a child ended: "EXITED with status 0", "KILLED by SIGSEGV"."""
    if returncode >= 0:
        return f"EXITED with status {returncode}"
    try:
        return f"KILLED by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"KILLED by signal {-returncode}"


# ---- the parent --------------------------------------------------------------------------------------------

def _header(frame, job=None):
    """(the JSON header of a child's frame, where its arrays start); _Garbled unless it is a JSON object
    for this job."""
    try:
        (size,) = HEAD.unpack_from(frame)
        header = json.loads(frame[HEAD.size:HEAD.size + size].decode("utf-8"))
    except (struct.error, ValueError, RecursionError):
        raise _Garbled("a reply that is not a result") from None
    if not isinstance(header, dict) or header.get("job") != job:
        raise _Garbled("a reply to another question")
    return header, HEAD.size + size


def decode(frame, job, returns):
    """The outputs in a child's result frame (a dict of arrays), or the message it carries instead, every
    part checked: this job's id, exactly the output names `returns`, dtypes of plain numbers, sizes that
    add up. _Garbled otherwise. Nothing is unpickled: the answer may have written the frame itself."""
    from npgan.course.checks import NUMBERS
    header, offset = _header(frame, job)
    if isinstance(header.get("message"), str):
        return _clean(header["message"], 600)
    dtypes, entries, outputs = {dtype.str: dtype for dtype in NUMBERS}, header.get("outputs"), {}
    if (not isinstance(entries, list)
            or not all(isinstance(e, list) and len(e) == 3 and isinstance(e[0], str) for e in entries)
            or sorted(e[0] for e in entries) != sorted(returns)):
        raise _Garbled("outputs other than " + ", ".join(returns))
    for name, dtype, shape in entries:
        if (dtype not in dtypes or not isinstance(shape, list) or len(shape) > 32
                or not all(type(d) is int and d >= 0 for d in shape)):
            raise _Garbled(f"{_clean(name, 40)}, not an array of numbers")
        count = int(np.prod(shape, dtype=object)) if shape else 1
        end = offset + count * dtypes[dtype].itemsize
        if end > len(frame):
            raise _Garbled("outputs shorter than they claim")
        outputs[name] = np.frombuffer(frame, dtypes[dtype], count, offset).reshape(shape).copy()
        offset = end
    if offset != len(frame):
        raise _Garbled("outputs longer than they claim")
    return outputs


class AnswerProcess:
    """A child process that runs answers, one job at a time, each under a time limit (see the module)."""

    def __init__(self):
        if os.name != "posix":  # select() on pipes, process groups
            raise GraderError("the grader runs answers in a child process, which needs Linux or macOS (on "
                              "Windows: WSL); check(name, fn) grades one function in a notebook")
        self.process, self.jobs, self.returncode = None, 0, None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Kill the child and its process group (before reaping it, so its id cannot have been reused)."""
        process, self.process = self.process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.returncode = process.wait()
        process.stdin.close()
        process.stdout.close()

    def _start(self):
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = {**os.environ, **{name: os.environ.get(name) or "1" for name in THREAD_VARIABLES}}
        with tempfile.TemporaryFile() as errors:  # the child's start-up errors, should it fail to start
            self.process = subprocess.Popen([sys.executable, "-c", CHILD, root], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=errors, env=env,
                                            start_new_session=True)
            os.set_blocking(self.process.stdin.fileno(), False)
            try:
                if _header(self._receive(time.monotonic() + START_TIMEOUT))[0] != {"ready": True}:
                    raise _Garbled
            except (_Hung, _Closed, _Garbled):
                self.close()
                errors.seek(0)
                lines = errors.read().decode("utf-8", "replace").strip().splitlines() or ["no message"]
                raise GraderError(f"could not start a Python process for the answers "
                                  f"(status {self.returncode}): {_clean(lines[-1])}") from None

    def _wait(self, fd, deadline, write=False):
        left = deadline - time.monotonic()
        ready = select.select([], [fd], [], max(left, 0)) if write else select.select([fd], [], [], max(left, 0))
        if left <= 0 or not any(ready):
            raise _Hung

    def _send(self, data, deadline):
        fd, data = self.process.stdin.fileno(), memoryview(LENGTH.pack(len(data)) + data)
        while data:
            self._wait(fd, deadline, write=True)
            try:
                data = data[os.write(fd, data):]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise _Closed from None

    def _receive(self, deadline):
        """One frame from the child, within the deadline."""
        fd = self.process.stdout.fileno()

        def read(size):
            data = bytearray()
            while len(data) < size:
                self._wait(fd, deadline)
                chunk = os.read(fd, size - len(data))
                if not chunk:
                    raise _Closed
                data += chunk
            return bytes(data)

        (size,) = LENGTH.unpack(read(LENGTH.size))
        if not HEAD.size <= size <= MAX_REPLY:
            raise _Garbled(f"a reply of {size} bytes")
        return read(size)

    def run(self, job, returns, timeout, limit=None):
        """(the answer's outputs or why there are none, whether that happened while defining it). `limit`:
        the time limit a timeout names (default `timeout`, which may be what is left of a longer one)."""
        if self.process is None:
            self._start()
        self.jobs += 1
        deadline, stage = time.monotonic() + timeout, "defined"
        try:
            self._send(pickle.dumps(dict(job, id=self.jobs)), deadline)
            header = _header(self._receive(deadline), self.jobs)[0]
            if header.get("defined") is not True:
                if not isinstance(header.get("message"), str):
                    raise _Garbled("a reply that is not a result")
                return _clean(header["message"]), True
            stage = "checked"
            return decode(self._receive(deadline), self.jobs, returns), False
        except _Hung:
            self.close()
            return (f"TIMEOUT after {limit or timeout:g} s while being {stage} (an endless loop?)",
                    stage == "defined")
        except _Closed:
            self.close()
            return f"{_ended(self.returncode)} while being {stage}", stage == "defined"
        except _Garbled as error:
            self.close()
            return f"GARBLED: the answer's process sent {str(error) or 'a broken reply'}", stage == "defined"
