"""Where the time of the default ``resnet-lemmas check`` goes: a per-lemma table and a profile.

Part 1 (timing): runs the default check exactly as a user does, ``resnet-lemmas check --json
--no-progress`` in a subprocess, and prints per lemma the symbolic seconds (the proof kernel), the
numeric seconds (the witness), their sum and the status, then the totals and the whole command's wall
time (including interpreter start and imports, which the report's own ``seconds`` does not see), with
the load average before and after.  The witnesses use their default worker processes.

Part 2 (profile, the default; ``--no-profile`` skips it): first the searches of the main-theorem
witness (its first 20 instances) without a profiler, timing the objective (``fun_and_grad``)
against everything else the searches do; then re-runs the same lemmas in this process under
``cProfile``, symbolic and numeric parts separately, with ``RESNET_LEMMAS_JOBS=1`` so that every
instance runs where the profiler sees it (the sum is CPU work, not wall time with workers).  Printed:

- per lemma, the three functions with the largest own (``tottime``) time;
- the functions with the largest cumulative and own time over all numeric parts, and over all
  symbolic parts;
- L-BFGS: calls of SciPy's ``_minimize_lbfgsb``, their total time, the time spent inside the
  objective functions SciPy called (project functions called from ``scipy/optimize``; this counts the
  objectives of every SciPy minimiser, so it is an upper bound for L-BFGS's), and the rest (SciPy's
  per-call and per-iteration overhead), per call and per objective evaluation;
- SymPy: calls and time of ``Context.instantiate`` -- how many instantiated an expression already
  instantiated in an identical context (same label and definitions), i.e. what a cache would save --
  and of ``residual_context``, ``lambdify``, ``simplify``, ``prove_zero``.

    python benchmarks/check_timing.py                  # both parts (about 2 x the check's time)
    python benchmarks/check_timing.py --no-profile     # the table only
    python benchmarks/check_timing.py --only zero_w_case --only residual_gradients
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time
from collections import Counter, defaultdict

TOP = 12


def timing_table(seed: int, only: list[str]) -> dict:
    """Run the CLI in a subprocess; print the per-lemma table; return the parsed report."""
    command = [sys.executable, "-m", "resnet_lemmas.cli", "check", "--json", "--no-progress",
               "--seed", str(seed)]
    for name in only:
        command += ["--only", name]
    shown = "resnet-lemmas " + " ".join(command[3:])
    load_before = os.getloadavg()
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    load_after = os.getloadavg()
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        sys.exit(f"{shown} did not print a JSON report (exit {completed.returncode}):\n"
                 f"{completed.stderr[-2000:]}")
    print(f"== {shown}  (exit status {completed.returncode})")
    print(f"{'lemma':40s} {'kind':10s} {'symbolic s':>10s} {'numeric s':>10s} {'total s':>8s} "
          f"{'instances':>9s}  status")
    sym_total = num_total = 0.0
    for lemma in report["lemmas"]:
        sym = lemma["symbolic"].get("seconds", 0.0) or 0.0
        num = lemma["numeric"].get("seconds", 0.0) or 0.0
        sym_total += sym
        num_total += num
        print(f"{lemma['name']:40s} {lemma['kind']:10s} {sym:10.2f} {num:10.2f} {lemma['seconds']:8.2f} "
              f"{lemma['numeric'].get('instances', 0):9d}  {lemma['status']}")
    print(f"{'sum':40s} {'':10s} {sym_total:10.2f} {num_total:10.2f} {report['seconds']:8.2f}")
    print(f"whole command: {wall:.1f} s wall (report {report['seconds']:.1f} s; interpreter start and "
          f"imports {wall - report['seconds']:.1f} s); status {report['status']}")
    print("load average before: %.2f %.2f %.2f; after: %.2f %.2f %.2f" % (*load_before, *load_after))
    return report


# -- profile ------------------------------------------------------------------------------------
def _label(func) -> str:
    filename, line, name = func
    for marker in ("site-packages/", "wt-", "/work/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{name} ({filename}:{line})"


def _print_top(stats: pstats.Stats, key: str, title: str) -> None:
    column = {"tottime": 2, "cumtime": 3}[key]
    rows = sorted(stats.stats.items(), key=lambda item: item[1][column], reverse=True)[:TOP]
    print(f"-- {title}")
    for func, (cc, nc, tt, ct, _) in rows:
        print(f"   {ct if key == 'cumtime' else tt:8.2f} s  {nc:8d} calls  {_label(func)}")


def _functions_named(stats: pstats.Stats, name: str, file_part: str = ""):
    return [(func, data) for func, data in stats.stats.items()
            if func[2] == name and file_part in func[0]]


def _lbfgs_report(stats: pstats.Stats) -> None:
    minimize = _functions_named(stats, "_minimize_lbfgsb")
    if not minimize:
        print("-- L-BFGS: no call of scipy.optimize._minimize_lbfgsb")
        return
    calls = sum(data[1] for _, data in minimize)
    total = sum(data[3] for _, data in minimize)
    # the objectives: functions outside site-packages (the project's objectives and their wrappers)
    # called directly by a function of scipy/optimize (its memoising / differentiable-function wrappers)
    objective_time, evaluations, objectives = 0.0, 0, Counter()
    for func, (cc, nc, tt, ct, callers) in stats.stats.items():
        if "site-packages" in func[0] or func[0].startswith("~"):
            continue
        from_scipy = [c for c in callers if "scipy/optimize" in c[0]]
        for c in from_scipy:
            # callers[c] = (cc, nc, tt, ct) of this function *as called from c*
            objective_time += callers[c][3]
            evaluations += callers[c][1]
            objectives[_label(func)] += callers[c][1]
    overhead = total - objective_time
    print(f"-- L-BFGS: {calls} runs of _minimize_lbfgsb, {total:.2f} s; inside the objectives "
          f"{objective_time:.2f} s over {evaluations} evaluations "
          f"({1e6 * objective_time / max(evaluations, 1):.0f} us each); SciPy's own overhead "
          f"{overhead:.2f} s = {1e3 * overhead / max(calls, 1):.2f} ms per run, "
          f"{1e6 * overhead / max(evaluations, 1):.0f} us per evaluation; "
          f"{evaluations / max(calls, 1):.0f} evaluations per run")
    for label, count in objectives.most_common(5):
        print(f"   objective {label}: {count} evaluations")


class InstantiateRecorder:
    """Wraps ``Context.instantiate``: counts calls, and calls that repeat an (identical context,
    expression, overrides) triple already seen -- the work a cache would save."""

    def __init__(self):
        self.calls = 0
        self.repeats = 0
        self.seconds = 0.0
        self.repeat_seconds = 0.0
        self.seen = set()
        self.by_label = defaultdict(int)
        self.contexts = {}
        self.alive = []
        self.original = None

    def install(self) -> bool:
        try:
            from resnet_lemmas.proofs.kernel import Context
        except ImportError:
            return False
        original = getattr(Context, "instantiate", None)
        if original is None:
            return False
        self.original = original
        recorder = self

        def instantiate(ctx, expr, overrides=None):
            key = recorder.key(ctx, expr, overrides)
            started = time.perf_counter()
            try:
                return original(ctx, expr, overrides)
            finally:
                spent = time.perf_counter() - started
                recorder.calls += 1
                recorder.seconds += spent
                if key is not None and key in recorder.seen:
                    recorder.repeats += 1
                    recorder.repeat_seconds += spent
                    recorder.by_label[ctx.label] += 1
                elif key is not None:
                    recorder.seen.add(key)

        Context.instantiate = instantiate
        return True

    def key(self, ctx, expr, overrides):
        """``(label, definitions, expression, overrides)`` by SymPy's structural hashes (cached on
        each object), the context's part computed once per context object; ``None`` if unhashable."""
        try:
            context_key = self.contexts.get(id(ctx))
            if context_key is None:
                context_key = (ctx.label, hash(frozenset(ctx.definitions.items())))
                self.contexts[id(ctx)] = context_key
                self.alive.append(ctx)          # keep it alive so that its id is not reused
            return context_key + (hash(expr), hash(frozenset((overrides or {}).items())))
        except TypeError:
            return None

    def uninstall(self) -> None:
        if self.original is not None:
            from resnet_lemmas.proofs.kernel import Context
            Context.instantiate = self.original


