"""The mutation suite: seeded, plausible bugs that ``resnet-lemmas check`` itself must catch (issue 10).

Each :class:`Mutant` is data: a file of the package (``proofs/...``, ``numerics/...`` or
``src/resnet_lemmas/...``), the exact text to find there (it must occur exactly once: a refactor that
moves the code makes :func:`apply` fail loudly instead of silently testing nothing), its replacement,
the lemma(s) whose check must fail, the kind of check that must catch it, and a one-line description.

How a mutant is run (:func:`run_mutant`): the package is assembled into a scratch ``resnet_lemmas/`` tree
(``src/resnet_lemmas`` with ``proofs/`` and ``numerics/`` as its subpackages, the layout setup.cfg
installs), the mutant is applied to the copy, and ``python -m resnet_lemmas.cli check --only LEMMA ...
--json --seed 0 [--instances N]`` runs with ``PYTHONPATH`` set to the scratch tree (and one worker
process: the suite runs two mutants at a time itself), so the installed package is never touched.  The
mutant is *caught* when ``check`` exits 1, every named lemma reports a status other than
``verified``/``completed``, and the layer its kind names rejected it (:data:`KIND_LAYERS`: the proof, the
witness's claims, or the witness's share of certified instances).  A command that crashes (no JSON on
stdout) or hangs counts as *not* caught: a mutant must be a bug in the mathematics or the numerics, not
a syntax error.

Settings: every mutant runs at a small instance count (:data:`INSTANCES`, a few seconds each).  The
instances of ``--instances N`` are the first ``N`` of the default run (``harness.instance_seeds``), so a
claim that fails there fails at the defaults too; verdicts that depend on counts (inconclusive) and a
handful of others (``default=True``) also run at the default settings, because users run the defaults.
Before any verdict counts, :func:`control_runs` checks that the *unmutated* scratch tree passes at every
setting used.

Command line: ``python tests/mutation/mutation_suite.py`` runs the suite (``--only NAME``, ``--jobs N``,
``--no-defaults``, ``--output FILE`` for the JSON record); ``--old`` also runs each mutant's counterpart
on the tree before issue 10 (:data:`OLD_ROOT`, :func:`old_counterpart`) at the default settings and prints
the table of README.md.  ``test_mutation_suite.py`` holds the fast checks and the slow test CI runs.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from dataclasses import replace as _replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: The scratch tree: ``resnet_lemmas/`` is ``src/resnet_lemmas`` with these folders as subpackages.
SUBPACKAGES = ("proofs", "numerics")
#: Statuses of a lemma that pass ``check``.
PASSING = ("verified", "completed")
#: Seconds one ``check`` run may take before it is reported as hanging (the slowest default run of one
#: lemma, the main theorem's witness before issue 10, took 85 s on one core at load 4).
RUN_TIMEOUT = 900
SEED = 0

#: Instances per lemma for the small runs: each witness is conclusive there on the unmutated code (its
#: searches run on a fixed share of instances chosen by index), in a few seconds.
INSTANCES = {
    "residual_gradients": 20,
    "stationarity_consequences": 20,
    "zero_w_case": 20,
    "local_minima_beat_linear": 20,
    "feature_benchmark_reached": 20,
    "approximate_stationarity_bound": 20,
    "bad_saddle_at_zero": 20,
    "sgd_regret": 20,
    "no_skip_bad_minimum": 20,
    "vector_outputs": 20,
    "vector_outputs_counterexample_search": 4,
    "regularised_bad_minima": 12,
    "multi_block_experiment": 4,
}

#: The kinds of check a mutant may be declared to be caught by, and what each must show in the report of
#: every named lemma: ``"proof"`` the kernel refused it; ``"witness"`` a claim of the witness failed;
#: ``"witness inconclusive"`` the witness certified too few instances.  A wrong relation in a lemma's
#: conclusion (or in an expression of the lemma a witness compiles) must fail both: the kernel refuses the
#: proof, and the witness, which evaluates it through the bridge, fails numerically.
KIND_LAYERS = {
    "symbolic step": ("proof",),
    "inequality certificate": ("proof",),
    "conclusion through the bridge": ("proof", "witness"),
    "numeric witness claim": ("witness",),
    "local-minimum certificate": ("witness",),
    "benchmark bracket": ("witness",),
    "saddle certificate": ("witness",),
    "experiment sanity claim": ("witness",),
    "conclusive share": ("witness inconclusive",),
}
KINDS = tuple(KIND_LAYERS)
#: The kind of the counterparts before issue 10: any rejection is recorded (the table says which).
ANY_CHECK = "any check"


@dataclass(frozen=True)
class Mutant:
    """One planted bug.  ``find``/``replace`` are strings, or tuples of strings for a bug that touches
    several places of the same file (each ``find`` must occur exactly once).  ``lemmas``: the lemmas whose
    check must fail; ``kind``: the kind of check that must catch it (:data:`KIND_LAYERS`; a mutant caught
    by another check than declared counts as *not* caught, so the coverage table stays true).
    ``instances``: the small run's ``--instances`` (default: :data:`INSTANCES` of the first lemma);
    ``default``: also run at the default settings."""

    name: str
    file: str
    find: str | tuple
    replace: str | tuple
    lemmas: tuple
    description: str
    kind: str
    instances: int | None = None
    default: bool = False

    @property
    def edits(self) -> list[tuple[str, str]]:
        finds = (self.find,) if isinstance(self.find, str) else tuple(self.find)
        replaces = (self.replace,) if isinstance(self.replace, str) else tuple(self.replace)
        if len(finds) != len(replaces):
            raise ValueError(f"mutant {self.name}: {len(finds)} find texts but {len(replaces)} replacements")
        return list(zip(finds, replaces))

    @property
    def small_instances(self) -> int:
        return self.instances if self.instances is not None else INSTANCES[self.lemmas[0]]


class MutantError(RuntimeError):
    """A mutant cannot be applied (its file is missing, or a find text does not occur exactly once)."""


MUTANTS: tuple[Mutant, ...] = (
    # -- the model (numerics/models) ------------------------------------------------------------------
    Mutant("model_c_sign", "numerics/models/residual.py",
           "        c = Fx.T @ r / n\n", "        c = -Fx.T @ r / n\n",
           ("residual_gradients",), "c = E[l'(p) f] computed with the wrong sign (hence grad_w, grad_V too)",
           "numeric witness claim", default=True),
    Mutant("model_F_not_a_mean", "numerics/models/residual.py",
           "        F = float(np.sum(self.loss.value(p, self.y))) / n\n",
           "        F = float(np.sum(self.loss.value(p, self.y)))\n",
           ("residual_gradients",), "the 1/n of F dropped in the model's gradients() (F is the sum, not the mean)",
           "numeric witness claim"),
    Mutant("model_grad_w_sign", "numerics/models/residual.py",
           "grad_w = r_x + Vc if self.skip else Vc", "grad_w = r_x - Vc if self.skip else Vc",
           ("stationarity_consequences",), "grad_w F = E[l' x] - V c: a sign in the model's gradient",
           "numeric witness claim"),
    Mutant("model_r_x_not_a_mean", "numerics/models/residual.py",
           "        r_x = self.X.T @ r / n\n", "        r_x = self.X.T @ r\n",
           ("local_minima_beat_linear",), "the 1/n of E[l'(p) x] dropped: grad_w F is wrong, so the search "
           "follows a wrong gradient", "local-minimum certificate"),
    Mutant("model_grad_theta_not_a_mean", "numerics/models/residual.py",
           "np.outer(r, V.T @ w)), dtype=np.float64) / n", "np.outer(r, V.T @ w)), dtype=np.float64)",
           ("residual_gradients",), "the 1/n of grad_theta F dropped", "numeric witness claim"),
    Mutant("model_grad_V_transposed", "numerics/models/residual.py",
           "        return g.F, np.concatenate((g.grad_w, g.grad_V.ravel(), g.grad_theta))\n",
           "        return g.F, np.concatenate((g.grad_w, g.grad_V.T.ravel(), g.grad_theta))\n",
           ("local_minima_beat_linear",), "grad_V F packed column-major (a transposed V) while unpack() is "
           "row-major: the optimiser's gradient is wrong", "local-minimum certificate"),
    Mutant("tanh_derivative", "numerics/models/networks.py",
           "    return a, 1.0 - a * a\n", "    return a, 1.0 - a\n",
           ("residual_gradients",), "tanh'(z) = 1 - tanh(z) in the unit's backprop (a wrong derivative)",
           "numeric witness claim"),
    Mutant("vector_C_not_a_mean", "numerics/models/vector_outputs.py",
           "        C = R.T @ Fx / n\n", "        C = R.T @ Fx\n",
           ("vector_outputs_counterexample_search",), "the 1/n of C = E[r f^T] dropped in the vector model "
           "(grad_V F = W^T C is n times too large)", "experiment sanity claim"),
    Mutant("model_objective_not_a_mean", "numerics/models/residual.py",
           "        return float(np.sum(self.loss.value(self.predict(w, V, theta), self.y))) / self.n\n",
           "        return float(np.sum(self.loss.value(self.predict(w, V, theta), self.y)))\n",
           ("zero_w_case",), "the 1/n of F dropped in the model's objective()", "numeric witness claim"),
    Mutant("vector_grad_W_missing_term", "numerics/models/vector_outputs.py",
           "        grad_W = R.T @ Phi / n\n", "        grad_W = R.T @ self.X / n\n",
           ("vector_outputs",), "grad_W F = E[r x^T] in the vector model: the term C V^T (through V f) forgotten",
           "numeric witness claim"),
    Mutant("dead_layer_margin_sign", "numerics/models/no_skip.py",
           "    b[:] = -(np.max(np.asarray(X) @ A.T, axis=0) + margin)\n",
           "    b[:] = -(np.max(np.asarray(X) @ A.T, axis=0) - margin)\n",
           ("no_skip_bad_minimum",), "the dead-ReLU construction with the margin's sign flipped (the first layer "
           "is alive)", "numeric witness claim"),
    Mutant("best_constant_bisection_swapped", "numerics/models/no_skip.py",
           "        lo, hi = (mid, hi) if g < 0.0 else (lo, mid)\n",
           "        lo, hi = (lo, mid) if g < 0.0 else (mid, hi)\n",
           ("no_skip_bad_minimum",), "the bisection for the best constant keeps the wrong half",
           "numeric witness claim"),
    Mutant("multiblock_grad_w_off_by_one", "numerics/models/multiblock.py",
           "        grad_w = xL.T @ r / n\n", "        grad_w = xL.T @ r / (n - 1)\n",
           ("multi_block_experiment",), "grad_w F of the multi-block model averaged over n - 1 samples",
           "experiment sanity claim"),
    # -- certificates --------------------------------------------------------------------------------
    Mutant("hessian_cross_term_sign", "numerics/certificates/hessian.py",
           "    cross = np.kron(np.eye(d), c[None, :])", "    cross = -np.kron(np.eye(d), c[None, :])",
           ("bad_saddle_at_zero",), "the (w, V) cross term I (x) c^T of the dense Hessian with the wrong sign",
           "saddle certificate"),
    Mutant("hessian_l1_for_l2", "numerics/certificates/hessian.py",
           "        r, q = problem.loss.grad(p, y) / n, problem.loss.curvature(p, y) / n\n",
           "        r, q = problem.loss.grad(p, y) / n, problem.loss.grad(p, y) / n\n",
           ("local_minima_beat_linear",), "the exact Hessian uses l' where l'' belongs (a wrong loss "
           "derivative in the Hessian-vector kernel)", "local-minimum certificate"),
    Mutant("hvp_activation_curvature_sign", "numerics/certificates/hessian.py",
           "        dg_z = ddelta * da + (delta * dda) * dz\n",
           "        dg_z = ddelta * da - (delta * dda) * dz\n",
           ("local_minima_beat_linear",), "the activation's second-derivative term of the forward-over-reverse "
           "Hessian with the wrong sign (a term with l'(p), zero at minima that interpolate the per-input best "
           "predictions, so more instances)", "local-minimum certificate", instances=60),
    Mutant("saddle_eigenvalue_flipped", "numerics/certificates/hessian.py",
           "    values, vectors = np.linalg.eigh(Hs)\n", "    values, vectors = np.linalg.eigh(-Hs)\n",
           ("bad_saddle_at_zero",), "the saddle certificate's eigenvalues of -S H S: the reported lambda_min is "
           "minus the largest eigenvalue (a flipped sign)", "saddle certificate", default=True),
    Mutant("minimum_eigenvalue_flipped", "numerics/certificates/local_minimum.py",
           "    values, vectors = np.linalg.eigh(Hs)\n", "    values, vectors = np.linalg.eigh(-Hs)\n",
           ("local_minima_beat_linear",), "the second-order test on the eigenvalues of -S H S (a flipped sign): "
           "every point is a saddle", "conclusive share", default=True),
    Mutant("stationarity_tolerance_loosened", "numerics/witnesses/stationarity_consequences.py",
           "STATIONARY_TOLERANCE = 1e-7\n", "STATIONARY_TOLERANCE = 1e-1\n",
           ("stationarity_consequences",), "the stationarity tolerance of the witness's certified stationary "
           "points loosened 1e6-fold", "conclusive share", default=True),
    Mutant("curvature_tolerance_loosened", "numerics/certificates/local_minimum.py",
           "    tol = curvature_rtol * spectral + float(np.linalg.norm(Es)) + 64.0 * N * EPS * float("
           "np.linalg.norm(Hs))\n",
           "    tol = curvature_rtol * spectral + float(np.linalg.norm(Es)) + 64.0 * N * EPS * float("
           "np.linalg.norm(Hs))\n    tol *= 1e6\n",
           ("local_minima_beat_linear",), "the second-order test's eigenvalue tolerance loosened 1e6-fold",
           "local-minimum certificate"),
    Mutant("certified_always", "numerics/certificates/local_minimum.py",
           "        return self.status == CERTIFIED\n", "        return True\n",
           ("feature_benchmark_reached",), "a skipped certificate check: every end point counts as a certified "
           "local minimum", "local-minimum certificate", instances=80),
    Mutant("derivative_tolerance_loosened", "numerics/certificates/derivatives.py",
           "ERROR_FACTOR = 10.0\n", "ERROR_FACTOR = 1e7\n",
           ("residual_gradients",), "the extrapolated-derivative tolerance loosened 1e6-fold",
           "numeric witness claim"),
    Mutant("F_lin_too_large", "numerics/certificates/convex_benchmarks.py",
           "    value = value_C + limit_S\n", "    value = value_C + limit_S + 0.01\n",
           ("local_minima_beat_linear",), "F_lin (every convex benchmark) reported 0.01 too large",
           "benchmark bracket", default=True),
    Mutant("feature_solver_stopped", "numerics/certificates/convex_benchmarks.py",
           "    return convex_benchmark(np.hstack((X, Fx)), y, loss, **options)\n",
           '    return convex_benchmark(np.hstack((X, Fx)), y, loss, **{**options, "maxiter": 1})\n',
           ("local_minima_beat_linear",), "the feature benchmark's Newton solve stopped after one iteration "
           "(F_feat reported too large by the solver's error)", "conclusive share"),
    Mutant("feature_solver_stopped_dual_is_primal", "numerics/certificates/convex_benchmarks.py",
           ("    return convex_benchmark(np.hstack((X, Fx)), y, loss, **options)\n",
            "        result.lower, result.lower_message, result.dual_correction = lower, message, correction\n"),
           ('    return convex_benchmark(np.hstack((X, Fx)), y, loss, **{**options, "maxiter": 1})\n',
            "        result.lower, result.lower_message, result.dual_correction = result.value, message, 0.0\n"),
           ("local_minima_beat_linear",), "the feature benchmark stopped after one iteration and its "
           "bracket's lower end set to the primal value (the bracket closes trivially)", "conclusive share"),
    Mutant("bound_claim_dropped_quoted", "numerics/witnesses/approximate_stationarity_bound.py",
           "    claims = [_worst_claim(index, columns, fast_sides[index], tol, everywhere) for index in fast_sides]\n",
           "    claims = [_worst_claim(index, columns, fast_sides[index], tol, everywhere) for index in fast_sides\n"
           "              if index != BOUND]\n",
           ("approximate_stationarity_bound",), "the witness stops claiming the section-4 bound at its worst "
           "points, while a consistency claim still quotes the relation's text (coverage by label prefix "
           "counted it as evaluated)", "numeric witness claim"),
    Mutant("benchmark_tolerances_loosened", "numerics/certificates/convex_benchmarks.py",
           ("GTOL = 1e-10\n", "TIGHT_CORRECTION = 1e-6\n"), ("GTOL = 1e-4\n", "TIGHT_CORRECTION = 1e-1\n"),
           ("local_minima_beat_linear",), "the convex solver's stopping tolerance loosened from 1e-10 to 1e-4 "
           "and the dual correction a closed bracket may need from 1e-6 to 1e-1 (its certified remainder "
           "then excused wide brackets)", "benchmark bracket"),
    Mutant("loss_grad_single_precision", "proofs/losses.py",
           "        return self._eval(1, p, y)\n",
           "        return self._eval(1, np.asarray(p, dtype=np.float32), y)\n",
           ("approximate_stationarity_bound",), "the loss kernel's l'(p; y) evaluated at p rounded to float32 "
           "(shared by the model's gradients and the Bregman term, so it cancelled from the identity)",
           "numeric witness claim"),
    Mutant("dual_not_a_mean", "numerics/certificates/convex_benchmarks.py",
           "        D = -total / n\n", "        D = -total\n",
           ("feature_benchmark_reached",), "the 1/n of the Fenchel dual value dropped", "benchmark bracket"),
    Mutant("conjugate_wrong", "numerics/certificates/convex_benchmarks.py",
           "    return _arb(1 + s * y) - _arb(1 - s * s).sqrt()\n",
           "    return _arb(1 - s * y) - _arb(1 - s * s).sqrt()\n",
           ("local_minima_beat_linear",), "F_feat's lower bound from a wrong conjugate (pseudo-Huber: -s y for "
           "+s y)", "benchmark bracket"),
    Mutant("batched_E_l_u_off_by_one", "numerics/certificates/stationarity_bound.py",
           "    E_l_u = Lq.mean(axis=1)\n", "    E_l_u = Lq.sum(axis=1) / (n - 1)\n",
           ("approximate_stationarity_bound",), "E l(u^T x) of the vectorised fast path averaged over n - 1 "
           "samples (an off-by-one in the batch)", "numeric witness claim"),
    Mutant("batched_r_doubled", "numerics/certificates/stationarity_bound.py",
           "    r = loss.grad(p, yy)\n", "    r = 2 * loss.grad(p, yy)\n",
           ("approximate_stationarity_bound",), "l'(p) doubled in the vectorised fast path's Bregman term "
           "E[l(u^T x) - l(p) - l'(p)(u^T x - p)] (while its first-order term was built from the same r, "
           "the identity held for any r)", "numeric witness claim"),
    Mutant("batched_r_single_precision", "numerics/certificates/stationarity_bound.py",
           "    r = loss.grad(p, yy)\n", "    r = loss.grad(p.astype(np.float32).astype(np.float64), yy)\n",
           ("approximate_stationarity_bound",), "l'(p) of the vectorised fast path's Bregman term evaluated at p "
           "rounded to float32 (a relative error ~1e-7: E[D_l] stays >= 0, only the identity can see it)",
           "numeric witness claim"),
    Mutant("enclosure_gap_sign", "numerics/certificates/enclosures.py",
           "        return (_loss_sum(value, p_first, y) - _loss_sum(value, p_second, y)) / len(y)\n",
           "        return (_loss_sum(value, p_second, y) - _loss_sum(value, p_first, y)) / len(y)\n",
           ("bad_saddle_at_zero",), "the Arb enclosure of E l(p_1) - E l(p_2) with the operands swapped (sign)",
           "saddle certificate"),
    # -- solvers -------------------------------------------------------------------------------------
    Mutant("search_stopped_early", "numerics/witnesses/local_minima_beat_linear.py",
           "MAXITER = 300\n", "MAXITER = 2\n",
           ("local_minima_beat_linear",), "the main theorem's local-minimum search stopped after 2 iterations",
           "conclusive share", default=True),
    Mutant("lbfgs_two_iterations", "numerics/solvers/search.py",
           '"maxiter": budget,', '"maxiter": 2,',
           ("feature_benchmark_reached",), "every L-BFGS-B round of the refined search stopped after 2 "
           "iterations", "conclusive share", default=True),
    Mutant("sgd_step_size_formula", "numerics/solvers/sgd.py",
           "_step_size = lambdify(_SYMBOLS, _lemma.STEP_SIZE)",
           "_step_size = lambdify(_SYMBOLS, _lemma.REGRET_BOUND)",
           ("sgd_regret",), "the SGD step size lambdified from the regret bound B L b / sqrt(T) instead of "
           "B / (L b sqrt(T))", "numeric witness claim"),
    Mutant("sgd_projection_inverted", "numerics/solvers/sgd.py",
           "rho = np.minimum(1.0, B / z_norm)", "rho = np.minimum(1.0, z_norm / B)",
           ("sgd_regret",), "the projection onto the ball of radius B with the ratio inverted",
           "numeric witness claim"),
    Mutant("kkt_multiplier_unchecked", "numerics/solvers/regularised.py",
           "    if not mu > tol_curv:\n", "    if False:\n",
           ("regularised_bad_minima",), "a skipped certificate check: the KKT multiplier's sign is not tested",
           "experiment sanity claim"),
    # -- witnesses -----------------------------------------------------------------------------------
    Mutant("witness_drops_relation", "numerics/witnesses/stationarity_consequences.py",
           "        claims += statement.component_claims(LEMMA, E_RX_VANISHES, values,",
           "        _unused = statement.component_claims(LEMMA, E_RX_VANISHES, values,",
           ("stationarity_consequences",), "the witness stops evaluating the relation E[l'(p) x] = 0",
           "numeric witness claim", default=True),
    # -- proofs --------------------------------------------------------------------------------------
    Mutant("conclusion_grad_w_sign", "proofs/lemmas/residual_gradients.py",
           "    sp.Eq(grad_w, E_rx + V * c, evaluate=False),", "    sp.Eq(grad_w, E_rx - V * c, evaluate=False),",
           ("residual_gradients",), "the lemma states grad_w F = E[l'(p) x] - V c (a sign in its conclusion)",
           "conclusion through the bridge"),
    Mutant("identity_step_sign", "proofs/lemmas/stationarity_consequences.py",
           "        .eq(grad_w - V * c, Identity(", "        .eq(grad_w + V * c, Identity(",
           ("stationarity_consequences",), "a proof step E[l'(p) x] = grad_w F + V c (sign)", "symbolic step"),
    Mutant("second_order_factor", "proofs/lemmas/zero_w_case.py",
           "    sp.Eq(second_derivative, E_l2_uphi - 2 * s * inner(u_dir, u_dir) * inner(c, c), evaluate=False),",
           "    sp.Eq(second_derivative, E_l2_uphi - s * inner(u_dir, u_dir) * inner(c, c), evaluate=False),",
           ("zero_w_case",), "the second-order formula stated without its factor 2",
           "conclusion through the bridge"),
    Mutant("bound_without_1_over_w", "proofs/lemmas/approximate_stationarity_bound.py",
           "BOUND = norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V) / norm(w)\n",
           "BOUND = norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V)\n",
           ("approximate_stationarity_bound",), "the section-4 bound without its 1/||w|| factor",
           "inequality certificate"),
    Mutant("cauchy_schwarz_wrong_pair", "proofs/lemmas/approximate_stationarity_bound.py",
           "            Certificate((CauchySchwarzGap(u, V * c),), \"Cauchy-Schwarz\"))",
           "            Certificate((CauchySchwarzGap(w - u, grad_w),), \"Cauchy-Schwarz\"))",
           ("approximate_stationarity_bound",), "a Cauchy-Schwarz step certified by the atom of the previous step "
           "(copy-paste)", "inequality certificate"),
    Mutant("comparator_hypothesis", "proofs/lemmas/local_minima_beat_linear.py",
           ("from ..kernel import Cases, Certificate, Chain, Cite, FirstOrder, Identity, Infimum, Proof",
            'Identity("first-order conditions", using=(premise, "stationary_w"))',
            "[local_minimum, convex_loss, w_nonzero, w_zero], steps,"),
           ("from ..kernel import Cases, Certificate, Chain, Cite, Equation, FirstOrder, Identity, Infimum, Proof",
            'Identity("first-order conditions", using=(premise, "stationary_w", "comparator_at_w"))',
            "[local_minimum, convex_loss, w_nonzero, w_zero, Equation(\"comparator_at_w\", a, w)], steps,"),
           ("local_minima_beat_linear",), "a comparator hypothesis (a = w) added to the main theorem's chain "
           "before the infimum over comparators", "symbolic step"),
    Mutant("saddle_step_factor", "proofs/lemmas/bad_saddle_at_zero.py",
           "S_STAR = (E_l2_uphi + 1) / (2 * inner(u_dir, u_dir) * inner(c0, c0))",
           "S_STAR = (E_l2_uphi + 1) / (inner(u_dir, u_dir) * inner(c0, c0))",
           ("bad_saddle_at_zero",), "a wrong s* in the saddle (the factor 2 dropped; the witness compiles S_STAR)",
           "conclusion through the bridge"),
    Mutant("regret_bound_halved", "proofs/lemmas/sgd_regret.py",
           "REGRET_BOUND = B * L * b_feat / sp.sqrt(T)", "REGRET_BOUND = B * L * b_feat / (2 * sp.sqrt(T))",
           ("sgd_regret",), "the regret bound halved", "conclusion through the bridge",
           default=True),
    Mutant("step_size_wrong_power", "proofs/lemmas/sgd_regret.py",
           "STEP_SIZE = B / (L * b_feat * sp.sqrt(T))", "STEP_SIZE = B / (L * b_feat * T)",
           ("sgd_regret",), "the step size B / (L b T) instead of B / (L b sqrt(T))", "symbolic step"),
    Mutant("sgd_symbolic_gsq_not_a_mean", "proofs/indexed/model.py",
           'sg.E_gsq: expect(sum_over(s["grad"] * s["grad"], t, e) / T),',
           'sg.E_gsq: expect(sum_over(s["grad"] * s["grad"], t, e)),',
           ("sgd_regret",), "E ||g_t||^2 at symbolic T summed over the steps instead of averaged (only the "
           "all-sizes context sees it)", "symbolic step"),
    Mutant("sgd_symbolic_risk_of_the_next_iterate", "proofs/indexed/model.py",
           'pred_j=sum_over(z_t[t, e] * psi_j, e)', 'pred_j=sum_over(z_t[t + 1, e] * psi_j, e)',
           ("sgd_regret",), "the average risk at symbolic T of z_{t+1} instead of z_t (online-to-batch "
           "must then fail: z_{t+1} depends on the sample of step t)", "symbolic step"),
    Mutant("feature_comparator_sign", "proofs/lemmas/feature_benchmark_reached.py",
           "InfimumGap(F, F_feat, ((a, w), (b, V.T * w)))", "InfimumGap(F, F_feat, ((a, w), (b, -V.T * w)))",
           ("feature_benchmark_reached",), "the residual prediction as the comparator b = -V^T w (sign)",
           "inequality certificate"),
    Mutant("vector_conclusion_sign", "proofs/lemmas/vector_outputs.py",
           "    sp.Eq(grad_W, E_rxT + C * V.T, evaluate=False),",
           "    sp.Eq(grad_W, E_rxT - C * V.T, evaluate=False),",
           ("vector_outputs",), "the theorem states grad_W F = E[r x^T] - C V^T", "conclusion through the bridge"),
    Mutant("no_skip_descent_sign", "proofs/lemmas/no_skip_bad_minimum.py",
           "sp.Eq(d_lin_ns, -inner(a0_ns, a0_ns), evaluate=False)",
           "sp.Eq(d_lin_ns, inner(a0_ns, a0_ns), evaluate=False)",
           ("no_skip_bad_minimum",), "the example states d/dt E l(-t a_0^T x) = +||a_0||^2 (sign)",
           "conclusion through the bridge"),
    Mutant("sigmoid_derivative_rule", "proofs/primitives.py",
           "        return sigmoid(z) * sigmoid(-z)\n", "        return sigmoid(z) * sigmoid(z)\n",
           ("local_minima_beat_linear",), "sigmoid'(z) = sigmoid(z)^2: a wrong derivative rule, hence a wrong l'' "
           "in the lambdified NumPy kernels of the logistic and smooth-hinge losses (right at p = 0 only; "
           "still convex)", "local-minimum certificate"),
    Mutant("kernel_first_order_sign", "proofs/kernel/rules.py",
           "                                  lambda i, j: sp.diff(objective_value, comps[i, j]))",
           "                                  lambda i, j: -sp.diff(objective_value, comps[i, j]))",
           ("zero_w_case",), "the kernel's gradient of the objective (rules FirstOrder, LevelSet) with a sign: "
           "valid first-order steps are refused", "symbolic step"),
    Mutant("definition_of_c_sign", "proofs/expressions.py",
           "    ctx.define(c, s.mean([r[j] * s.f[j] for j in range(nn)]))",
           "    ctx.define(c, s.mean([-r[j] * s.f[j] for j in range(nn)]))",
           ("residual_gradients",), "the shared definition of c = E[l'(p) f] with the wrong sign",
           "symbolic step"),
)

# -- the tree before issue 10 ------------------------------------------------------------------------
#: The code before issue 10's work (commit d2adbb4: flat ``numerics/*.py``, ``proofs/kernel.py``) and a
#: Python environment with it installed; ``--old-root``/``--old-python`` override them.
OLD_ROOT = Path("/work/wt-old")
OLD_PYTHON = "/work/venv-old/bin/python"
#: Where a module of the current layout lived before (the same text is found there).
OLD_FILES = {
    "numerics/models/residual.py": "numerics/model.py",
    "numerics/models/networks.py": "numerics/networks.py",
    "numerics/models/vector_outputs.py": "numerics/vector_outputs.py",
    "numerics/models/no_skip.py": "numerics/no_skip.py",
    "numerics/models/multiblock.py": "numerics/multiblock.py",
    "numerics/certificates/hessian.py": "numerics/hessian.py",
    "numerics/certificates/convex_benchmarks.py": "numerics/benchmarks.py",
    "numerics/certificates/stationarity_bound.py": "numerics/stationarity_bound.py",
    "numerics/certificates/derivatives.py": "numerics/derivatives.py",
    "numerics/solvers/sgd.py": "numerics/sgd.py",
    "numerics/solvers/search.py": "numerics/search.py",
    "numerics/solvers/regularised.py": "numerics/regularised.py",
}
#: The same bug where the old code was written differently: ``name -> (old file, find, replace)``.
OLD_EDITS = {
    "conclusion_grad_w_sign": ("proofs/lemmas/residual_gradients.py", ".eq(E_rx + V * c, Identity(DIFF)),",
                               ".eq(E_rx - V * c, Identity(DIFF)),"),
    "second_order_factor": ("proofs/lemmas/zero_w_case.py",
                            ".eq(E_l2_uphi - 2 * s * inner(u_dir, u_dir) * inner(c, c),",
                            ".eq(E_l2_uphi - s * inner(u_dir, u_dir) * inner(c, c),"),
    "vector_conclusion_sign": ("proofs/lemmas/vector_outputs.py", ".eq(E_rxT + C * V.T, Identity(",
                               ".eq(E_rxT - C * V.T, Identity("),
    "no_skip_descent_sign": ("proofs/lemmas/no_skip_bad_minimum.py", ".eq(-(a0_ns.T * a0_ns)[0, 0], Identity(",
                             ".eq((a0_ns.T * a0_ns)[0, 0], Identity("),
    "comparator_hypothesis": (
        "proofs/lemmas/local_minima_beat_linear.py",
        ("from ..kernel import Certificate, Chain, Identity, Infimum, Proof",
         'using=("stationarity_consequences", "stationary_w")))',
         "[convex_loss, stationary_w, stationarity_consequences], chains,"),
        ("from ..kernel import Certificate, Chain, Hypothesis, Identity, Infimum, Proof",
         'using=("stationarity_consequences", "stationary_w", "comparator_at_w")))',
         '[convex_loss, stationary_w, stationarity_consequences, Hypothesis("comparator_at_w", "a = w", '
         'equations={a: w})], chains,')),
    "search_stopped_early": ("numerics/witnesses/local_minima_beat_linear.py", "MAXITER = 400  #",
                             "MAXITER = 2  #"),
    "lbfgs_two_iterations": ("numerics/search.py", '"maxiter": int(maxiter),', '"maxiter": 2,'),
    "derivative_tolerance_loosened": ("numerics/derivatives.py", "    return 10.0 * abs(error_estimate) + 1e3",
                                      "    return 1e7 * abs(error_estimate) + 1e3"),
    "witness_drops_relation": ("numerics/witnesses/stationarity_consequences.py",
                               "    margin = min(tol - abs(c_norm - c_claim), rx_claim + tol - rx_norm)\n",
                               "    margin = tol - abs(c_norm - c_claim)\n"),
}
#: Mutants without a counterpart before issue 10, and why (the check they break did not exist).
NO_OLD_COUNTERPART = {
    "sgd_symbolic_gsq_not_a_mean": "no SGD model at symbolic T before issue 11",
    "sgd_symbolic_risk_of_the_next_iterate": "no SGD model at symbolic T before issue 11",
    "loss_grad_single_precision": "counterpart not run (found by the second red team after the recorded "
                                  "run of the old tree)",
    "benchmark_tolerances_loosened": "no benchmark bracket (no dual lower bound to close)",
    "bound_claim_dropped_quoted": "no relation coverage (the old witnesses did not evaluate the conclusion)",
    "feature_solver_stopped": "no F_feat bracket (the old check compared with the solver's value plus a "
                              "gradient slack)",
    "feature_solver_stopped_dual_is_primal": "no Fenchel dual lower bound",
    "hessian_l1_for_l2": "no exact Hessian in (w, V, theta) and no local-minimum certificate",
    "hvp_activation_curvature_sign": "no exact Hessian in (w, V, theta) and no local-minimum certificate",
    "minimum_eigenvalue_flipped": "no second-order test of local minima",
    "curvature_tolerance_loosened": "no second-order test of local minima",
    "certified_always": "no local-minimum certificate (any stopping point was checked with gradient slack)",
    "stationarity_tolerance_loosened": "no stationarity tolerance (norm identities at any point)",
    "dual_not_a_mean": "no Fenchel dual lower bound",
    "conjugate_wrong": "no Fenchel dual lower bound",
    "enclosure_gap_sign": "no Arb enclosures",
    "kernel_first_order_sign": "no first-order rule in the kernel (stationarity was a hypothesis)",
}


def old_counterpart(mutant: Mutant):
    """``(old file, edits)`` of the mutant's counterpart before issue 10, or the reason there is none."""
    if mutant.name in NO_OLD_COUNTERPART:
        return NO_OLD_COUNTERPART[mutant.name]
    if mutant.name in OLD_EDITS:
        file, find, replace = OLD_EDITS[mutant.name]
        finds = (find,) if isinstance(find, str) else find
        replaces = (replace,) if isinstance(replace, str) else replace
        return file, list(zip(finds, replaces))
    return OLD_FILES.get(mutant.file, mutant.file), mutant.edits


