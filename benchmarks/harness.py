"""The timing harness: blocks of iterations, the turn-taking protocol between worker processes, peak memory.

Each framework runs a configuration in its own fresh process (a *worker*), so thread pools, allocators and
the peak-memory reading do not leak between them. The workers warm up (at least 3 iterations and 0.5 s,
one after the other), then take turns: one times a block of n iterations (n chosen so a block lasts about
0.25 s), then the next, for `repeats` rounds, each round in the reverse order of the one before, with a
pause before every block so the last one's spinning BLAS/OpenMP threads have stopped. Interleaving matters
on a shared machine: timed one after the other, the same two processes gave npgan/PyTorch ratios from 1.2
to 1.6 on different runs.

Protocol (stdin/stdout lines): the worker prints "ready" after its warm-up, runs one block per line it
reads and prints "block" after it, and prints its JSON record last.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OPENBLAS_HINTS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def time_blocks(step, sync, after_block, warmup_iters, warmup_s, repeats, block_s, paired=None, interleaved=False):
    """Warm up, then time `repeats` blocks of n iterations; returns (ms per iteration of each block, n,
    minor page faults per timed iteration, ms of `paired` timed once after each block). Pairing the GEMM
    floor with the iteration this way samples both under the same load of a shared machine.

    interleaved: this process is one of a configuration's workers (see `run_interleaved`): it says
    "ready" after the warm-up, then runs each block when a line arrives on stdin and says "block" after it."""
    import resource
    start, n = time.perf_counter(), 0
    while n < warmup_iters or time.perf_counter() - start < warmup_s:
        step()
        n += 1
    sync()
    after_block()
    per_iter = (time.perf_counter() - start) / n
    per_block = max(1, round(block_s / per_iter))
    blocks, paired_ms, fault_count = [], [], 0
    if paired is not None:
        paired()
    if interleaved:
        print("ready", flush=True)
    for _ in range(repeats):
        if interleaved:
            sys.stdin.readline()  # our turn
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        sync()
        t = time.perf_counter()
        for _ in range(per_block):
            step()
        sync()
        blocks.append(1e3 * (time.perf_counter() - t) / per_block)
        fault_count += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        after_block()
        if paired is not None:
            paired_ms.append(paired())
        if interleaved:
            print("block", flush=True)
    return blocks, per_block, fault_count / (repeats * per_block), paired_ms


def _proc_status_kb(field):
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class HostPeak:
    """Rise of the resident-set high-water mark over the resident size at construction (MB)."""

    def __init__(self):
        try:  # "5" resets VmHWM to the current RSS (Linux ≥ 4.0)
            Path("/proc/self/clear_refs").write_text("5")
            self.method = "VmHWM after clear_refs"
        except OSError:
            self.method = "VmHWM (not reset)"
        self.base = _proc_status_kb("VmRSS")

    def peak_mb(self):
        hwm = _proc_status_kb("VmHWM")
        if hwm is None or self.base is None:
            import resource
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "ru_maxrss (absolute)"
        return max(hwm - self.base, 0) / 1024, self.method


def blas_threads():
    try:
        from threadpoolctl import threadpool_info
        return {i["internal_api"]: i["num_threads"] for i in threadpool_info()}
    except ImportError:
        return {}


PAUSE_S = 0.25  # between two workers' blocks: long enough for the last one's BLAS/OpenMP threads to stop spinning


def run_interleaved(specs, env, repeats, cmd, timeout=900, launch=None):
    """Run one configuration's workers (npgan and its PyTorch variants) side by side in time.

    Each worker is a fresh process. They warm up one after the other, then take turns block by block, the
    order of each round reversed in the next, so a drift in the load of a shared machine hits every
    framework alike instead of whichever ran last. `cmd` starts a worker; the spec (JSON) is its last
    argument. `launch(spec) -> (cmd, env)`, when given, chooses both per worker (two checkouts side by side).
    Returns the records of the workers that succeeded."""
    started, workers, records = [], [], []
    deadline = threading.Timer(timeout, lambda: [w.proc.kill() for w in started])
    deadline.start()
    try:
        for spec in specs:
            worker_cmd, worker_env = launch(spec) if launch else (cmd, env)
            worker = _Worker(worker_cmd, dict(spec, timing=dict(spec["timing"], interleaved=True)), worker_env)
            started.append(worker)
            if worker.says("ready"):
                workers.append(worker)
        for round_ in range(repeats):
            for worker in (workers if round_ % 2 == 0 else workers[::-1]):
                time.sleep(PAUSE_S)
                if not worker.failed:
                    worker.proc.stdin.write("go\n")
                    worker.proc.stdin.flush()
                    worker.says("block")
        for worker in workers:
            record = worker.finish()
            if record is not None:
                records.append(record)
    finally:
        deadline.cancel()
    return records


class _Worker:
    """One framework's process for one configuration, spoken to line by line."""

    def __init__(self, cmd, spec, env):
        self.spec, self.stderr, self.failed = spec, tempfile.TemporaryFile(mode="w+"), False
        self.proc = subprocess.Popen(cmd + [json.dumps(spec)], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True)

    def says(self, word):
        """Wait for the worker's next line; anything but `word` ends it as a failure."""
        if self.proc.stdout.readline().strip() == word:
            return True
        self.proc.kill()
        self.proc.wait()
        self._report_failure()
        self.failed = True
        return False

    def finish(self):
        """Close its turn signal; its record (the last JSON line), or None if it failed."""
        if self.failed:
            return None
        if self.proc.poll() is None:
            self.proc.stdin.close()
        lines = [line for line in self.proc.stdout.read().splitlines() if line.startswith("{")]
        if self.proc.wait() == 0 and lines:
            return json.loads(lines[-1])
        self._report_failure()
        return None

    def _report_failure(self):
        self.stderr.seek(0)
        spec = self.spec
        print(f"  ! {spec['framework']}/{spec['backend']} {spec['arch']} batch {spec['batch']} failed or timed "
              f"out (exit {self.proc.returncode}):\n{self.stderr.read()[-2000:]}", file=sys.stderr)


def positive_int(text):
    """argparse type: an integer >= 1 (else one line from argparse, exit 2)."""
    import argparse
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def child_env(threads, unset_hints):
    """The workers' environment: `threads` for OpenBLAS, OpenMP and MKL alike; npgan from this checkout."""
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    if unset_hints:
        for name in OPENBLAS_HINTS:
            env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env