class ContextRecorder:
    """Wraps ``proofs.expressions.residual_context`` (as ``standard_contexts`` calls it): counts calls
    and calls with arguments already seen -- contexts rebuilt identically, what a cache would save.
    (A lemma that imported ``residual_context`` by name before the wrap is not seen.)"""

    def __init__(self):
        self.calls = self.repeats = 0
        self.seconds = self.repeat_seconds = 0.0
        self.seen = Counter()
        self.original = None

    def install(self) -> bool:
        try:
            from resnet_lemmas.proofs import expressions
        except ImportError:
            return False
        original = getattr(expressions, "residual_context", None)
        if original is None:
            return False
        self.original = original
        recorder = self

        def residual_context(*args, **kwargs):
            key = repr(args) + repr(sorted((k, getattr(v, "name", v)) for k, v in kwargs.items()))
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                recorder.calls += 1
                recorder.seconds += spent
                if recorder.seen[key]:
                    recorder.repeats += 1
                    recorder.repeat_seconds += spent
                recorder.seen[key] += 1

        expressions.residual_context = residual_context
        return True

    def uninstall(self) -> None:
        if self.original is not None:
            from resnet_lemmas.proofs import expressions
            expressions.residual_context = self.original


def _sympy_report(stats: pstats.Stats, recorder: InstantiateRecorder | None,
                  contexts: ContextRecorder | None = None) -> None:
    print("-- SymPy")
    for name, part in (("instantiate", "kernel"), ("residual_context", "expressions"),
                       ("lambdify", "primitives"), ("lambdify", "sympy"), ("simplify", "sympy"),
                       ("prove_zero", "kernel"), ("doit", "sympy")):
        found = _functions_named(stats, name, part)
        if found:
            calls = sum(data[1] for _, data in found)
            cumulative = max(data[3] for _, data in found)   # nested calls: the outermost bounds it
            print(f"   {name:18s} ({part:11s}) {calls:8d} calls, {cumulative:8.2f} s cumulative")
    if recorder is not None and recorder.calls:
        # nested instantiate calls (overrides) are counted at each level: seconds overlap
        print(f"   Context.instantiate (wrapped, symbolic and numeric parts): {recorder.calls} calls, "
              f"{recorder.seconds:.2f} s; "
              f"{recorder.repeats} repeat an identical (context, expression, overrides) already "
              f"instantiated, {recorder.repeat_seconds:.2f} s of them")
        for label, count in sorted(recorder.by_label.items(), key=lambda kv: -kv[1])[:5]:
            print(f"      {count:6d} repeats in context {label}")
    if contexts is not None and contexts.calls:
        print(f"   residual_context (wrapped, symbolic and numeric parts): {contexts.calls} calls, "
              f"{contexts.seconds:.2f} s; "
              f"{contexts.repeats} rebuild a context already built with the same arguments, "
              f"{contexts.repeat_seconds:.2f} s of them; most built: "
              + ", ".join(f"{key} x{count}" for key, count in contexts.seen.most_common(3)))