# -- applying a mutant ------------------------------------------------------------------------------
def occurrences(root: Path, file: str, find: str) -> int:
    """How often ``find`` occurs in ``root/file`` (a repository-relative path)."""
    path = Path(root) / file
    if not path.is_file():
        raise MutantError(f"{file}: no such file under {root}")
    return path.read_text(encoding="utf-8").count(find)


def check_applicable(root: Path, file: str, edits) -> None:
    """Raise :class:`MutantError` unless every find text occurs exactly once in ``root/file``."""
    for find, _ in edits:
        count = occurrences(root, file, find)
        if count != 1:
            raise MutantError(f"{file}: the text to find occurs {count} times (must be exactly once; the code "
                              f"moved?): {find!r}")


def scratch_path(tree: Path, file: str) -> Path:
    """Where the repository file ``file`` lives in a scratch tree: ``proofs/x.py`` ->
    ``resnet_lemmas/proofs/x.py``, ``src/resnet_lemmas/x.py`` -> ``resnet_lemmas/x.py``."""
    parts = Path(file).parts
    if parts[:2] == ("src", "resnet_lemmas"):
        return Path(tree) / "resnet_lemmas" / Path(*parts[2:])
    if parts and parts[0] in SUBPACKAGES:
        return Path(tree) / "resnet_lemmas" / Path(file)
    raise MutantError(f"{file}: not a file of the package (proofs/, numerics/ or src/resnet_lemmas/)")


