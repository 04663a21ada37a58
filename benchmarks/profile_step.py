"""Where npgan's time goes, function by function: ``python benchmarks/bench_step.py --profile``.

Exclusive wall time per profiled function (its own time minus that of profiled callees). What is profiled
is an explicit list, :data:`SITES`: each entry names the place — a module or class attribute — where the
iteration looks a function up when it calls it. The profiler replaces exactly those attributes with a
timing wrapper and puts the originals back afterwards; it searches nothing (no scan of ``sys.modules``). A
function reached under a second name (imported by name into another module, kept as a class attribute)
is timed only through the sites listed for it, so when npgan's code moves, this list moves with it; an
entry that no longer exists is reported and skipped. Every site of one function reports under one name.
The classes in :data:`CLASSES` have their own methods wrapped (``forward``, ``backward``, ``step``...).

Work done inline in a profiled function (``xp.concatenate`` in the D step, say) counts as that function's
own. The GEMMs inside linear_forward/linear_backward are timed again alone at the shapes seen, so the
table splits those functions into GEMM and the rest.
"""
import functools
import importlib
import inspect
import itertools
import statistics
import sys
import time
from collections import defaultdict

import numpy as np

from gemm_floor import iteration_gemms, layer_dims, time_gemms
from harness import time_blocks
from step_workers import IMAGE_DIM, LR, MOMENTUM, POOL

_FUNCTIONAL = ("linear_forward", "linear_backward", "maxout_forward", "maxout_backward", "batchnorm_forward",
               "batchnorm_backward", "batchnorm_eval_forward", "batchnorm_eval_backward", "relu_forward",
               "relu_backward", "leaky_relu_forward", "leaky_relu_backward", "sigmoid_forward", "sigmoid_backward",
               "tanh_forward", "tanh_backward", "dropout_forward", "dropout_backward")
_CUDA_KERNELS = ("sum_of_products", "centered_sum_of_squares", "bn_statistics", "bn_normalize", "bn_grad")
_LOSSES = ("softplus", "sigmoid", "neg_log_d", "neg_log_one_minus_d", "discriminator_loss",
           "discriminator_loss_stacked", "generator_loss")

SITES = (  # (owner: module or module.Class, attribute) where the iteration looks the function up
    [("npgan.nn.functional", name) for name in _FUNCTIONAL]             # layers call F.<name>
    + [("npgan.nn.layers.Linear", "_backward"), ("npgan.nn.layers.Maxout", "_backward")]  # kept as staticmethods
    + [(f"npgan.nn.activations.{cls}", attr) for cls in ("ReLU", "Sigmoid", "Tanh")
       for attr in ("_forward", "_backward")]
    + [("npgan.nn.cuda", name) for name in _CUDA_KERNELS]               # BatchNorm's CUDA spellings call them
    + [("npgan.optim.cuda", name) for name in ("sgd_momentum_kernel", "adam_kernel")]
    + [("npgan.optim.sgd", "sgd_momentum_update"), ("npgan.optim.adam", "adam_update")]  # SGD/Adam._update
    + [("npgan.nn.losses", name) for name in _LOSSES + ("sigmoid_forward", "get_array_module")]
    + [("npgan.gan.trainer", name) for name in ("discriminator_loss_stacked", "generator_loss", "neg_log_d",
                                                "neg_log_one_minus_d", "sigmoid", "sample_noise")]  # imported by name
    + [("npgan.nn.functional", "get_array_module"), ("npgan.backend", "get_array_module"),
       ("npgan.nn.layers", "check_input")]
)
CLASSES = [("npgan.nn.module", ("Parameter", "Module")), ("npgan.nn.sequential", ("Sequential",)),
           ("npgan.optim", ("Optimizer", "SGD", "Adam")),
           ("npgan.gan", ("GANTrainer",)),
           ("npgan.nn.layers", ("Linear", "Maxout", "BatchNorm1d", "Dropout")),
           ("npgan.nn.activations", ("_Activation", "ReLU", "Sigmoid", "Tanh", "LeakyReLU"))]
_SKIP_METHODS = ("state_dict", "load_state_dict")


def _owner(path):
    """The module or class named by a dotted path ("npgan.nn.layers.Linear"), or None."""
    try:
        return importlib.import_module(path)
    except ImportError:
        module, _, cls = path.rpartition(".")
        try:
            return getattr(importlib.import_module(module), cls, None)
        except ImportError:
            return None


