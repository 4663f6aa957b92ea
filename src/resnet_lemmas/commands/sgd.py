"""``resnet-lemmas sgd``: measure SGD on the tweaked architecture against the proven bound.

For each horizon ``T`` and each architecture (original, tweak, split), ``--seeds`` single-pass SGD runs
estimate the average risk of the iterates on a held-out evaluation stream and compare it with
``F_lin`` and ``F_lin + B L b / sqrt(T)`` (theorem ``sgd_regret``); then the original and the tweaked
architecture are started at the bad saddle of the ``w = 0`` construction (the contrast).  See
``resnet_lemmas.numerics.solvers.sgd`` for the method and every tolerance.  Exit status 0 iff every check of
every architecture covered by the theorem passes.
"""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from ._common import positive_int

NAME = "sgd"
HELP = "measure SGD on the tweaked architecture against the proven F_lin + B L b / sqrt(T) bound"
ORDER = 40

DEFAULT_STEPS = (100, 1_000, 10_000, 100_000)


def add_arguments(parser) -> None:
    parser.add_argument("--steps", type=positive_int, nargs="+", metavar="T", default=list(DEFAULT_STEPS),
                        help="horizons T (default: 100 1000 10000 100000)")
    parser.add_argument("--seeds", type=positive_int, default=20, metavar="K",
                        help="runs per architecture and horizon (default 20, at least 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    parser.add_argument("--contrast-steps", type=int, default=10_000, metavar="T",
                        help="horizon of the saddle contrast (default 10000; 0 skips it)")
    parser.add_argument("--wiggle", type=float, default=0.0,
                        help="nonlinear part of the labels' log-odds (default 0: linear is optimal)")
    parser.add_argument("--radius", type=float, default=5.0, metavar="B",
                        help="radius B of the output weights' ball (must be >= ||u*||; default 5)")
    parser.add_argument("--population", type=positive_int, default=4000, metavar="N",
                        help="size of the pool whose uniform distribution is the population D "
                             "(default 4000)")
    parser.add_argument("--plot", metavar="FILE.png", help="write the log-log plot (needs matplotlib)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--output", metavar="FILE", help="also write the JSON report to FILE (atomically)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _matplotlib():
    """Import matplotlib lazily (the core does not need it); ``None`` when it is missing."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def excess_series(payload: dict, arch: str) -> dict:
    """What the plot draws for ``arch``: horizons with a positive mean excess (a log axis cannot show
    the others; they are listed in ``hidden``), the SE over seeds, and the bound at every horizon."""
    checks = [c for c in payload["checks"] if c["summary"]["architecture"] == arch]
    rows = [c["summary"] for c in checks]
    shown = [r for r in rows if r["mean_excess"] > 0]
    return {"covered": bool(checks and checks[0]["covered"]),
            "T": [r["T"] for r in shown], "mean": [r["mean_excess"] for r in shown],
            "se": [r["se_mean_excess"] for r in shown],
            "hidden": [r["T"] for r in rows if r["mean_excess"] <= 0],
            "bound_T": [r["T"] for r in rows], "bound": [r["bound"] for r in rows]}


def plot(payload: dict, path, plt) -> Path:
    """Log-log mean excess risk vs T (error bars: SE over seeds) with the bound, one colour per
    architecture; a second panel shows the saddle contrast when present.  Written atomically."""
    contrast = payload.get("contrast")
    fig, axes = plt.subplots(1, 2 if contrast else 1, figsize=(12 if contrast else 6.5, 4.8),
                             squeeze=False)
    ax = axes[0, 0]
    colours = {"original": "tab:red", "tweak": "tab:blue", "split": "tab:green"}
    hidden = []
    for arch in payload["setup"]["architectures"]:
        series = excess_series(payload, arch)
        hidden += [f"{arch} T={T}" for T in series["hidden"]]
        colour = colours.get(arch)
        label = f"{arch}: measured" + ("" if series["covered"] else " (no bound applies)")
        ax.errorbar(series["T"], series["mean"], yerr=series["se"], marker="o", capsize=3,
                    color=colour, label=label)
        if series["covered"]:
            ax.plot(series["bound_T"], series["bound"], linestyle="--", color=colour,
                    label=f"{arch}: bound B L b / sqrt(T)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("T (SGD steps)")
    ax.set_ylabel("(1/T) sum_t F(params_t) - F_lin")
    title = f"excess risk, {len(payload['seeds'])} seeds (error bars: SE)"
    if hidden:
        title += f"\nnot shown (<= 0): {', '.join(hidden)}"
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    if contrast:
        ax2 = axes[0, 1]
        steps = contrast["checkpoints"]
        for arch, entry in contrast["architectures"].items():
            import numpy as np

            frac = np.asarray(entry["gap_closed"])
            median = np.median(frac, axis=0)
            low, high = np.percentile(frac, [10, 90], axis=0)
            ax2.plot(steps, median, color=colours.get(arch), label=f"{arch} (median)")
            ax2.fill_between(steps, low, high, color=colours.get(arch), alpha=0.2)
        ax2.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
        ax2.set_xscale("log")
        ax2.set_xlabel("t")
        ax2.set_ylabel("fraction of the gap E l(0) - F_lin closed")
        ax2.set_title(f"from the bad saddle (w = 0, V = -a0 c0^T/||c0||^2), T = {contrast['T']}\n"
                      "band: 10-90% of seeds", fontsize=10)
        ax2.legend(fontsize=8)
        ax2.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    plt.close(fig)
    from ..reports import write_bytes_atomic

    return write_bytes_atomic(path, buffer.getvalue())


def _table(payload: dict) -> str:
    header = ["arch", "T", "mean excess", "SE", "bound", "excess/bound", "max run/bound", "checks"]
    rows = []
    for check in payload["checks"]:
        s = check["summary"]
        verdict = "n/a (not covered)" if not check["covered"] else (
            "ok" if check["ok"] else "FAILED: " + ", ".join(
                k for k in ("per_run", "mean", "per_run_high_probability", "regret")
                if not check[k]["ok"]))
        rows.append([s["architecture"], str(s["T"]), f"{s['mean_excess']:.3e}",
                     f"{s['se_mean_excess']:.1e}", f"{s['bound']:.3e}", f"{s['tightness']:.3f}",
                     f"{s['max_tightness']:.3f}", verdict])
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    return "\n".join([line, "-" * len(line)] + ["  ".join(c.ljust(w) for c, w in zip(r, widths))
                                                 for r in rows])


def _report(payload: dict) -> str:
    bm = payload["linear_benchmark"]
    out = [f"population: {payload['population']}",
           f"F_lin = {bm['F_lin']:.6f} (||u*|| = {bm['u_star_norm']:.3f} <= B = {bm['B']}; "
           f"||grad|| = {bm['grad_norm']:.1e}, suboptimality <= {bm['suboptimality_bound']:.1e})",
           "", _table(payload), ""]
    for arch, fit in payload["slopes"].items():
        slope = "n/a" if fit["slope"] is None else f"{fit['slope']:+.3f}"
        out.append(f"log-log slope of the mean excess, {arch}: {slope} (bound: -0.5)")
    contrast = payload.get("contrast")
    if contrast:
        out.append("")
        out.append(f"contrast from the bad saddle (T = {contrast['T']}, saddle ||grad F|| <= "
                   f"{contrast['saddle_grad_norm_max']:.1e}): steps to close 10% / 50% of the gap "
                   "E l(0; y) - F_lin (median over seeds; never = runs that did not)")
        for arch, entry in contrast["architectures"].items():
            out.append(f"  {arch:8s} 10%: {entry['median_steps_to_10pct']}  (never {entry['never_10pct']})"
                       f"   50%: {entry['median_steps_to_50pct']}  (never {entry['never_50pct']})"
                       f"   gap closed at T: {entry['final_gap_closed_median']:.3f}")
    out.append("")
    out.append(f"tolerances: {payload['tolerance']}")
    verdict = "the bound held in every check" if payload["ok"] else "SOME CHECK FAILED"
    out.append(f"{verdict} ({payload['seconds']:.1f} s)")
    return "\n".join(out)


def run(args) -> int:
    from ..reports import write_json_atomic

    plt = None
    if args.plot:
        plt = _matplotlib()
        if plt is None:
            print("error: --plot needs matplotlib (pip install 'matplotlib>=3.7'); nothing was run",
                  file=sys.stderr)
            return 2
    if args.seeds < 2:
        print("error: --seeds must be at least 2 (standard errors over seeds)", file=sys.stderr)
        return 2
    if args.contrast_steps < 0:
        print("error: --contrast-steps must be >= 0", file=sys.stderr)
        return 2
    from ..numerics.solvers.sgd import HypothesisViolation, SGDSetup, run_campaign

    setup = SGDSetup(wiggle=args.wiggle, B=args.radius, population_size=args.population)
    bar = None
    progress = None
    if not args.no_progress and not args.json:
        from tqdm import tqdm

        bar = tqdm(total=sum(args.steps) + args.contrast_steps, unit="step", unit_scale=True,
                   desc="sgd", file=sys.stderr, leave=False)
        progress = bar.update
    try:
        payload = run_campaign(setup, args.steps, args.seeds, args.seed,
                               contrast_steps=args.contrast_steps or None, progress=progress)
    except HypothesisViolation as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    if args.plot:
        payload["plot"] = str(plot(payload, args.plot, plt))
    if args.output:
        write_json_atomic(args.output, payload)
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        print(_report(payload))
    return 0 if payload["ok"] else 1