class _TimedProblem:
    """Delegates to a ``ResNetProblem`` and times its ``fun_and_grad`` (the L-BFGS objective)."""

    def __init__(self, problem):
        self._problem = problem
        self.calls = 0
        self.seconds = 0.0

    def __getattr__(self, name):
        return getattr(self._problem, name)

    def fun_and_grad(self, flat):
        started = time.perf_counter()
        try:
            return self._problem.fun_and_grad(flat)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


def search_overhead(seed: int, instances: int = 20) -> None:
    """The main-theorem witness's searches without a profiler, on its first ``instances`` instances
    (single-threaded BLAS, as the witness runs): the time inside the objective
    (``ResNetProblem.fun_and_grad``, called by L-BFGS-B) against everything else the searches do
    (SciPy's L-BFGS-B, the search's wrapper, and -- in the refined search -- Hessians, Newton and
    curvature steps and the certificate)."""
    from resnet_lemmas.numerics._blas import single_threaded_blas
    from resnet_lemmas.numerics.witnesses import local_minima_beat_linear as witness
    from resnet_lemmas.numerics.witnesses.harness import instance_seeds

    if hasattr(witness, "search_and_certify"):          # the refined search and its certificate
        def instance(instance_seed):
            return witness.sample_minimum_instance(instance_seed).problem

        def search(problem, instance_seed):
            return witness.search_and_certify(problem, instance_seed, max_starts=witness.MAX_STARTS,
                                              wanted=witness.WANTED, maxiter=witness.MAXITER)
        what = "refined searches and certificates"
    else:                                               # plain multi-start L-BFGS-B
        from resnet_lemmas.numerics.data.instances import sample_instance
        from resnet_lemmas.numerics.solvers.search import local_minimum_search

        def instance(instance_seed):
            return sample_instance(instance_seed, n=(20, 32)).problem

        def search(problem, instance_seed):
            return local_minimum_search(problem, instance_seed, restarts=witness.RESTARTS,
                                        maxiter=witness.MAXITER, gtol=witness.GTOL)
        what = "L-BFGS-B searches"
    total = objective = 0.0
    evaluations = 0
    with single_threaded_blas():
        for instance_seed in instance_seeds(seed, instances):
            timed = _TimedProblem(instance(instance_seed))
            started = time.perf_counter()
            search(timed, instance_seed)
            total += time.perf_counter() - started
            objective += timed.seconds
            evaluations += timed.calls
    rest = total - objective
    print(f"\n== main-theorem witness, {what}, no profiler ({instances} instances, {evaluations} "
          f"objective evaluations): {total:.2f} s = objective {objective:.2f} s "
          f"({1e6 * objective / max(evaluations, 1):.0f} us per evaluation) + the rest {rest:.2f} s "
          f"({1e6 * rest / max(evaluations, 1):.0f} us per evaluation, {1e3 * rest / instances:.1f} ms "
          f"per instance)")


