"""``resnet-lemmas sgd``: measure SGD on the tweaked architecture against the bound of ``sgd_regret``.

For each horizon ``T`` and each architecture (original, tweak, split), ``--seeds`` single-pass SGD runs
estimate the average risk of the iterates on a held-out evaluation stream and compare it with
``F_lin`` and ``F_lin + B L b / sqrt(T)`` (the bound of theorem ``sgd_regret``, which the kernel proves
at every ``T`` for data uniform on ``n`` points; here the data are a sample of a continuous
distribution); then the original
and the tweaked architecture are started at the bad saddle of the ``w = 0`` construction (the contrast).  See
``resnet_lemmas.numerics.solvers.sgd`` for the method and every tolerance.  Exit status 0 iff every check of
every architecture covered by the theorem passes.
"""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from ._common import (Refused, distinct_outputs, finite_float, int_at_least, nonnegative_int,
                      output_file, positive_float, positive_int, save_output, seed)

NAME = "sgd"
HELP = ("measure SGD on the tweaked architecture against the bound F_lin + B L b / sqrt(T) (kernel-proven "
        "at every T)")
ORDER = 40

DEFAULT_STEPS = (100, 1_000, 10_000, 100_000)


def add_arguments(parser) -> None:
    parser.add_argument("--steps", type=positive_int, nargs="+", metavar="T", default=list(DEFAULT_STEPS),
                        help="horizons T (default: 100 1000 10000 100000)")
    parser.add_argument("--seeds", type=int_at_least(2, " (standard errors need two runs)"), default=20,
                        metavar="K", help="runs per architecture and horizon (default 20, at least 2)")
    parser.add_argument("--seed", type=seed, default=0,
                        help="seed of every random choice, an integer >= 0 (default 0)")
    parser.add_argument("--contrast-steps", type=nonnegative_int, default=10_000, metavar="T",
                        help="horizon of the saddle contrast (default 10000; 0 skips it)")
    parser.add_argument("--wiggle", type=finite_float, default=0.0,
                        help="nonlinear part of the labels' log-odds (default 0: linear is optimal)")
    parser.add_argument("--radius", type=positive_float, default=5.0, metavar="B",
                        help="radius B of the output weights' ball (must be >= ||u*||; default 5)")
    parser.add_argument("--population", type=positive_int, default=4000, metavar="N",
                        help="size of the pool whose uniform distribution is the population D "
                             "(default 4000)")
    parser.add_argument("--plot", metavar="FILE", type=output_file("--plot", tuple(PLOT_FORMATS), "the plot"),
                        help="write the log-log plot; the format follows the extension: .png, .pdf or "
                             ".svg (needs matplotlib)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of a table (progress stays on stderr)")
    parser.add_argument("--output", metavar="FILE", type=output_file("--output"),
                        help="also write the JSON report to FILE (atomically)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def validate(args) -> None:
    """Refuse, before any SGD step, a plot without matplotlib and two outputs on one file."""
    distinct_outputs(**{"--plot": args.plot, "--output": args.output})
    if args.plot and _matplotlib() is None:
        raise Refused("--plot needs matplotlib (pip install 'matplotlib>=3.7'); nothing was run")


#: plot formats, by file extension (matplotlib writes each natively); anything else is refused
PLOT_FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
#: half-width of the error bars of the mean excess, in standard errors over seeds (about 95 %)
ERROR_BAR_SE = 2.0
#: horizontal offset of each architecture's runs, in decades of T, so that their dots do not overlap
RUN_OFFSET_DECADES = 0.035


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
    the others; they are listed in ``hidden``), the SE over seeds, every run's own excess (``runs``:
    ``(T, excess)`` pairs with excess > 0), and the bound at every horizon."""
    checks = [c for c in payload["checks"] if c["summary"]["architecture"] == arch]
    rows = [c["summary"] for c in checks]
    shown = [r for r in rows if r["mean_excess"] > 0]
    runs = [(rec["T"], value) for rec in payload.get("records", []) if rec["architecture"] == arch
            for value in rec["excess"] if value > 0]
    return {"covered": bool(checks and checks[0]["covered"]),
            "T": [r["T"] for r in shown], "mean": [r["mean_excess"] for r in shown],
            "se": [r["se_mean_excess"] for r in shown],
            "hidden": [r["T"] for r in rows if r["mean_excess"] <= 0],
            "bound_T": [r["T"] for r in rows], "bound": [r["bound"] for r in rows],
            "runs": runs}


#: the labels, in matplotlib's mathtext
EXCESS_LABEL = r"$\frac{1}{T}\sum_{t=1}^{T} F(\mathrm{params}_t) - F_{\mathrm{lin}}$"
HORIZON_LABEL = r"horizon $T$ (SGD steps)"
BOUND_LABEL = r"bound $B L b / \sqrt{T}$"
GAP_LABEL = r"fraction of the gap $\mathbb{E}\,\ell(0; y) - F_{\mathrm{lin}}$ closed"
SADDLE_TITLE = r"from the bad saddle $w = 0,\ V = -a_0 c_0^{\top} / \|c_0\|^2$"


def figure(payload: dict, plt):
    """The figure of :func:`plot` (returned open, for tests and notebooks).

    Left: log-log excess risk against ``T``; every run is a small dot (the spread the error bars
    summarise), the mean over seeds a hollow marker with error bars of ``ERROR_BAR_SE`` standard
    errors, the bound a dashed line, one colour per architecture.  Right (when the saddle contrast
    was run): the median fraction of the gap closed, with the band from the 10th to the 90th
    percentile of the seeds."""
    import numpy as np

    contrast = payload.get("contrast")
    fig, axes = plt.subplots(1, 2 if contrast else 1, figsize=(12.5 if contrast else 6.5, 5.0),
                             squeeze=False)
    ax = axes[0, 0]
    colours = {"original": "tab:red", "tweak": "tab:blue", "split": "tab:green"}
    architectures = payload["setup"]["architectures"]
    hidden = []
    for position, arch in enumerate(architectures):
        series = excess_series(payload, arch)
        hidden += [f"{arch} T={T}" for T in series["hidden"]]
        colour = colours.get(arch)
        shift = 10 ** (RUN_OFFSET_DECADES * (position - (len(architectures) - 1) / 2))
        if series["runs"]:
            run_T, run_excess = zip(*series["runs"])
            ax.scatter(np.asarray(run_T) * shift, run_excess, s=9, color=colour, alpha=0.35,
                       linewidths=0, zorder=2)
        label = f"{arch}: mean" + ("" if series["covered"] else " (no bound applies)")
        ax.errorbar(np.asarray(series["T"]) * shift, series["mean"],
                    yerr=ERROR_BAR_SE * np.asarray(series["se"]), marker="o", markersize=6,
                    markerfacecolor="white", capsize=5, elinewidth=1.8, capthick=1.8, color=colour,
                    label=label, zorder=3)
        if series["covered"]:
            ax.plot(series["bound_T"], series["bound"], linestyle="--", color=colour,
                    label=f"{arch}: {BOUND_LABEL}", zorder=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(HORIZON_LABEL)
    ax.set_ylabel(EXCESS_LABEL)
    title = (f"excess risk over {len(payload['seeds'])} seeds: dots = single runs, "
             rf"bars = mean $\pm$ {ERROR_BAR_SE:g} SE")
    if hidden:
        title += f"\nnot shown (mean $\\leq$ 0): {', '.join(hidden)}"
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    if contrast:
        ax2 = axes[0, 1]
        steps = contrast["checkpoints"]
        for arch, entry in contrast["architectures"].items():
            frac = np.asarray(entry["gap_closed"])
            median = np.median(frac, axis=0)
            low, high = np.percentile(frac, [10, 90], axis=0)
            ax2.plot(steps, median, color=colours.get(arch), label=f"{arch} (median)")
            ax2.fill_between(steps, low, high, color=colours.get(arch), alpha=0.25,
                             label=f"{arch} (10-90 % of seeds)")
        ax2.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
        ax2.set_xscale("log")
        ax2.set_xlabel(r"step $t$")
        ax2.set_ylabel(GAP_LABEL)
        ax2.set_title(f"{SADDLE_TITLE}, $T$ = {contrast['T']}", fontsize=10)
        ax2.legend(fontsize=8)
        ax2.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


def render_plot(payload: dict, suffix: str, plt) -> bytes:
    """:func:`figure` as the bytes of a file with extension ``suffix`` (:data:`PLOT_FORMATS`: PNG,
    PDF or SVG; anything else is a ``ValueError``)."""
    fmt = PLOT_FORMATS.get(suffix.lower())
    if fmt is None:
        raise ValueError(f"plot format {suffix or '(none)'!r}: the format follows the extension; use "
                         f"one of {', '.join(PLOT_FORMATS)}")
    fig = figure(payload, plt)
    buffer = io.BytesIO()
    # fixed metadata: the same payload gives the same bytes (no creation date in PDF/SVG)
    metadata = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None},
                "svg": {"Date": None}}[fmt]
    fig.savefig(buffer, format=fmt, dpi=120, metadata=metadata)
    plt.close(fig)
    return buffer.getvalue()


def plot(payload: dict, path, plt) -> Path:
    """Write :func:`render_plot` to ``path`` atomically, in the format its extension names."""
    from ..reports import write_bytes_atomic

    return write_bytes_atomic(path, render_plot(payload, Path(path).suffix, plt))


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
    from ..numerics.solvers.sgd import HypothesisViolation, SGDSetup, run_campaign

    setup = SGDSetup(wiggle=args.wiggle, B=args.radius, population_size=args.population)
    bar = None
    progress = None
    if not args.no_progress:   # stderr: on under --json too (stdout carries only the JSON object)
        from tqdm import tqdm

        bar = tqdm(total=sum(args.steps) + args.contrast_steps, unit="step", unit_scale=True,
                   desc="sgd", file=sys.stderr, leave=False)
        progress = bar.update
    try:
        payload = run_campaign(setup, args.steps, args.seeds, args.seed,
                               contrast_steps=args.contrast_steps or None, progress=progress)
    except HypothesisViolation as exc:
        raise Refused(str(exc), reason="precondition") from None
    finally:
        if bar is not None:
            bar.close()
    written = True
    if args.plot:
        path, written = save_output(NAME, "--plot", args.plot,
                                    render_plot(payload, Path(args.plot).suffix, _matplotlib()))
        payload["plot"] = None if path is None else str(path)
    if args.json:
        print(json.dumps(payload, indent=2), flush=True)
    else:
        print(_report(payload), flush=True)
    if args.output:
        _, ok = save_output(NAME, "--output", args.output, json.dumps(payload, indent=2) + "\n")
        written = written and ok
    return 0 if payload["ok"] and written else 1
