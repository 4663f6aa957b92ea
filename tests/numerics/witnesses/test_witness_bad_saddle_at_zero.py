"""Witness bad_saddle_at_zero: certified bad strict saddles and both families; a wrong step, a point that is
not stationary, a flipped Hessian or eigenvalue, and a wrong relation in the example's conclusion fail."""
import numpy as np
import sympy as sp

from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses import bad_saddle_at_zero as wit
from resnet_lemmas.proofs.expressions import inner
from resnet_lemmas.proofs.lemmas import bad_saddle_at_zero as lemma

CURVATURE = "d^2/dt^2 F(t u, V - t s u c_0^T, theta) at t = 0 = -1"


def test_witness_certifies_saddles_and_both_families():
    report = wit.witness(seed=1, instances=3)
    assert report.ok, report.failures
    assert report.details["saddles_certified"] == 3
    assert report.details["max_lambda_min_of_SHS"] < 0
    assert report.details["small_w_family_instances"] >= 1


def test_witness_rejects_a_wrong_negative_curvature_step(monkeypatch):
    real = wit.s_star
    monkeypatch.setattr(wit, "s_star", lambda *args: 0.5 * real(*args))  # d^T H d is then not -1
    report = wit.witness(seed=1, instances=2)
    assert not report.ok
    assert "proven: -1" in report.failures[0]["description"]


def test_witness_rejects_a_point_that_is_not_stationary(monkeypatch):
    real = wit.saddle_point

    def shifted(problem, theta):
        a0, c0, V0 = real(problem, theta)
        return a0, c0, 1.01 * V0   # grad_w F = a0 + 1.01 V0 c0 = -0.01 a0 != 0
    monkeypatch.setattr(wit, "saddle_point", shifted)
    report = wit.witness(seed=1, instances=2)
    assert not report.ok
    assert "not stationary" in report.failures[0]["description"]


def _failing_labels(report):
    return {c["label"] for f in report.failures for c in f["claims"] if c["margin"] < 0}


def test_a_hessian_with_a_flipped_sign_fails(monkeypatch):
    real = wit.dense_hessian
    monkeypatch.setattr(wit, "dense_hessian", lambda *a, **k: tuple(s * x for s, x in zip((-1, 1), real(*a, **k))))
    report = wit.witness(seed=1, instances=2)
    assert report.status == "failed"
    # -H is indefinite too: the quadratic form says it
    assert f"{CURVATURE} (Hessian code: d^T H d)" in _failing_labels(report)


def test_a_certificate_that_flips_the_eigenvalue_sign_fails(monkeypatch):
    real = wit.negative_curvature_certificate

    def flipped(*args, **kwargs):
        report = real(*args, **kwargs)
        report.eigenvalue = -report.eigenvalue
        return report
    monkeypatch.setattr(wit, "negative_curvature_certificate", flipped)
    report = wit.witness(seed=1, instances=2)
    assert ("lambda_min(S H S) < 0 (Hessian code, certified; not a relation of the conclusion)"
            in _failing_labels(report))


EIGENVALUE = ("lambda_min(S H S) = d^2/dt^2 F(z + t S v) (the certificate's eigenvalue, extrapolated from F "
              "along its eigenvector v; not a relation of the conclusion)")


def test_a_certificate_that_reports_minus_the_largest_eigenvalue_fails(monkeypatch):
    """The eigenvalues of -S H S (a flipped sign): the reported lambda_min is minus the largest eigenvalue, still
    negative, so only the second derivative of F along S v (its eigenvector) shows it is wrong."""
    real = wit.negative_curvature_certificate

    def top(H, n, direction=None, error=None, scaling=None):
        report = real(H, n, direction, error=error, scaling=scaling)
        values, vectors = np.linalg.eigh(-H * np.outer(scaling, scaling))
        report.eigenvalue, report.eigenvector = float(values[0]), vectors[:, 0]
        return report
    monkeypatch.setattr(wit, "negative_curvature_certificate", top)
    report = wit.witness(seed=1, instances=2)
    assert report.status == "failed"
    assert _failing_labels(report) == {EIGENVALUE}