def _gemms_of_linear_forward(x, W, *rest, **kw):
    return [("NN", x.shape[0], W.shape[0], W.shape[1])]


def _gemms_of_linear_backward(gy, cache, need_gx=True, need_gW=True, need_gb=True):
    x, W = cache[0], cache[1]
    return ([("NT", gy.shape[0], W.shape[1], W.shape[0])] if need_gx else []) + (
        [("TN", x.shape[1], x.shape[0], gy.shape[1])] if need_gW else [])


GEMM_HOOKS = {"functional.linear_forward": _gemms_of_linear_forward,
              "functional.linear_backward": _gemms_of_linear_backward}


class Profiler:
    """Exclusive wall time per wrapped function, over the explicit :data:`SITES` and :data:`CLASSES`."""

    def __init__(self):
        self.stats = defaultdict(lambda: [0, 0.0])  # name -> [calls, exclusive seconds]
        self.gemm_calls = defaultdict(int)  # (name, layout, M, K, N) -> calls
        self.stack = []
        self.active = False
        self.missing = []
        self._undo = []
        self._wrappers = {}  # id(function) -> its wrapper: every site of one function shares it

    def _wrap(self, name, fn):
        prof, gemm_hook = self, GEMM_HOOKS.get(name)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if not prof.active:
                return fn(*args, **kwargs)
            prof.stack.append(0.0)
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t
                child = prof.stack.pop()
                s = prof.stats[name]
                s[0] += 1
                s[1] += dt - child
                if prof.stack:
                    prof.stack[-1] += dt
                if gemm_hook is not None:
                    for g in gemm_hook(*args, **kwargs):
                        prof.gemm_calls[(name,) + g] += 1
        return wrapper

    def _replace(self, owner, attr, name):
        raw = vars(owner)[attr]
        fn = raw.__func__ if isinstance(raw, staticmethod) else raw
        if id(fn) not in self._wrappers:
            self._wrappers[id(fn)] = (fn, self._wrap(name, fn))  # keep fn alive: ids stay unique
        wrapper = self._wrappers[id(fn)][1]
        self._undo.append((owner, attr, raw))
        setattr(owner, attr, staticmethod(wrapper) if isinstance(raw, staticmethod) else wrapper)

    def install(self):
        for path, attr in SITES:
            owner = _owner(path)
            if owner is None or attr not in vars(owner):
                self.missing.append(f"{path}.{attr}")
                continue
            raw = vars(owner)[attr]
            fn = raw.__func__ if isinstance(raw, staticmethod) else raw
            home = getattr(fn, "__module__", None) or path
            short = home.rsplit(".", 1)[-1] if inspect.isfunction(fn) else path.rsplit(".", 1)[-1]
            self._replace(owner, attr, f"{short}.{getattr(fn, '__name__', attr)}" if inspect.isfunction(fn)
                          else f"{short}.{attr}")
        for module, names in CLASSES:
            for cls_name in names:
                cls = _owner(f"{module}.{cls_name}")
                if cls is None:
                    self.missing.append(f"{module}.{cls_name}")
                    continue
                for attr, value in list(vars(cls).items()):
                    if inspect.isfunction(value) and (not attr.startswith("__") or attr == "__call__") \
                            and id(value) not in self._wrappers and not inspect.isgeneratorfunction(value) \
                            and attr not in _SKIP_METHODS:
                        self._replace(cls, attr, f"{cls.__name__}.{attr}")
        if self.missing:
            print(f"profile: not found (skipped; update benchmarks/profile_step.py SITES): {', '.join(self.missing)}",
                  file=sys.stderr)

    def uninstall(self):
        for owner, attr, value in reversed(self._undo):
            setattr(owner, attr, value)
        self._undo = []


