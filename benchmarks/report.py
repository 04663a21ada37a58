"""The step benchmark's report: the machine, npgan / PyTorch and DeZero / npgan ratios, the table, the plot."""
import inspect
import os
import platform
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path

import numpy as np

from harness import OPENBLAS_HINTS

ARCHS = ("slides", "paper")
SCALING_BATCH = 128


def gpu_status():
    from npgan import backend as B
    return B.gpu_available(), B._gpu_problem()


def default_hidden(arch):
    from npgan.gan import presets
    return presets.recipe(arch).hidden


def machine_info(threads, unset_hints):
    info = {"python": platform.python_version(), "numpy": np.__version__, "threads": threads,
            "cores": os.cpu_count(), "platform": platform.platform()}
    try:
        model = [line.split(":", 1)[1].strip() for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True).stdout.splitlines() if line.startswith("Model name")]
        info["cpu"] = model[0] if model else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                        for i in threadpool_info() if i["user_api"] == "blas"]
    except ImportError:
        config = np.show_config(mode="dicts") if "mode" in inspect.signature(np.show_config).parameters else {}
        blas = config.get("Build Dependencies", {}).get("blas", {})
        info["blas"] = [{"internal_api": blas.get("name"), "version": blas.get("version"),
                         "architecture": "(install threadpoolctl to see the kernel)"}]
    info["openblas_env"] = {k: os.environ[k] for k in OPENBLAS_HINTS if k in os.environ}
    info["openblas_env_unset_for_children"] = bool(unset_hints and info["openblas_env"])
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_blas"] = "MKL" if torch.backends.mkl.is_available() else "other"
        info["torch_cuda"] = torch.version.cuda
    except Exception:
        info["torch"] = None
    ok, _ = gpu_status()
    if ok:
        from npgan.backend import cupy
        info["cupy"] = cupy.__version__
        info["gpu"] = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
        info["cupy_tf32"] = os.environ.get("CUPY_TF32", "0")  # float32 GEMMs in full float32 unless "1"
    if info.get("torch_cuda"):
        import torch
        info["torch_allow_tf32"] = torch.backends.cuda.matmul.allow_tf32
    return info


def _round_ratios(r, other, prefix):
    """The blocks of one round ran back to back: their ratios are the least drift-prone comparison."""
    rounds = [a / b for a, b in zip(r["ms_blocks"], other["ms_blocks"])]
    q = statistics.quantiles(rounds, n=4) if len(rounds) >= 2 else [rounds[0]] * 3
    r[f"{prefix}_rounds"], r[f"{prefix}_q1"], r[f"{prefix}_median"], r[f"{prefix}_q3"] = rounds, q[0], q[1], q[2]


def attach_ratios(records):
    """npgan ms / torch ms (variant concat) on the npgan record (`ratio`: of the medians; `ratio_rounds`: of
    the blocks of each round, and their quartiles `ratio_q1`, `ratio_median`, `ratio_q3`), and DeZero ms /
    npgan ms on the DeZero record likewise (`vs_npgan`, `vs_npgan_rounds`, `vs_npgan_q1/median/q3`). The
    table shows the round-by-round median: the least drift-prone figure on a shared machine."""
    key = lambda r: ("cuda" if r["backend"] in ("cupy", "cuda") else "cpu", r["arch"], r["batch"], r["hidden"])
    torch_by = {key(r): r for r in records if r["framework"] == "torch" and r.get("variant") == "concat"}
    npgan_by = {key(r): r for r in records if r["framework"] == "npgan" and not r.get("variant")}
    for r in records:  # the diagnostic npgan variant, against the same PyTorch
        if r["framework"] == "npgan" and r.get("variant") and key(r) in torch_by:
            r["ratio"] = r["ms_per_iter"] / torch_by[key(r)]["ms_per_iter"]
        if r["framework"] == "dezero" and key(r) in npgan_by:
            r["vs_npgan"] = r["ms_per_iter"] / npgan_by[key(r)]["ms_per_iter"]
            _round_ratios(r, npgan_by[key(r)], "vs_npgan")
    for k, r in npgan_by.items():
        if k in torch_by:
            r["torch_ms"] = torch_by[k]["ms_per_iter"]
            r["ratio"] = r["ms_per_iter"] / torch_by[k]["ms_per_iter"]
            torch_by[k]["ratio"] = r["ratio"]
            _round_ratios(r, torch_by[k], "ratio")