def test_the_independent_and_rigorous_claims_are_there_and_hold():
    result = wit.one(2024)
    claims = {c.label: c for c in result.claims}
    assert claims[f"{CURVATURE} (extrapolated from F)"].margin >= 0
    assert claims[EIGENVALUE].margin >= 0 and claims[EIGENVALUE].lhs < 0
    assert claims["d/dt E l(-t a_0^T x; y) at t = 0 = -a_0^T a_0 (extrapolated from loss values)"].margin >= 0
    for conjunct in statement.conjuncts("bad_saddle_at_zero"):
        assert any(label.startswith(conjunct.label) for label in claims), conjunct.label
    arb_claims = [c for label, c in claims.items() if "Arb enclosure" in label]
    assert len(arb_claims) == 3 and all(c.margin >= 0 for c in arb_claims)


def test_check_command_fails_on_a_flipped_hessian(monkeypatch, capsys):
    from resnet_lemmas.cli import main

    real = wit.dense_hessian
    monkeypatch.setattr(wit, "dense_hessian", lambda *a, **k: tuple(s * x for s, x in zip((-1, 1), real(*a, **k))))
    code = main(["check", "--only", "bad_saddle_at_zero", "--instances", "2", "--no-progress", "--json"])
    assert code == 1
    assert '"status": "failed"' in capsys.readouterr().out


def test_a_flipped_sign_in_the_linear_descent_fails(wrong_conclusion):
    wrong_conclusion("bad_saddle_at_zero", wit.LINEAR_DESCENT,
                     sp.Eq(lemma.d_lin, inner(lemma.a0, lemma.a0), evaluate=False))
    report = wit.witness(seed=1, instances=2)
    assert report.status == "failed"
    assert ("d/dt E l(-t a_0^T x; y) at t = 0 = a_0^T a_0 (extrapolated from loss values)"
            in _failing_labels(report))


def test_a_wrong_proven_curvature_fails_for_the_extrapolation_and_the_hessian(wrong_conclusion):
    wrong_conclusion("bad_saddle_at_zero", wit.SADDLE_CURVATURE, sp.Eq(lemma.d2F, -2, evaluate=False))
    report = wit.witness(seed=1, instances=2)
    wrong = "d^2/dt^2 F(t u, V - t s u c_0^T, theta) at t = 0 = -2"
    assert {f"{wrong} (extrapolated from F)", f"{wrong} (Hessian code: d^T H d)"} <= _failing_labels(report)


def test_a_wrong_step_in_the_lemmas_hypothesis_is_used_and_fails(monkeypatch):
    """The witness takes s* from the lemma (compiled by the bridge): a wrong S_STAR there (+2 for +1)
    makes the curvature along the direction -3/2, not the proven -1."""
    monkeypatch.setattr(lemma, "S_STAR", (lemma.E_l2_uphi + 2) / (2 * inner(lemma.u_dir, lemma.u_dir)
                                                                   * inner(lemma.c0, lemma.c0)))
    report = wit.witness(seed=1, instances=2)
    assert report.status == "failed" and f"{CURVATURE} (extrapolated from F)" in _failing_labels(report)


def test_the_families_evaluate_the_section_4_bound_of_its_lemma(wrong_conclusion):
    """The families claim lemma approximate_stationarity_bound's relation: halving it there fails here."""
    from resnet_lemmas.numerics.witnesses import approximate_stationarity_bound as bound_witness
    from resnet_lemmas.proofs.expressions import F
    from resnet_lemmas.proofs.lemmas import approximate_stationarity_bound as bound_lemma

    wrong_conclusion("approximate_stationarity_bound", bound_witness.BOUND,
                     sp.Le(F - bound_lemma.E_l_u, bound_lemma.BOUND / 1000, evaluate=False))
    report = wit.witness(seed=1, instances=2)
    assert report.status == "failed"
    assert any("(t = " in label or "(R = " in label for label in _failing_labels(report))