def profile(args, timing):
    """Per-function exclusive time of npgan's iteration (NumPy backend; on CuPy the host-side time, i.e. the
    launch cost, since nothing syncs), at each batch size. Rounds of profiled iterations alternate with
    unprofiled ones; every figure is the median over rounds, so a burst of load on a shared machine moves
    one round, not the table."""
    import resource
    from npgan import backend as B
    from npgan import optim
    from npgan.gan import presets
    from npgan.gan import GANTrainer
    backend = (args.backend or ["numpy"])[0]
    xp = B.get_xp(backend)
    rounds = timing["repeats"]
    results = []
    for arch in args.arch or ["slides"]:
        for m in args.batch_sizes or [128, 1024]:
            B.manual_seed(0)
            recipe = presets.recipe(arch)
            G, D = presets.build(recipe)
            G.to(backend)
            D.to(backend)
            trainer = GANTrainer(G, D, optim.SGD(G.parameters(), LR, momentum=MOMENTUM),
                                 optim.SGD(D.parameters(), LR, momentum=MOMENTUM), recipe.z_dim, noise=recipe.noise)
            data = itertools.cycle([B.to_device(np.random.default_rng(i).random((m, IMAGE_DIM), dtype=np.float32),
                                                backend) for i in range(POOL)])
            sync = lambda: B.synchronize(xp)
            warm, n, *_ = time_blocks(lambda: trainer.iteration(data), sync, trainer.pop_records,
                                  **dict(timing, repeats=1))
            g_dims, d_dims, *_ = layer_dims(arch)
            gemms = iteration_gemms(g_dims, d_dims, m, getattr(trainer, "concat_real_fake", False))
            prof = Profiler()
            prof.install()
            plain, profiled, faults, bound, per_round = [], [], [], [], []
            try:
                for _ in range(rounds):
                    for active, times in ((False, plain), (True, profiled)):
                        prof.active = active
                        before = {k: list(v) for k, v in prof.stats.items()}
                        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                        sync()
                        t = time.perf_counter()
                        for _ in range(n):
                            trainer.iteration(data)
                        sync()
                        times.append((time.perf_counter() - t) / n * 1e3)
                        prof.active = False
                        if not active:
                            faults.append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / n)
                        else:
                            per_round.append({k: (v[1] - before.get(k, [0, 0.0])[1]) * 1e3 / n
                                              for k, v in prof.stats.items()})
                        trainer.pop_records()
                    bound.append(time_gemms(gemms, backend, 1))
            finally:
                prof.uninstall()
            total_calls = {k: v[0] / (n * rounds) for k, v in prof.stats.items()}
            gemm_alone = defaultdict(float)
            for (name, lay, M, K, N), calls in prof.gemm_calls.items():
                gemm_alone[name] += time_gemms([("", lay, M, K, N)], backend, rounds) * calls / (n * rounds)
            iteration_ms, wall, bound_ms = (statistics.median(x) for x in (plain, profiled, bound))
            rows = []
            for name in total_calls:
                ms = statistics.median(r.get(name, 0.0) for r in per_round)
                gemm = gemm_alone.get(name, 0.0)
                rows.append({"function": name, "calls_per_iter": total_calls[name], "ms": ms, "gemm_ms": gemm,
                             "non_gemm_ms": ms - gemm})
            rows.sort(key=lambda r: -r["non_gemm_ms"])
            non_gemm = sum(r["non_gemm_ms"] for r in rows)
            print(f"\n## profile: npgan {backend}, {arch}, batch {m}: {iteration_ms:.2f} ms/iter unprofiled "
                  f"(rounds {min(plain):.2f}–{max(plain):.2f}), {wall:.2f} profiled; all GEMMs alone {bound_ms:.2f} ms "
                  f"({bound_ms / iteration_ms:.0%}); iteration − GEMMs = {iteration_ms - bound_ms:.2f} ms; "
                  f"sum of the non-GEMM parts below {non_gemm:.2f} ms; minor page faults/iter "
                  f"{statistics.median(faults):.0f}\n")
            print("| function (exclusive time) | calls/iter | ms/iter | of which GEMM ms | non-GEMM ms | "
                  "non-GEMM % of iteration |\n|---|---|---|---|---|---|")
            for r in rows:
                if abs(r["non_gemm_ms"]) < 0.002 * wall:
                    continue
                print(f"| {r['function']} | {r['calls_per_iter']:.0f} | {r['ms']:.3f} | {r['gemm_ms']:.3f} | "
                      f"{r['non_gemm_ms']:.3f} | {r['non_gemm_ms'] / iteration_ms:.1%} |")
            results.append({"arch": arch, "batch": m, "backend": backend, "ms_per_iter": iteration_ms,
                            "ms_rounds": plain, "ms_profiled": wall, "gemm_ms": bound_ms,
                            "minor_faults_per_iter": statistics.median(faults), "functions": rows})
    return results