def apply(tree: Path, file: str, edits) -> None:
    """Apply ``edits`` (``(find, replace)`` pairs) to ``file`` of the scratch ``tree`` (each find text must
    occur exactly once) and drop its stale bytecode."""
    path = scratch_path(tree, file)
    if not path.is_file():
        raise MutantError(f"{file}: no such file in the scratch tree {tree}")
    text = path.read_text(encoding="utf-8")
    for find, replace in edits:
        count = text.count(find)
        if count != 1:
            raise MutantError(f"{file}: the text to find occurs {count} times (must be exactly once; the code "
                              f"moved?): {find!r}")
        text = text.replace(find, replace)
    path.write_text(text, encoding="utf-8")
    for stale in (path.parent / "__pycache__").glob(path.stem + ".*.pyc"):
        stale.unlink()


def build_base(root: Path, destination: Path) -> Path:
    """The scratch tree of the package at ``root`` (``src/resnet_lemmas`` + ``proofs`` + ``numerics``),
    byte-compiled once so that each mutant's copy starts fast.  Returns ``destination``."""
    destination = Path(destination)
    if destination.exists():
        shutil.rmtree(destination)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    package = destination / "resnet_lemmas"
    shutil.copytree(Path(root) / "src" / "resnet_lemmas", package, ignore=ignore)
    for sub in SUBPACKAGES:
        shutil.copytree(Path(root) / sub, package / sub, ignore=ignore)
    with warnings.catch_warnings():     # compiling is not the place to report the package's own warnings
        warnings.simplefilter("ignore")
        compileall.compile_dir(str(package), quiet=1)
    return destination


