"""The child process of the grader (npgan.course.sandbox): it reads jobs from the parent, defines each answer
by running its cell (after the helpers of the submission's other cells), calls it on the inputs sent,
and replies with its outputs as arrays of plain numbers, or with the one-line reason there are none.

Its own pipes are moved out of the answers' way (their stdin, stdout and stderr are the null device),
Ctrl-C is left to the parent, and when the parent goes (the end of its pipe) the child goes too, even in
the middle of an endless loop.
"""
import json
import os
import pickle
import queue
import signal
import struct
import threading

import numpy as np

LENGTH, HEAD = struct.Struct("<Q"), struct.Struct("<I")
MAX_REPLY = 16 << 20  # bytes: the exercises' outputs are a few hundred numbers


def _clean(message, limit=300):
    """A message from the child as one printable line (no newline or escape can forge a grader line)."""
    text = str(message)
    text = "".join(ch if ch.isprintable() else " " for ch in text[:limit + 1]).strip()  # cut first: it may be huge
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _read_exactly(fd, size):
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def _receive_jobs(fd, jobs):
    """The child's reader thread: jobs from the parent onto `jobs`; when the parent goes (end of its pipe),
    the child goes too, even in the middle of an endless loop."""
    try:
        while True:
            (size,) = LENGTH.unpack(_read_exactly(fd, LENGTH.size))
            jobs.put(pickle.loads(_read_exactly(fd, size)))  # from the parent: trusted
    except BaseException:
        pass
    os._exit(0)


def _reply(fd, header, outputs=None):
    """One frame to the parent: a JSON header, then each output array's raw bytes."""
    blobs = []
    if isinstance(outputs, str):
        header["message"] = _clean(outputs, 1000)
    elif outputs is not None:
        header["outputs"] = [[key, array.dtype.str, list(array.shape)] for key, array in outputs.items()]
        blobs = [array.tobytes() for array in outputs.values()]
    head = json.dumps(header).encode("utf-8")
    frame = HEAD.pack(len(head)) + head + b"".join(blobs)
    if len(frame) > MAX_REPLY:
        size = sum(len(blob) for blob in blobs)
        return _reply(fd, {"job": header.get("job")}, f"WRONG RETURN: the outputs hold {size} bytes; far too many")
    data = LENGTH.pack(len(frame)) + frame
    while data:
        data = data[os.write(fd, data):]


def _define(source, filename, helpers=()):
    """The namespace the answer's cell (or module) defines, with np imported and, first, the helpers of the
    submission's other cells (npgan.course.submission: each run on its own, one that fails is skipped and
    remembered under "__helper_errors__"); or why there is no namespace."""
    from npgan.course.exercises import exit_status
    namespace, skipped = {"np": np, "__name__": "exercise"}, []
    for statement, where, line in helpers:
        try:
            exec(compile("\n" * (line - 1) + statement, where, "exec"), namespace)
        except BaseException as error:  # SystemExit included: a helper cannot end the grading
            skipped.append(f"{where}, line {line}: {type(error).__name__}: {error}")
    namespace["__helper_errors__"] = skipped
    try:
        exec(compile(source, filename, "exec"), namespace)  # the student's own code, in this child alone
    except SystemExit as error:
        return f"EXITED with status {exit_status(error)} while being defined (sys.exit)"
    except BaseException as error:
        return f"ERROR while defining it: {type(error).__name__}: {error}"
    return namespace


def child():
    """The child's main loop: its own pipes moved out of the answers' way (their stdin, stdout and stderr
    are the null device), Ctrl-C left to the parent, one job at a time."""
    from npgan.course.exercises import outputs_of
    jobs_fd, replies_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    jobs = queue.Queue()
    threading.Thread(target=_receive_jobs, args=(jobs_fd, jobs), daemon=True).start()
    _reply(replies_fd, {"ready": True})
    namespaces = {}
    while True:
        job = jobs.get()
        key = (job["filename"], job["source"])
        if key not in namespaces:  # a module of answers is run once for all of its exercises
            namespaces[key] = _define(job["source"], job["filename"], job.get("helpers", ()))
        namespace = namespaces[key]
        if isinstance(namespace, str):
            _reply(replies_fd, {"job": job["id"], "defined": False}, namespace)
            continue
        _reply(replies_fd, {"job": job["id"], "defined": True})
        try:
            outputs = outputs_of(job["name"], namespace.get(job["name"]), job["inputs"])
        except BaseException as error:  # KeyboardInterrupt and the like, raised by the answer itself
            outputs = f"ERROR: {type(error).__name__}: {error}"
        if isinstance(outputs, str) and "NameError" in outputs and "helpers" in job:  # a notebook's cell
            outputs += (f" (besides its own cell, the grader runs only the imports, functions, classes and "
                        f"constants of your other cells; skipped: {namespace['__helper_errors__'][0]})"
                        if namespace["__helper_errors__"] else " (besides its own cell, the grader runs only the "
                        "imports, functions, classes and constants of your other cells)")
        _reply(replies_fd, {"job": job["id"]}, outputs)
