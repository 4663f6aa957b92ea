"""Losses: convexity proven for the convex ones, rejected with a witness for the others."""
import numpy as np
import pytest
import sympy as sp

from resnet_lemmas.proofs.losses import (
    LOSSES, P, Y, LossError, NonConvexLossError, NonDifferentiableLossError, UnknownLossError,
    custom_loss, get_loss)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_registered_loss_has_a_convexity_certificate(name):
    cert = get_loss(name).convexity
    assert cert.loss_name == name and "nonnegative" in cert.reason


def test_the_six_required_losses_are_registered():
    assert {"squared", "logistic", "exponential", "softplus_hinge", "pseudo_huber", "poisson"} <= set(LOSSES)


def test_sigmoid_loss_is_rejected_with_a_point_where_the_curvature_is_negative():
    with pytest.raises(NonConvexLossError, match=r"not convex in p: l''\(p=.*, y=.*\) = -"):
        get_loss("sigmoid")


def test_hinge_loss_is_rejected_as_not_differentiable():
    with pytest.raises(NonDifferentiableLossError,
                       match="'hinge' is not accepted as a smooth real loss: it uses Max"):
        get_loss("hinge")


@pytest.mark.parametrize("expr, why", [
    ((P - Y) ** 2 + 10 * sp.arg(P - Y), "it uses arg"),          # jumps at p = y: not convex
    ((P - Y) ** 2 * (1 + sp.sign(P - Y)), "it uses sign"),
    (sp.Abs(P - Y), "it uses Abs"),
    (sp.sqrt((P - Y) ** 2), "it uses Abs"),                       # SymPy writes it |p - y|
    (sp.Piecewise(((P - Y) ** 2, P > Y), (0, True)), "it uses Piecewise"),
    (sp.Function("g")(P - Y), "it uses g"),                       # an undefined function
    ((P - Y) ** 2 + sp.I * P, "it uses ImaginaryUnit"),           # not real
    (sp.log(P ** 2), "it takes log of p**2, not proven positive"),
    (1 / P, "it divides by p, which may vanish"),
    ((P - Y) ** sp.Rational(3, 2), "not proven positive"),
])
def test_custom_losses_outside_the_smooth_real_functions_are_refused(expr, why):
    with pytest.raises(NonDifferentiableLossError, match="not accepted as a smooth real loss") as info:
        custom_loss("suspect", expr)
    assert why in str(info.value)


def test_custom_losses_from_the_allowed_functions_are_accepted_when_convex():
    smooth = custom_loss("log_cosh_like", sp.log(sp.exp(P - Y) + sp.exp(Y - P)))
    assert "nonnegative" in smooth.convexity.reason
    root = custom_loss("pseudo_huber_like", sp.sqrt(1 + (P - Y) ** 2))
    assert "nonnegative" in root.convexity.reason


def test_unknown_loss_name_lists_the_known_ones():
    with pytest.raises(UnknownLossError, match="unknown loss 'cross_entropy'.*logistic"):
        get_loss("cross_entropy")


def test_custom_concave_loss_is_rejected_and_custom_convex_loss_accepted():
    with pytest.raises(NonConvexLossError):
        custom_loss("neg_square", -(P - Y) ** 2)
    quartic = custom_loss("quartic", (P - Y) ** 4 + (P - Y) ** 2)
    assert quartic.convexity.loss_name == "quartic"
    with pytest.raises(LossError, match="free symbols"):
        custom_loss("bad", P * sp.Symbol("z"))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_numeric_loss_and_derivatives_equal_exact_evaluation(name):
    loss = get_loss(name)
    rng = np.random.default_rng(7)  # replayable
    ps = rng.normal(scale=3.0, size=20)
    ys = {"sign": rng.choice([-1.0, 1.0], 20), "count": rng.poisson(3.0, 20).astype(float)}.get(
        loss.targets, rng.normal(size=20))
    for order, numeric in enumerate((loss.value, loss.grad, loss.curvature)):
        got = numeric(ps, ys)
        exact = [float(sp.N(loss.at(sp.Float(p, 30), sp.Float(y, 30), order), 30)) for p, y in zip(ps, ys)]
        # lambdify of the same expression, float64 kernels (logaddexp, expit): relative rounding only
        np.testing.assert_allclose(got, exact, rtol=1e-12, atol=1e-14)


def test_logistic_numeric_kernel_does_not_overflow():
    loss = get_loss("logistic")
    assert np.isfinite(loss.value(np.array([-1e4, 1e4]), np.array([1.0, 1.0]))).all()


def test_targets_are_validated_by_name():
    with pytest.raises(LossError, match=r"needs targets in \{-1, \+1\}"):
        get_loss("logistic").check_targets([0.0, 1.0])
    with pytest.raises(LossError, match="nonnegative"):
        get_loss("poisson").check_targets([-1.0, 1.0])
    with pytest.raises(LossError, match="NaN or inf"):
        get_loss("squared").check_targets([np.nan, 1.0])