def format_table(records):
    """A markdown table: one row per (device, arch, batch, hidden)."""
    key = lambda r: ("GPU" if r["backend"] in ("cupy", "cuda") else "CPU", r["arch"], r["hidden"], r["batch"])
    rows = defaultdict(dict)
    for r in records:
        name = f"{r['framework']}-{r['variant']}" if r.get("variant") else r["framework"]
        rows[key(r)][name] = r
    spread = lambda r: f"{r['ms_per_iter']:.2f} ({r['ms_min']:.2f}–{r['ms_max']:.2f})" if r else "–"
    cell = lambda r, f, fmt: format(r[f], fmt) if r and r.get(f) is not None else "–"
    out = ["| device | arch | hidden | batch | npgan ms/iter (min–max) | PyTorch ms/iter (min–max) | "
           "npgan / PyTorch (round by round: quartiles) | DeZero ms/iter (min–max), dtype | "
           "DeZero / npgan (quartiles) | GEMM bound ms: npgan / torch / DeZero | "
           "GEMM share: npgan / torch / DeZero | peak MB: npgan / torch / DeZero | "
           "PyTorch, D(real), D(fake) separately: ms | npgan with torch.mm's GEMMs: ms (/ PyTorch) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for k in sorted(rows, key=lambda k: (k[0], ARCHS.index(k[1]) if k[1] in ARCHS else 9, k[2], k[3])):
        n, t, s = rows[k].get("npgan"), rows[k].get("torch-concat"), rows[k].get("torch-separate")
        z = rows[k].get("dezero-float32") or rows[k].get("dezero-as-shipped")
        mixed = rows[k].get("npgan-torch-gemms")
        mixed = f"{mixed['ms_per_iter']:.2f} ({mixed['ratio']:.2f})" if mixed and "ratio" in mixed else "–"
        quartiles = lambda r, p: f"**{r[p + '_median']:.2f}** ({r[p + '_q1']:.2f}–{r[p + '_q3']:.2f})"
        ratio = quartiles(n, "ratio") if n and "ratio_q1" in n else "–"
        dz = f"{spread(z)}, {'+'.join(z['dtypes'])}" if z else "–"
        dz_ratio = quartiles(z, "vs_npgan") if z and "vs_npgan_q1" in z else "–"
        three = lambda f, fmt: " / ".join(cell(r, f, fmt) for r in (n, t, z))
        out.append(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {spread(n)} | {spread(t)} | {ratio} | {dz} | {dz_ratio} | "
                   f"{three('gemm_ms', '.2f')} | {three('gemm_share', '.0%')} | {three('peak_mb', '.1f')} | "
                   f"{cell(s, 'ms_per_iter', '.2f')} | {mixed} |")
    return "\n".join(out)


def plot(records, path):
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax_b, ax_h) = plt.subplots(1, 2, figsize=(12, 4.8))
    style = {("npgan", "numpy"): ("C0", "npgan (NumPy)"), ("torch", "cpu"): ("C1", "PyTorch CPU"),
             ("npgan", "cupy"): ("C2", "npgan (CuPy)"), ("torch", "cuda"): ("C3", "PyTorch CUDA"),
             ("dezero", "numpy"): ("C4", "DeZero (NumPy)")}
    marker = {"slides": "o", "paper": "s"}
    main = [r for r in records if r.get("variant", "concat") in ("concat", "float32")]
    for (fw, backend), (color, label) in style.items():
        for arch in ARCHS:
            pts = sorted((r["batch"], r["ms_per_iter"], r["gemm_ms"]) for r in main if r["framework"] == fw
                         and r["backend"] == backend and r["arch"] == arch and r["hidden"] == default_hidden(arch))
            if len(pts) < 2:
                continue
            b, ms, gemm = zip(*pts)
            ax_b.plot(b, ms, marker=marker[arch], color=color, label=f"{label}, {arch}",
                      linestyle="-" if arch == "slides" else "--")
            if fw == "npgan":
                ax_b.plot(b, gemm, color=color, alpha=0.45, linestyle=":", marker=marker[arch], markersize=3,
                          label=f"GEMMs alone ({backend}), {arch}")
        pts = sorted((r["hidden"], r["ms_per_iter"], r["gemm_ms"]) for r in main if r["framework"] == fw
                     and r["backend"] == backend and r["arch"] == "slides" and r["batch"] == SCALING_BATCH)
        if len(pts) >= 2:
            h, ms, gemm = zip(*pts)
            ax_h.plot(h, ms, marker="o", color=color, label=label)
            if fw == "npgan":
                ax_h.plot(h, gemm, color=color, alpha=0.45, linestyle=":", marker="o", markersize=3,
                          label=f"GEMMs alone ({backend})")
    ax_b.set(xscale="log", yscale="log", xlabel="batch size m", ylabel="ms per iteration (D step + G step)",
             title="time per iteration vs batch size")
    ax_h.set(xscale="log", yscale="log", xlabel="hidden width h (slides: G z→h→2h→4h→8h→784)",
             ylabel="ms per iteration", title=f"slides arch, batch {SCALING_BATCH}: vs hidden width")
    for ax in (ax_b, ax_h):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    hiddens = {r["hidden"] for r in main if r["arch"] == "slides" and r["batch"] == SCALING_BATCH}
    for ax, xs in ((ax_b, sorted({r["batch"] for r in main})), (ax_h, sorted(hiddens))):
        if xs:
            ax.set_xticks(xs)
            ax.set_xticklabels([str(x) for x in xs])
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: f"{v:g}" if str(int(v))[0] in "25" and v == float(f"{v:.1g}") else ""))
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