# -- running check -------------------------------------------------------------------------------------
@dataclass
class RunResult:
    """One ``check`` run: ``returncode``, per lemma its ``statuses``, the ``symbolic`` and ``numeric``
    statuses and the ``reasons`` (the first failing proof step, the first failing claims, why inconclusive);
    ``seconds``; ``crashed`` says why no JSON came back (empty otherwise)."""

    returncode: int
    statuses: dict = field(default_factory=dict)
    numeric: dict = field(default_factory=dict)
    symbolic: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)
    seconds: float = 0.0
    crashed: str = ""


def _reason(lemma: dict) -> str:
    """Why a lemma's check did not pass, in one line (``"passed"`` when it did)."""
    parts = []
    if lemma.get("error"):
        parts.append(f"error: {lemma['error'][:200]}")
    for failure in lemma.get("symbolic", {}).get("failures", [])[:1]:
        parts.append(f"proof: chain {failure['chain']!r} step {failure['step']}: {failure['message'][:200]}")
    if str(lemma.get("status", "")).startswith("not verified: depends on"):
        parts.append(lemma["status"])
    num = lemma.get("numeric", {})
    if num.get("status") == "inconclusive":
        parts.append(f"witness inconclusive: {num.get('checked')} of {num.get('instances')} instances checked, "
                     f"{num.get('minimum_checked')} needed")
    for failure in num.get("failures", [])[:1]:
        bad = [c["label"] for c in failure.get("claims", []) if c.get("margin") is None or c["margin"] < 0]
        what = "; ".join(bad[:2]) if bad else failure.get("description", "")
        parts.append(f"witness: instance seed {failure['seed']}: {what[:300]}")
    for relation in num.get("uncovered", []):
        parts.append(f"witness: relation {relation!r} of the conclusion never evaluated")
    if num.get("status") == "failed" and not num.get("failures") and not num.get("uncovered"):
        parts.append(f"witness failed (worst margin {num.get('worst_margin')})")
    return " | ".join(parts) or "passed"