def profile(seed: int, only: list[str]) -> None:
    os.environ["RESNET_LEMMAS_JOBS"] = "1"
    from resnet_lemmas import check, registry

    recorder = InstantiateRecorder()
    if not recorder.install():
        recorder = None
    contexts = ContextRecorder()
    if not contexts.install():
        contexts = None
    combined = {"symbolic": None, "numeric": None}
    print("\n== profile (this process, RESNET_LEMMAS_JOBS=1, cProfile: times inflated by profiling)")
    print(f"{'lemma':40s} {'part':9s} {'seconds':>8s}  largest own times")
    started = time.perf_counter()
    for registered in registry.select(only or None):
        for part in ("symbolic", "numeric"):
            profiler = cProfile.Profile()
            t0 = time.perf_counter()
            profiler.enable()
            outcome = check.check_lemma(registered, seed, symbolic=part == "symbolic",
                                        numeric=part == "numeric")
            profiler.disable()
            seconds = time.perf_counter() - t0
            stats = pstats.Stats(profiler)
            if combined[part] is None:
                combined[part] = stats
            else:
                combined[part].add(profiler)
            top = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:3]
            tops = "; ".join(f"{data[2]:.2f} s {func[2]}" for func, data in top)
            flag = "" if not outcome.error else f"  [error: {outcome.error[:60]}]"
            print(f"{registered.name:40s} {part:9s} {seconds:8.2f}  {tops}{flag}", flush=True)
    print(f"profiled total {time.perf_counter() - started:.1f} s")
    for installed in (recorder, contexts):
        if installed is not None:
            installed.uninstall()
    for part in ("numeric", "symbolic"):
        stats = combined[part]
        if stats is None:
            continue
        print(f"\n== {part} parts, all lemmas")
        _print_top(stats, "cumtime", f"largest cumulative times ({part})")
        _print_top(stats, "tottime", f"largest own times ({part})")
        _lbfgs_report(stats)
        if part == "symbolic":
            _sympy_report(stats, recorder, contexts)
        else:
            _sympy_report(stats, None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", action="append", default=[], metavar="NAME")
    parser.add_argument("--no-profile", action="store_true", help="print the timing table only")
    parser.add_argument("--profile-only", action="store_true", help="skip the timing run")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores; python {sys.version.split()[0]}; seed {args.seed}")
    if not args.profile_only:
        timing_table(args.seed, args.only)
    if not args.no_profile:
        search_overhead(args.seed)
        profile(args.seed, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
