"""The verification procedure on users' units: verdicts, margins, seeds, and that every check can fail."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from resnet_lemmas.numerics.data.synthetic import DataError, classification_data, regression_data
from resnet_lemmas.numerics.models.networks import MLPUnit
from resnet_lemmas.numerics.solvers.search import start_seeds
from resnet_lemmas.numerics.verify.user_units import UnitOutputError
from resnet_lemmas.numerics.certificates.local_minimum import CERTIFIED, ESCAPED, SADDLE, UNCONVERGED
from resnet_lemmas.numerics.verify.run import ResourceLimitError, VjpError, _start_status, stop_cause, verify
from resnet_lemmas.proofs.losses import LossError, NonConvexLossError, UnknownLossError, get_loss


@pytest.fixture(scope="module")
def regression():
    return regression_data(np.random.default_rng(11), 40, 3)


def _mlp(d=3, k=2):
    return MLPUnit(d=d, k=k, widths=(4,), activation="tanh")


def test_starts_below_linear_without_a_certified_minimum_are_not_verified(regression):
    """The MLP overfits 40 points: both starts end far below F_lin but stop before converging, so no
    start is a certified local minimum.  That says nothing about local minima: the verdict is 'too few
    minima' (not 'verified', no "no bad local minimum" in the summary), and only require_minima=0
    accepts the run, as 'below linear'.  Margins, seeds and every visited point are still reported."""
    X, y = regression
    report = verify(_mlp(), X, y, "squared", restarts=2, seed=5, maxiter=400)
    assert report.counts["local minimum"] == report.certified_minima == 0
    assert report.counts["beats linear"] == 2
    assert report.verdict == "too few minima" and not report.ok
    assert "0 certified local minima were examined, fewer than require_minima = 1" in report.summary
    assert "no bad local minimum" not in report.summary.lower()
    assert "VERIFIED" not in report.text().split(":")[1]
    assert [s.seed for s in report.starts] == start_seeds(5, 2) == report.settings["start_seeds"]
    for start in report.starts:
        assert start.status == "beats linear"
        assert start.points_checked > start.nit >= 1        # line-search trials are checked too
        assert start.bound_margin >= 0 and start.convexity_margin >= 0 and start.theorem_margin >= 0
        assert start.violations == 0
        assert start.F_feat <= report.F_lin + 1e-12        # F_feat <= F_lin (certified, rounding 1e-12)
    assert report.linear_attained and report.F_lin > 0
    again = verify(_mlp(), X, y, "squared", restarts=2, seed=5, maxiter=400, require_minima=0)
    assert [s.F for s in again.starts] == [s.F for s in report.starts]   # a seed replays exactly
    assert again.verdict == "below linear" and again.ok and "says nothing about local minima" in again.summary
    with pytest.raises(ValueError, match="require_minima must be an integer from 0 to restarts = 2"):
        verify(_mlp(), X, y, "squared", restarts=2, require_minima=3)


def test_unit_without_features_ends_at_a_certified_local_minimum_and_is_verified(regression):
    """f = 0: F(w, V, theta) = E l(w^T x), whose local minima are exactly the linear optimum.  The search
    reaches it, the certificate holds (a user unit: difference Hessian, relative stationarity against
    the magnitudes of the gradient's terms), and the theorem is checked there: verified."""
    X, y = regression

    class Zero:
        theta0 = np.zeros(1)

        def __call__(self, X, theta):
            return np.zeros((X.shape[0], 1))

        def vjp(self, X, theta, G):
            return np.zeros(1)

    report = verify(Zero(), X, y, "squared", restarts=1, seed=0)
    (start,) = report.starts
    assert start.status == "local minimum" and start.certificate == CERTIFIED
    assert report.verdict == "verified" and report.ok and report.certified_minima == 1
    assert "at each of the 1 certified local minima examined" in report.summary
    # L-BFGS-B stops at max|grad| ~ 1e-9 here, so F - F_lin ~ |grad|^2 / lambda ~ 1e-18: 1e-12 is ample
    assert abs(start.F - report.F_lin) <= 1e-12


def test_search_stopped_above_linear_is_inconclusive_not_verified(regression):
    X, y = regression
    report = verify(_mlp(), X, y, "squared", restarts=1, seed=0, maxiter=1)
    (start,) = report.starts
    assert start.status == "not converged" and report.verdict == "inconclusive" and not report.ok
    assert start.stop_cause == "iteration limit" and start.F > report.F_lin
    assert "raise maxiter" in start.message and "raise maxiter" in report.advice


def _half_gradient_loss():
    """The squared loss with a planted wrong derivative ``l' / 2`` (every other attribute right)."""
    squared = get_loss("squared")

    class HalfGradient:
        name, targets, infimum_attained = "half_gradient", "real", True
        convexity = squared.convexity
        value = staticmethod(squared.value)
        curvature = staticmethod(squared.curvature)
        check_targets = staticmethod(squared.check_targets)

        @staticmethod
        def grad(p, y):
            return 0.5 * squared.grad(p, y)

    return HalfGradient()


def test_wrong_loss_gradient_is_caught_at_the_visited_points(regression):
    """A broken instance: the loss's derivative has the wrong constant, so the convexity inequality
    ``F - E l(u^T x) <= E[r (p - u^T x)]`` the monitor checks is false at the start points."""
    X, y = regression
    report = verify(_mlp(), X, y, _half_gradient_loss(), restarts=1, seed=0, maxiter=50)
    (start,) = report.starts
    assert report.verdict == "violated" and start.status == "violation" and start.violations > 0
    assert start.convexity_margin < 0
    assert "exceeds the first-order term" in start.first_violation
    assert "violate" in report.summary


def test_start_status_classifies_and_rejects_a_failed_theorem_check():
    n = 100
    # (F, F_lin, n, violations, certificate, claims_ok)
    # the certificate's own status strings (local_minimum.STATUSES), as certify_end_point returns them
    assert _start_status(0.5, 0.6, n, 0, UNCONVERGED, True) == "beats linear"
    assert _start_status(0.6, 0.6, n, 0, UNCONVERGED, True) == "ties linear"
    # 1e-6 above F_lin is far beyond rounding (64 n eps ~ 1.4e-12): not a tie, and not decided
    assert _start_status(0.6 + 1e-6, 0.6, n, 0, UNCONVERGED, True) == "not converged"
    # a certified local minimum counts as such (its claims were checked without gradient slack) ...
    assert _start_status(0.6 - 1e-3, 0.6, n, 0, CERTIFIED, True) == "local minimum"
    # ... and a certified local minimum whose claims fail is a violation, whatever F is
    assert _start_status(0.5, 0.6, n, 0, CERTIFIED, False) == "violation"
    # ... and one whose benchmark brackets did not close had no claims checked: it is judged like any
    # end point against F_lin (here above it: undecided), never counted as a checked local minimum
    assert _start_status(0.7, 0.6, n, 0, CERTIFIED, True, claims_checked=False) == "not converged"
    assert _start_status(0.5, 0.6, n, 0, CERTIFIED, True, claims_checked=False) == "beats linear"
    assert _start_status(0.5, 0.6, n, 3, UNCONVERGED, True) == "violation"      # bound failed somewhere
    # a saddle or an escaped run above F_lin decides nothing
    assert _start_status(0.7, 0.6, n, 0, SADDLE, True) == "saddle"
    assert _start_status(0.7, 0.6, n, 0, ESCAPED, True) == "escaped"
    # beating the benchmark's point is not beating the infimum unless by more than its certificate
    assert _start_status(0.59, 0.6, n, 0, UNCONVERGED, True, suboptimality=0.05) == "ties linear"
    assert _start_status(0.5, 0.6, n, 0, UNCONVERGED, True, suboptimality=0.05) == "beats linear"


def test_a_start_above_F_lin_at_an_uncertified_point_is_not_verified_by_its_gradient_slack():
    """The bound of approximate_stationarity_bound at a converged point is a bound, not the theorem:
    without a certified local minimum such a start leaves the verdict inconclusive."""
    from resnet_lemmas.numerics.verify.run import StartResult, _verdict

    lin = type("Lin", (), {"attained": True, "message": "", "value": 0.6})()
    fields = dict(seed=1, F=0.7, F_feat=0.7, beats_linear_by=-0.1, converged=True, max_abs_grad=1e-10,
                  grad_norm_w=0.0, grad_norm_V=0.0, grad_norm_theta=0.0, eps_bound=1e-9, param_norm=1.0,
                  nit=10, theorem_margin=1.0, gradient_slack=1e-9, points_checked=5, nonfinite_points=0,
                  bound_margin=1.0, convexity_margin=1.0, violations=0, first_violation="",
                  optimiser_message="", message="", seconds=0.0)
    starts = [StartResult(index=0, status="not converged", **fields)]
    verdict, summary = _verdict(starts, lin)
    assert verdict == "inconclusive" and "a bound, not the theorem" in summary
    starts = [StartResult(index=0, status="local minimum", **fields)]
    assert _verdict(starts, lin)[0] == "verified"


def test_verdict_vocabulary_counts_certified_minima_against_require_minima():
    """Each verdict of the vocabulary from its statuses: 'verified' needs at least max(K, 1) certified
    local minima; ending below F_lin without them is 'too few minima' (K >= 1) or 'below linear' (K = 0),
    and neither summary claims anything about local minima."""
    from resnet_lemmas.numerics.verify.run import PASSING, VERDICTS, StartResult, _verdict

    lin = type("Lin", (), {"attained": True, "message": "", "value": 0.6})()
    fields = dict(seed=1, F=0.5, F_feat=0.5, beats_linear_by=0.1, converged=False, max_abs_grad=1e-3,
                  grad_norm_w=0.0, grad_norm_V=0.0, grad_norm_theta=0.0, eps_bound=1e-3, param_norm=1.0,
                  nit=10, theorem_margin=1.0, gradient_slack=1e-3, points_checked=5, nonfinite_points=0,
                  bound_margin=1.0, convexity_margin=1.0, violations=0, first_violation="",
                  optimiser_message="", message="", seconds=0.0)

    def starts(*statuses):
        return [StartResult(index=i, status=s, **fields) for i, s in enumerate(statuses)]

    beats3 = starts("beats linear", "beats linear", "beats linear")
    verdict, summary = _verdict(beats3, lin)                        # the red team's diabetes case
    assert verdict == "too few minima" and verdict not in PASSING
    assert summary.startswith("every start ended below F_lin (3 beats linear), but 0 certified local "
                              "minima were examined, fewer than require_minima = 1")
    verdict, summary = _verdict(beats3, lin, require_minima=0)
    assert verdict == "below linear" and verdict in PASSING and "says nothing about local minima" in summary
    one = starts("local minimum", "beats linear", "ties linear")
    assert _verdict(one, lin, require_minima=0)[0] == "verified"
    assert _verdict(one, lin, require_minima=1)[0] == "verified"
    verdict, summary = _verdict(one, lin, require_minima=2)
    assert verdict == "too few minima" and "no worse than F_lin (below or tied)" in summary
    assert "1 certified local minima were examined, fewer than require_minima = 2" in summary
    assert _verdict(starts("local minimum", "not converged"), lin)[0] == "inconclusive"
    assert _verdict(starts("local minimum", "violation"), lin)[0] == "violated"
    for statuses in (("beats linear",), ("local minimum",), ("ties linear", "local minimum")):
        for K in (0, 1):
            verdict, summary = _verdict(starts(*statuses), lin, require_minima=K)
            assert verdict in VERDICTS and "no bad local minimum" not in summary.lower()


def test_unattained_linear_infimum_is_said_plainly_and_used_as_is():
    X, y = classification_data(np.random.default_rng(3), 30, 2, separable=True)
    report = verify(_mlp(d=2), X, y, "logistic", restarts=1, seed=0, maxiter=3)
    assert not report.linear_attained and report.F_lin == 0.0
    assert "not attained" in report.linear_message
    assert "infimum that no linear predictor attains" in report.summary
    (start,) = report.starts
    assert start.F > 0.0 and start.status == "not converged" and report.verdict == "inconclusive"
    assert "not attained" in start.message
    assert start.bound_margin >= 0 and start.theorem_margin >= 0


def test_wrong_user_vjp_is_a_precondition_error(regression):
    X, y = regression
    mlp = _mlp()

    class WrongVjp:
        theta0 = mlp.init(np.random.default_rng(0))

        def __call__(self, X, theta):
            return mlp(X, theta)

        def vjp(self, X, theta, G):
            return -mlp.vjp(X, theta, G)            # wrong sign

    with pytest.raises(VjpError, match="vjp is wrong"):
        verify(WrongVjp(), X, y, "squared", restarts=1)


def test_preconditions_loss_data_and_unit_output_fail_clearly(regression):
    X, y = regression
    with pytest.raises(NonConvexLossError, match="not convex"):
        verify(_mlp(), X, y, "sigmoid")
    with pytest.raises(UnknownLossError, match="unknown loss 'nope'"):
        verify(_mlp(), X, y, "nope")
    with pytest.raises(LossError, match=r"labels must be -1/\+1; found 40 other value\(s\)"):
        verify(_mlp(), X, y, "logistic")
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        verify(_mlp(), X_nan, y, "squared")

    def flat(X, theta):
        return X[:, 0]

    flat.theta0 = np.zeros(1)
    with pytest.raises(UnitOutputError, match="shape"):
        verify(flat, X, y, "squared")
    with pytest.raises(ValueError, match="restarts"):
        verify(_mlp(), X, y, "squared", restarts=0)


def test_report_is_strict_json_and_readable_text(regression):
    X, y = regression
    report = verify(_mlp(), X, y, "squared", restarts=1, seed=2, maxiter=100, data_name="toy")
    payload = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert payload["seed"] == 2 and payload["verdict"] == report.verdict and payload["data"] == "toy"
    assert payload["ok"] == report.ok and payload["require_minima"] == 1
    assert payload["certified_minima"] == payload["counts"]["local minimum"] == report.certified_minima
    assert {"F", "F_feat", "theorem_margin", "bound_margin", "max_abs_grad", "status"} <= set(payload["starts"][0])
    assert payload["counts"][report.starts[0].status] == 1
    text = report.text()
    assert report.verdict.upper() in text and "F_lin = " in text and "seed 2" in text


def test_torch_module_is_verified_end_to_end(regression):
    torch = pytest.importorskip("torch")
    X, y = regression
    torch.manual_seed(0)
    block = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    report = verify(block, X, y, "squared", restarts=1, seed=0, maxiter=200, require_minima=0)
    # 200 iterations end below F_lin at no certified minimum: all the run shows is 'below linear'
    assert report.verdict == "below linear" and report.ok and "PyTorch" in report.unit
    assert report.starts[0].bound_margin >= 0


# -- diagnostics: NaN/inf, why a start stopped, scaling, resources, labels ------------------------
class NanBeyondRadius:
    """``f(x) = tanh(x^T a) log(9 - ||a||^2)``: NaN once ``||theta|| >= 3``, and no vjp, so the search
    differentiates it numerically (which used to fail inside SciPy with "Tolerances and step
    parameters must be non-negative scalars")."""

    def __init__(self, d):
        self.theta0 = np.full(d, 0.1)

    def __call__(self, X, theta):
        with np.errstate(invalid="ignore"):
            return (np.tanh(X @ theta) * np.log(9.0 - theta @ theta))[:, None]


@pytest.fixture(scope="module")
def sign_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    return X, np.sign(X[:, 0])


def test_nan_met_during_the_search_is_reported_with_the_theta_norm(sign_data):
    X, y = sign_data
    report = verify(NanBeyondRadius(3), X, y, "squared", restarts=2, seed=0)
    hit = [s for s in report.starts if s.nonfinite_points]
    assert hit, "the search should reach the region ||theta|| >= 3 where the unit is NaN"
    for start in hit:
        assert start.nonfinite_theta_norm >= 3.0        # log(9 - ||theta||^2) is finite below 3
        assert start.first_nonfinite.startswith("the unit returned NaN/inf")
        assert f"||theta|| = {start.nonfinite_theta_norm:.4g}" in start.first_nonfinite
    assert any("met NaN/inf" in line and "||theta|| = " in line for line in report.diagnostics)
    assert "diagnosis: start" in report.text()


class LineSearchBreaks:
    """A stand-in for L-BFGS-B's result: stopped by a failed line search after 283 of 6000 iterations."""
    converged, nit, message, F, param_norm = False, 283, "ABNORMAL: ", 1.0, 3.0


@pytest.mark.parametrize("message, nit, cause", [
    ("ABNORMAL: ", 283, "line search"), ("ABNORMAL_TERMINATION_IN_LNSRCH", 332, "line search"),
    ("STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT", 6000, "iteration limit"),
    ("STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT", 4100, "iteration limit"),
    ("CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH", 11, "no decrease"),
    ("objective or gradient is not finite at the start point; not optimised", 0, "nonfinite start")])
def test_stop_cause_reads_why_lbfgsb_stopped(message, nit, cause):
    result = type("Result", (), {"converged": False, "nit": nit, "message": message})
    assert stop_cause(result, 6000) == cause


def test_a_line_search_breakdown_never_advises_more_iterations():
    from resnet_lemmas.numerics.data.datasets import ScaleDiagnosis
    from resnet_lemmas.numerics.verify.run import _advice, _start_message

    lin = type("Lin", (), {"attained": True, "value": 0.5})
    pc = type("Point", (), {"gradient_slack": 0.1})
    monitor = type("Monitor", (), {"nonfinite": 0, "first_nonfinite": "", "violations": 0})
    fine = ScaleDiagnosis(np.ones(3))
    message = _start_message("not converged", LineSearchBreaks, pc, monitor, lin, 6000, "line search", fine)
    assert "stopped after 283 of at most 6000 iterations because the line search broke down" in message
    assert "raising maxiter will not help" in message and "raise maxiter" not in message
    start = type("Start", (), {"status": "not converged", "stop_cause": "line search",
                               "nonfinite_points": 0})
    advice = _advice("inconclusive", [start], fine)
    assert "more iterations do not cure" in advice and "raise maxiter" not in advice
    badly = ScaleDiagnosis(np.ones(3), "the columns of X are on very different scales")
    assert _advice("inconclusive", [start], badly).startswith("rerun with --standardize")


def test_badly_scaled_data_are_diagnosed_and_standardize_cures_them():
    datasets = pytest.importorskip("sklearn.datasets")
    wine = datasets.load_wine()
    X, y = wine.data, np.where(wine.target == 1, 1.0, -1.0)     # raw: columns from 0.38 to 810
    unit = MLPUnit(d=13, k=2, widths=(4,), activation="tanh")
    notes = []
    # squared loss: F_lin is attained (the standardised classes are separable under logistic loss, where
    # no local minimum exists and the verdict stays inconclusive whatever the scaling)
    raw = verify(unit, X, y, "squared", restarts=2, seed=0, maxiter=300, note=notes.append)
    assert raw.verdict == "inconclusive"
    assert notes and "very different scales" in notes[0]
    assert any("very different scales" in line for line in raw.diagnostics)
    assert raw.advice.startswith("rerun with --standardize")
    cured = verify(unit, X, y, "squared", restarts=2, seed=0, maxiter=300, standardize=True,
                   require_minima=0)
    assert cured.verdict == "below linear" and cured.ok and not cured.diagnostics
    assert cured.settings["standardize"] and "X standardised" in cured.data


def test_a_run_estimated_past_the_limit_is_refused_before_the_search(regression, monkeypatch):
    from resnet_lemmas.numerics.verify import run as verify_run

    searched = []
    monkeypatch.setattr(verify_run, "local_minimum_from_seed", lambda *a, **k: searched.append(1))
    monkeypatch.setattr(verify_run, "polished_local_minimum", lambda *a, **k: searched.append(1))
    monkeypatch.setattr(verify_run, "LONG_RUN_SECONDS", 1e-9)   # any run is "long" now
    X, y = regression
    # N = 35 parameters: the polish's Hessians (at most POLISH_HESSIANS = 4 of 4 N gradients each) count in the estimate
    with pytest.raises(ResourceLimitError, match=r"could take about .* restarts x \(up to 1,500 "
                                                 r"iterations \+ up to 560 gradients for the polish's "
                                                 r"Hessians\) x .* ms per evaluation.*--yes") as info:
        verify(_mlp(), X, y, "squared", restarts=50_000, seed=0)
    assert info.value.estimate_seconds > 0 and not searched


def test_too_many_restarts_are_refused_before_any_allocation(regression, monkeypatch):
    from resnet_lemmas.numerics.verify import run as verify_run

    monkeypatch.setattr(verify_run, "start_seeds", lambda *a: pytest.fail("seeds were drawn"))
    X, y = regression
    with pytest.raises(ResourceLimitError, match=r"restarts = 100,000,000 is more than 100,000"):
        verify(_mlp(), X, y, "squared", restarts=100_000_000)


def test_zero_one_labels_for_a_margin_loss_are_named_with_the_fix(regression):
    X, _ = regression
    y01 = (X[:, 0] > 0).astype(float)
    with pytest.raises(LossError, match=r"labels must be -1/\+1; found 0/1 labels \(\d+ zeros, \d+ ones\); "
                                        r"map them with 2y-1"):
        verify(_mlp(), X, y01, "logistic")


def test_a_negative_seed_is_refused_by_name(regression):
    X, y = regression
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        verify(_mlp(), X, y, "squared", seed=-3)


# -- the polish after L-BFGS-B (refine: Hessian, curvature steps, Newton) -------------------------
class SinUnit:
    """``f(x) = sin(x^T a) b`` (k = 1) with its vjp: small enough (N = d + d + d + 1) to be polished,
    and its minima on regression data are isolated up to ``(V, b) -> (V / s, s b)``."""

    def __init__(self, d):
        self.d = d
        self.theta0 = np.concatenate([np.full(d, 0.3), [1.0]])

    def __call__(self, X, theta):
        return np.sin(X @ theta[:self.d])[:, None] * theta[self.d:][None, :]

    def vjp(self, X, theta, G):
        z = X @ theta[:self.d]
        return np.concatenate([X.T @ (np.cos(z) * (G @ theta[self.d:])), G.T @ np.sin(z)])


@pytest.fixture(scope="module")
def regression_200():
    return regression_data(np.random.default_rng(11), 200, 3)


def test_a_polished_start_is_certified_and_the_run_verified(regression_200):
    """The polish after L-BFGS-B takes the start to a point the unchanged certificate accepts
    (relative stationarity 1e-9, second-order test), the theorem's claims hold there, and the run is
    verified with the default require_minima = 1.  Every polish step is a visited point."""
    from resnet_lemmas.numerics.certificates.main_theorem import certify_end_point
    from resnet_lemmas.numerics.models.residual import ResNetProblem
    from resnet_lemmas.numerics.solvers.search import local_minimum_from_seed
    from resnet_lemmas.numerics.verify.user_units import adapt_unit

    X, y = regression_200
    # seed 1's start: L-BFGS-B stops at ||grad|| above the certificate's 1e-9 relative test (measured:
    # 114 iterations, 'unconverged'); one Newton step takes it to a relative gradient ~1e-16
    report = verify(SinUnit(3), X, y, "squared", restarts=1, seed=1)
    (start,) = report.starts
    assert start.polish.startswith("polish:") and "Newton steps" in start.polish
    assert start.certificate == CERTIFIED and start.status == "local minimum"
    assert report.verdict == "verified" and report.ok and report.certified_minima == 1
    assert start.violations == 0 and start.claims_margin >= 0 and start.points_checked > start.nit
    assert report.settings["polish"] is True
    # the same start without the polish: L-BFGS-B alone ends where the certificate says 'unconverged'
    problem = ResNetProblem(adapt_unit(SinUnit(3)), X, y, get_loss("squared"))
    plain = local_minimum_from_seed(problem, start.seed, maxiter=1500)
    assert certify_end_point(problem, plain.w, plain.V, plain.theta).status == UNCONVERGED


def test_the_polish_never_turns_a_wrong_gradient_into_a_pass(regression_200):
    """The HalfGradient loss of the test above (a planted wrong derivative) with a polished unit: the
    polish's Newton and curvature steps go through the monitor like every other point, so the
    violation is still found and the verdict is 'violated', whatever the end point's certificate."""
    X, y = regression_200
    report = verify(SinUnit(3), X, y, _half_gradient_loss(), restarts=2, seed=1)
    assert report.settings["polish"] is True
    assert report.verdict == "violated" and not report.ok
    for start in report.starts:
        assert start.status == "violation" and start.violations > 0 and start.convexity_margin < 0


def test_units_above_the_polish_limit_say_why_no_polish_was_tried(regression, monkeypatch):
    from resnet_lemmas.numerics.verify import run as verify_run

    monkeypatch.setattr(verify_run, "POLISH_MAX_PARAMS", 5)
    X, y = regression
    report = verify(SinUnit(3), X, y, "squared", restarts=1, seed=0, maxiter=20, require_minima=0)
    (start,) = report.starts
    assert report.settings["polish"] is False
    assert start.polish.startswith("no polish tried: N = d + d k + q = 10 parameters > 5")
    assert start.polish in start.message


def test_a_user_vjp_wrong_at_a_certified_minimum_makes_it_a_violation(regression_200, monkeypatch):
    """Red team 2: a user's vjp was checked at the first start's theta only; a certified minimum rests on
    the gradient in theta there, so the vjp is checked again at every certified end point."""
    from resnet_lemmas.numerics.verify import run as verify_run

    class SinUnitWrongVjp(SinUnit):
        def vjp(self, X, theta, G):
            return 1.5 * super().vjp(X, theta, G)

    X, y = regression_200
    assert "vjp is wrong" in verify_run._user_vjp_at(
        verify_run.ResNetProblem(verify_run.adapt_unit(SinUnitWrongVjp(3)), X, y, get_loss("squared")),
        verify_run.adapt_unit(SinUnitWrongVjp(3)), SinUnit(3).theta0, 0)
    # the right unit, its end-point check made to fail: the certified start becomes a violation
    monkeypatch.setattr(verify_run, "_user_vjp_at", lambda *a: "the unit's vjp is wrong at this certified "
                                                                "point: planted")
    report = verify(SinUnit(3), X, y, "squared", restarts=1, seed=1)
    (start,) = report.starts
    assert start.status == "violation" and "planted" in start.message
    assert report.verdict == "violated" and not report.ok


class ZeroInitTanh:
    """``f(x) = C tanh(A x)`` without biases, initialised at ``theta = 0`` (a zero-initialised residual
    branch): ``theta = 0`` is stationary with ``F = F_lin`` and a zero Hessian in ``theta``, yet a
    saddle (its descent is of fourth order), so it passes the second-order test (red team 3)."""

    def __init__(self, d=3, k=1, m=2):
        self.d, self.k, self.m = d, k, m
        self.theta0 = np.zeros(m * d + k * m)

    def init(self, rng, scale=1.0):
        return np.zeros(self.m * self.d + self.k * self.m)

    def _split(self, theta):
        return theta[:self.m * self.d].reshape(self.m, self.d), theta[self.m * self.d:].reshape(self.k, self.m)

    def __call__(self, X, theta):
        A, C = self._split(theta)
        return np.tanh(X @ A.T) @ C.T

    def vjp(self, X, theta, G):
        A, C = self._split(theta)
        h = np.tanh(X @ A.T)
        dZ = (G @ C) * (1 - h * h)
        return np.concatenate([(dZ.T @ X).ravel(), (G.T @ h).ravel()])


def test_a_degenerate_saddle_at_a_zero_initialised_branch_is_not_counted_as_a_minimum():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 3))
    y = X[:, 0] ** 3 + X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=60)
    report = verify(ZeroInitTanh(), X, y, "squared", restarts=2, maxiter=300, seed=0)
    assert report.certified_minima == 0 and report.verdict == "too few minima" and not report.ok
    for start in report.starts:
        assert start.certificate == SADDLE and "descent probe" in start.certificate_message


def test_a_wrong_curvature_in_the_certificate_is_a_violation(regression_200, monkeypatch):
    """Red team 3: verify compared the certificate's curvature with nothing; a Hessian code off by a
    factor now fails the independent estimate (derivatives of the gradient along the eigenvectors)."""
    from resnet_lemmas.numerics.certificates import local_minimum as lm

    original = lm.certify_local_minimum

    def doubled(*args, **kwargs):
        cert = original(*args, **kwargs)
        return dataclasses.replace(cert, curvature=2.0 * cert.curvature, top_curvature=2.0 * cert.top_curvature)

    monkeypatch.setattr(lm, "certify_local_minimum", doubled)
    X, y = regression_200
    report = verify(SinUnit(3), X, y, "squared", restarts=1, seed=1)
    (start,) = report.starts
    assert start.status == "violation" and report.verdict == "violated"
    assert any("d^T H d" in c["label"] and c["margin"] < 0 for c in start.claims)