def run_check(tree: Path, lemmas, instances: int | None, python: str = sys.executable,
              timeout: float = RUN_TIMEOUT) -> RunResult:
    """``python -m resnet_lemmas.cli check --only ... --json --seed 0 [--instances N]`` on the scratch
    ``tree`` (``PYTHONPATH=tree``, one worker process)."""
    command = [python, "-m", "resnet_lemmas.cli", "check", "--json", "--no-progress", "--seed", str(SEED)]
    for lemma in lemmas:
        command += ["--only", lemma]
    if instances is not None:
        command += ["--instances", str(instances)]
    env = dict(os.environ, PYTHONPATH=str(tree), RESNET_LEMMAS_JOBS="1", PYTHONDONTWRITEBYTECODE="1")
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return RunResult(-1, seconds=time.perf_counter() - started, crashed=f"timed out after {timeout:g} s")
    seconds = time.perf_counter() - started
    try:
        payload = json.loads(done.stdout)
    except json.JSONDecodeError:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return RunResult(done.returncode, seconds=seconds,
                         crashed=f"exit {done.returncode}, no JSON: {tail[:300]}")
    if "lemmas" not in payload:
        return RunResult(done.returncode, seconds=seconds,
                         crashed=f"exit {done.returncode}: {json.dumps(payload)[:300]}")
    out = RunResult(done.returncode, seconds=seconds)
    for lemma in payload["lemmas"]:
        name = lemma["name"]
        out.statuses[name] = lemma["status"]
        out.numeric[name] = lemma.get("numeric", {}).get("status")
        out.symbolic[name] = lemma.get("symbolic", {}).get("status")
        out.reasons[name] = _reason(lemma)
    return out


# -- verdicts -------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """A mutant's verdict at one setting (``instances``: ``None`` = the defaults): ``caught`` (module
    docstring) and the ``verdict`` in words; per named lemma its ``statuses``, the ``layers`` that rejected
    it (:func:`rejected_by`) and the ``reasons`` (the failing step or claims)."""

    mutant: str
    instances: int | None
    caught: bool
    verdict: str
    seconds: float
    reasons: dict = field(default_factory=dict)
    statuses: dict = field(default_factory=dict)
    layers: dict = field(default_factory=dict)


def rejected_by(run: RunResult, lemma: str) -> list[str]:
    """The layers of ``check`` that rejected ``lemma`` in ``run``: ``"proof"`` (a symbolic status other than
    verified), ``"witness"`` (failed), ``"witness inconclusive"``, or ``"a cited lemma"``."""
    out = []
    if run.symbolic.get(lemma) not in (None, "verified", "not_applicable"):
        out.append("proof")
    numeric = run.numeric.get(lemma)
    if numeric == "failed":
        out.append("witness")
    elif numeric == "inconclusive":
        out.append("witness inconclusive")
    if not out and run.statuses.get(lemma, "").startswith("not verified: depends on"):
        out.append("a cited lemma")
    return out


def verdict(mutant: Mutant, run: RunResult, instances: int | None) -> Outcome:
    """Whether ``run`` (``check`` on the mutated tree) caught ``mutant``: ``check`` exited 1, no named lemma
    passed, and each was rejected by the layers its kind demands (:data:`KIND_LAYERS`)."""
    if run.crashed:
        return Outcome(mutant.name, instances, False, f"crashed: {run.crashed}", run.seconds)
    missing = [name for name in mutant.lemmas if name not in run.statuses]
    if missing:
        return Outcome(mutant.name, instances, False, f"no report for {missing}", run.seconds,
                       run.reasons, run.statuses)
    layers = {name: rejected_by(run, name) for name in mutant.lemmas}
    out = Outcome(mutant.name, instances, False, "", run.seconds, run.reasons, run.statuses, layers)
    passed = [name for name in mutant.lemmas if run.statuses[name] in PASSING]
    if run.returncode == 0 or passed:
        out.verdict = f"SURVIVED: {', '.join(passed) or 'every lemma'} still passes (exit {run.returncode})"
        return out
    wanted = () if mutant.kind == ANY_CHECK else KIND_LAYERS[mutant.kind]
    short = {name: [w for w in wanted if w not in got] for name, got in layers.items()}
    short = {name: miss for name, miss in short.items() if miss}
    if short:
        out.verdict = (f"caught, but not by the declared check ({mutant.kind}): "
                       + "; ".join(f"{name}: no {', '.join(miss)} rejection" for name, miss in short.items()))
        return out
    out.caught = True
    out.verdict = "caught by " + "; ".join(f"{name}: {' + '.join(got)}" for name, got in layers.items())
    return out


def run_mutant(mutant: Mutant, base: Path, workdir: Path, instances: int | None, python: str = sys.executable,
               file: str | None = None, edits=None) -> Outcome:
    """Copy the scratch ``base`` to a fresh folder under ``workdir``, apply ``mutant`` (or the given
    ``file``/``edits``: the old tree's counterparts) and run ``check`` on its lemmas."""
    tree = Path(tempfile.mkdtemp(prefix=f"{mutant.name}-", dir=workdir))
    try:
        shutil.copytree(base, tree, dirs_exist_ok=True)
        apply(tree, file or mutant.file, edits if edits is not None else mutant.edits)
        return verdict(mutant, run_check(tree, mutant.lemmas, instances, python), instances)
    except MutantError as exc:
        return Outcome(mutant.name, instances, False, f"not applicable: {exc}", 0.0)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


# -- the suite ------------------------------------------------------------------------------------------
def settings(mutants) -> list[tuple[Mutant, int | None]]:
    """Every ``(mutant, instances)`` run of the suite: the small run, and the defaults where marked."""
    return [(m, m.small_instances) for m in mutants] + [(m, None) for m in mutants if m.default]


def control_groups(runs) -> dict:
    """``instances -> lemmas``: the unmutated runs that make the verdicts meaningful (every lemma named by a
    mutant must pass at every setting it is run at)."""
    groups: dict = {}
    for mutant, instances in runs:
        groups.setdefault(instances, set()).update(mutant.lemmas)
    return {key: sorted(value) for key, value in groups.items()}


def control_runs(base: Path, runs, python: str = sys.executable, jobs: int = 2) -> dict:
    """``instances -> RunResult`` of ``check`` on the unmutated scratch tree for :func:`control_groups`."""
    from joblib import Parallel, delayed

    groups = control_groups(runs)
    results = Parallel(n_jobs=jobs, prefer="threads")(
        delayed(run_check)(base, lemmas, instances, python) for instances, lemmas in groups.items())
    return dict(zip(groups, results))


def run_suite(mutants=None, jobs: int = 2, root: Path = REPO, python: str = sys.executable,
              workdir: Path | None = None, progress=None) -> tuple[list[Outcome], dict]:
    """The control runs, then every mutant at every setting (:func:`settings`), ``jobs`` ``check`` processes
    at a time (joblib threads, each waiting on its subprocess); returns the outcomes and the controls
    (``instances -> RunResult``).  ``progress(outcome)`` is called as each mutant finishes."""
    from joblib import Parallel, delayed

    mutants = list(MUTANTS if mutants is None else mutants)
    owned = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="resnet-lemmas-mutants-")) if owned else Path(workdir)
    try:
        base = build_base(root, workdir / "base")
        runs = settings(mutants)
        controls = control_runs(base, runs, python, jobs)

        def one(mutant, instances):
            outcome = run_mutant(mutant, base, workdir, instances, python)
            if progress is not None:
                progress(outcome)
            return outcome
        order = sorted(runs, key=lambda item: item[1] is not None)   # the long default runs first
        outcomes = Parallel(n_jobs=jobs, prefer="threads")(delayed(one)(m, i) for m, i in order)
        return list(outcomes), controls
    finally:
        if owned:
            shutil.rmtree(workdir, ignore_errors=True)


def run_old(mutants=None, jobs: int = 2, root: Path = OLD_ROOT, python: str = OLD_PYTHON,
            progress=None) -> tuple[dict, RunResult]:
    """Each mutant's counterpart on the tree before issue 10, at the default settings (as users ran
    ``check`` then); returns ``name -> Outcome`` (or the reason there is no counterpart) and the control
    (the unmutated old tree's run of those lemmas)."""
    from joblib import Parallel, delayed

    mutants = list(MUTANTS if mutants is None else mutants)
    workdir = Path(tempfile.mkdtemp(prefix="resnet-lemmas-old-mutants-"))
    try:
        base = build_base(root, workdir / "base")
        plan = {m.name: old_counterpart(m) for m in mutants}
        todo = [m for m in mutants if not isinstance(plan[m.name], str)]
        control = run_check(base, sorted({name for m in todo for name in m.lemmas}), None, python)

        def one(mutant):
            file, edits = plan[mutant.name]
            outcome = run_mutant(_replace(mutant, kind=ANY_CHECK), base, workdir, None, python, file=file,
                                 edits=edits)
            if progress is not None:
                progress(outcome)
            return outcome
        results = {o.mutant: o for o in Parallel(n_jobs=jobs, prefer="threads")(delayed(one)(m) for m in todo)}
        results.update({name: why for name, why in plan.items() if isinstance(why, str)})
        return results, control
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# -- reports --------------------------------------------------------------------------------------------
def write_report(path, outcomes, controls=None) -> Path:
    """Write every outcome (verdict, seconds, statuses, rejecting layers, the failing step or claims) and the
    control runs as JSON, atomically (``resnet_lemmas.reports``)."""
    from resnet_lemmas.reports import write_json_atomic

    payload = {"seed": SEED, "caught": sum(o.caught for o in outcomes), "runs": len(outcomes),
               "survivors": sorted({o.mutant for o in outcomes if not o.caught}),
               "outcomes": [asdict(o) for o in outcomes],
               "controls": [{"instances": key, **asdict(run)} for key, run in (controls or {}).items()]}
    return write_json_atomic(path, payload)


def summary(outcomes, controls=None) -> str:
    """The control runs, one line per outcome (setting, seconds, verdict, why), the catch rate and the
    survivors, as text."""
    lines = []
    for instances, run in sorted((controls or {}).items(), key=lambda item: (item[0] is None, item[0] or 0)):
        setting = "defaults" if instances is None else f"--instances {instances}"
        bad = {k: v for k, v in run.statuses.items() if v not in PASSING}
        state = run.crashed or ("all pass" if not bad and run.returncode == 0 else f"NOT PASSING: {bad}")
        lines.append(f"control ({setting}, {len(run.statuses)} lemmas): {state} [{run.seconds:.1f} s]")
    width = max((len(o.mutant) for o in outcomes), default=10)
    for o in sorted(outcomes, key=lambda o: (o.mutant, o.instances is None)):
        setting = "default" if o.instances is None else f"n={o.instances}"
        why = "; ".join(f"{k}: {v}" for k, v in o.reasons.items() if v != "passed")
        lines.append(f"{o.mutant:<{width}}  {setting:<8} {o.seconds:6.1f} s  {o.verdict}"
                     + (f"  <- {why[:400]}" if why else ""))
    caught = sum(o.caught for o in outcomes)
    survivors = sorted({o.mutant for o in outcomes if not o.caught})
    lines.append(f"catch rate: {caught} / {len(outcomes)} runs ({len({o.mutant for o in outcomes})} mutants); "
                 f"survivors: {', '.join(survivors) if survivors else 'none'}")
    return "\n".join(lines)


def _layers_text(outcome) -> str:
    if outcome.verdict.startswith(("crashed", "not applicable", "no report")):
        return outcome.verdict
    if outcome.verdict.startswith("SURVIVED"):
        return "**missed**"
    got = sorted({layer for layers in outcome.layers.values() for layer in layers})
    return "caught by " + " + ".join(got)


def markdown_table(mutants, outcomes, old=None) -> str:
    """The README table: each mutant, its lemma, what it breaks and its kind, how ``check`` rejects it now
    (small run; defaults where run) and, given ``old``, before issue 10 (defaults)."""
    now: dict = {}
    for o in outcomes:
        now.setdefault(o.mutant, {})[o.instances] = o
    columns = ["mutant", "lemma", "bug", "kind", "now"] + (["before issue 10"] if old is not None else [])
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for m in mutants:
        runs = sorted(now.get(m.name, {}).items(), key=lambda item: item[0] is None)
        cells = [f"{'defaults' if n is None else f'n={n}'}: {_layers_text(o)}" for n, o in runs]
        row = [f"`{m.name}`", ", ".join(m.lemmas), m.description, m.kind, "; ".join(cells) or "not run"]
        if old is not None:
            before = old.get(m.name)
            row.append(f"n/a ({before})" if isinstance(before, str) else
                       _layers_text(before) if before is not None else "not run")
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="run only this mutant (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="check processes at a time (default 2)")
    parser.add_argument("--no-defaults", action="store_true", help="skip the runs at the default settings")
    parser.add_argument("--output", type=Path, help="also write the outcomes as JSON to this file")
    parser.add_argument("--old", action="store_true",
                        help="also run the counterparts on the tree before issue 10 and print the README table")
    parser.add_argument("--old-root", type=Path, default=OLD_ROOT)
    parser.add_argument("--old-python", default=OLD_PYTHON)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only or ()) - {m.name for m in MUTANTS})
    if unknown:
        parser.error(f"unknown mutants {unknown}")
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.no_defaults:
        chosen = [_replace(m, default=False) for m in chosen]
    started = time.perf_counter()
    outcomes, controls = run_suite(chosen, jobs=args.jobs, progress=lambda o: print(
        f"  {o.mutant}: {o.verdict} ({o.seconds:.1f} s)", file=sys.stderr, flush=True))
    print(summary(outcomes, controls))
    print(f"wall time {time.perf_counter() - started:.0f} s")
    if args.output:
        print(f"wrote {write_report(args.output, outcomes, controls)}")
    if args.old:
        old, control = run_old(chosen, jobs=args.jobs, root=args.old_root, python=args.old_python,
                               progress=lambda o: print(f"  old {o.mutant}: {o.verdict} ({o.seconds:.1f} s)",
                                                        file=sys.stderr, flush=True))
        bad = {k: v for k, v in control.statuses.items() if v not in PASSING}
        print(f"old control (defaults, {len(control.statuses)} lemmas): "
              f"{control.crashed or ('all pass' if not bad else f'NOT PASSING: {bad}')} [{control.seconds:.1f} s]")
        print(markdown_table(chosen, outcomes, old))
    return 0 if all(o.caught for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
