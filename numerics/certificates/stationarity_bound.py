"""The section-4 identity and bound evaluated at many points at once (lemma approximate_stationarity_bound).

For a residual unit's features ``Fx = f_theta(X)`` (shape ``(n, k)``) and ``P`` points stacked as
``W (P, d)``, ``Vs (P, d, k)``, ``U (P, d)`` (comparators ``u``), :func:`batched_terms` returns, per
point, with ``p = w^T (x + V f)`` and ``q = u^T x``:

* ``gap = F - E l(u^T x)``, from loss *values* only (``l(p)`` and ``l(q)``; no derivative);
* ``bregman = E[D_l(u^T x, p)] = E[l(q) - l(p) - l'(p) (q - p)]``, its definition (the only term that
  uses ``l'``, here ``loss.grad``);
* ``first_order = (w - u)^T grad_w F + u^T V c`` and ``bound = ||w - u|| ||grad_w F|| + ||u|| ||V||_2
  ||grad_V F||_F / ||w||``, from the gradients ``grad_w F``, ``c``, ``grad_V F`` the *model* computes
  (:func:`model_gradients`: ``ResNetProblem.gradients``), passed in; nothing here derives them;
* the gradient norms and the magnitudes of every summed term (for the rounding tolerance).

So the identity ``gap = first_order - bregman`` is not algebra: its three terms come from three
computations (loss values; the definition of ``D_l``; the model's gradient code), and a wrong ``l'``, a
wrong Bregman term, a wrong gradient or a dropped ``1/n`` in any of them breaks it by ``O(1)`` relative.
(When every term is built from one ``r``, ``first_order - bregman = E[r (p - q)] - E[l(q) - l(p) - r (q -
p)] = E[l(p) - l(q)]`` for *any* ``r``: that form of the identity cannot fail.)

The formulas are those of ``proofs.lemmas.approximate_stationarity_bound`` (``FIRST_ORDER``, ``BOUND``,
``EPS_BOUND``): a fast path, vectorised over the points, that the witness uses to find its worst points
(it evaluates the lemma's relations through the bridge there, and compares this fast path with the bridge
at random points).  ``tests/numerics/certificates/test_stationarity_bound.py`` checks on random inputs that
this vectorised form, the per-point ``numerics.certificates.bounds.first_order_gap``/``gap_bound``,
``lambdify`` of the symbolic right-hand sides, and the lemma's conclusion compiled by the bridge agree,
and that planted bugs (``l'`` doubled or zero, a dropped ``1/n``, a Bregman term with a wrong sign) break
the identity beyond the tolerance.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = np.finfo(np.float64).eps
#: :meth:`BatchTerms.tolerance`: ``ROUNDING_FACTOR n eps (1 + scale)``, a factor above the worst case
#: ``n eps`` of a naive sum of ``n`` terms (the same rule as the witnesses' ``_common.rounding``).
ROUNDING_FACTOR = 64.0


@dataclass
class ModelGradients:
    """The model's gradients at ``P`` points (:func:`model_gradients`): ``grad_w (P, d)``, ``c (P, k)``,
    ``grad_V (P, d, k)``, and its ``r = l'(p) (P, n)`` (used only for the magnitudes of the tolerance)."""

    grad_w: np.ndarray
    c: np.ndarray
    grad_V: np.ndarray
    r: np.ndarray


def model_gradients(problem, Fx, W, Vs) -> ModelGradients:
    """``grad_w F``, ``c = E[l'(p) f]``, ``grad_V F`` at each point ``(W[i], Vs[i])`` by the model's own code:
    :meth:`ResNetProblem.gradients <resnet_lemmas.numerics.models.residual.ResNetProblem.gradients>` of
    ``problem``'s data and loss with the unit's features fixed to ``Fx = f_theta(X)``
    (:func:`~..models.fixed_features.table_unit`), i.e. the closed forms of lemma residual_gradients as
    the model codes them (``ResNetProblem._reference_gradients``, the path ``problem.gradients`` takes
    below ``FUSED_MIN_ROWS`` rows; the fused path is tested against it).  The features are computed once
    per ``theta`` by the caller: evaluating the unit at every point would cost 50-340 us a point (the
    witness has 10,000), the table lookup about 25 us."""
    from resnet_lemmas.numerics.models.fixed_features import table_unit
    from resnet_lemmas.numerics.models.residual import ResNetProblem

    if not getattr(problem, "skip", True):
        raise ValueError("the section-4 identity is for the residual network (skip=True)")
    Fx = np.asarray(Fx, dtype=np.float64)
    fixed = ResNetProblem(table_unit(problem.X, Fx), problem.X, problem.y, problem.loss)
    none = np.zeros(0)
    P, d, k, n = len(W), problem.d, Fx.shape[1], problem.n
    out = ModelGradients(grad_w=np.empty((P, d)), c=np.empty((P, k)), grad_V=np.empty((P, d, k)),
                         r=np.empty((P, n)))
    for i in range(P):
        g = fixed.gradients(W[i], Vs[i], none)
        out.grad_w[i], out.c[i], out.grad_V[i], out.r[i] = g.grad_w, g.c, g.grad_V, g.r
    return out


@dataclass
class BatchTerms:
    """Per-point quantities, each of shape ``(P,)``; and the named vector quantities the lemma's relations
    use, per point: ``grad_w (P, d)``, ``c (P, k)``, ``grad_V (P, d, k)`` (the model's, passed in)."""

    F: np.ndarray
    E_l_u: np.ndarray
    gap: np.ndarray
    first_order: np.ndarray
    bregman: np.ndarray
    bound: np.ndarray
    grad_w_norm: np.ndarray
    grad_V_norm: np.ndarray
    w_norm: np.ndarray
    u_norm: np.ndarray
    V_opnorm: np.ndarray
    w_minus_u_norm: np.ndarray
    scale: np.ndarray
    grad_w: np.ndarray
    c: np.ndarray
    grad_V: np.ndarray

    def tolerance(self, n: int) -> np.ndarray:
        """``ROUNDING_FACTOR n eps (1 + scale)``: float64 rounding of means of ``n`` terms of the magnitudes
        (the same rule as ``numerics.certificates.bounds.rounding_tolerance``, per point).  ``scale`` is the
        sum of the magnitudes of every summed term (:func:`batched_terms`), never of a difference the
        identity is meant to detect: a wrong term moves a side by ``O(1)`` relative, the allowance is
        ``64 n eps``, about ``6e-13`` relative at ``n = 40``."""
        return ROUNDING_FACTOR * max(n, 1) * EPS * (1.0 + self.scale)

    def eps_bound(self) -> np.ndarray:
        """``eps (||w - u|| + ||u|| ||V||_2 / ||w||)`` with ``eps = max(||grad_w F||, ||grad_V F||_F)``."""
        eps = np.maximum(self.grad_w_norm, self.grad_V_norm)
        return eps * (self.w_minus_u_norm + self.u_norm * self.V_opnorm / self.w_norm)


def batched_terms(X, y, Fx, loss, W, Vs, U, gradients: ModelGradients) -> BatchTerms:
    """Evaluate the identity and the bound at ``P`` points (shapes in the module docstring); ``gradients``:
    the model's at the same points (:func:`model_gradients`).

    ``scale`` (for :meth:`BatchTerms.tolerance`) sums the magnitudes of the terms each side is summed from:
    ``E|l(p)|``, ``E|l(q)|`` (``F``, ``E l(u^T x)``); ``E|l'(p) (q - p)|`` (the Bregman term); ``|w - u|^T
    (E[|r| |x|] + |V| E[|r| |f|]) + |u|^T |V| E[|r| |f|]`` (the model's ``grad_w F = E[r x] + V c`` and ``c
    = E[r f]`` contracted with ``w - u`` and ``u``, entrywise absolute values, ``r`` the model's); the
    bound's value; and ``E[(|l'(p)| + |l''(p)| |q - p|) (|w|^T |x| + |w|^T |V| |f|)]``, the magnitude of the
    predictions times their effect on the sides: the model computes ``p`` with its own grouping of the
    same float64 sums, which may differ from ``p`` here by ``O(d + k) eps`` times the magnitude of the
    prediction's terms, moving ``E[l(p)]`` and ``E[l'(p) (p - q)]`` by that times ``|l'|`` and ``|l''| |q -
    p|``.  Each is a sum of at most ``n (d + k + 1)`` float64 products, so ``64 n eps`` times it bounds its
    rounding (``(d + k + 1) <= 7 < 64``)."""
    X, y, Fx = (np.asarray(a, dtype=np.float64) for a in (X, y, Fx))
    W, Vs, U = (np.asarray(a, dtype=np.float64) for a in (W, Vs, U))
    n, d = X.shape
    P = W.shape[0]
    k = Fx.shape[1]
    if W.shape != (P, d) or U.shape != (P, d) or Vs.shape != (P, d, k):
        raise ValueError(f"expected W, U of shape (P, d) = ({P}, {d}) and Vs of shape (P, d, k) = "
                         f"({P}, {d}, {k}); got {W.shape}, {U.shape}, {Vs.shape}")
    grad_w, c, grad_V = (np.asarray(a, dtype=np.float64) for a in (gradients.grad_w, gradients.c,
                                                                   gradients.grad_V))
    if grad_w.shape != (P, d) or c.shape != (P, k) or grad_V.shape != (P, d, k):
        raise ValueError(f"expected the model's gradients of shapes grad_w (P, d) = ({P}, {d}), c (P, k) = "
                         f"({P}, {k}), grad_V (P, d, k); got {grad_w.shape}, {c.shape}, {grad_V.shape}")
    b = np.einsum("pdk,pd->pk", Vs, W)                     # V^T w, (P, k)
    p = W @ X.T + b @ Fx.T                                  # (P, n)
    yy = np.broadcast_to(y, p.shape)
    q = U @ X.T                                             # u^T x, (P, n)
    # the gap: loss values only
    L = loss.value(p, yy)
    Lq = loss.value(q, yy)
    F = L.mean(axis=1)
    E_l_u = Lq.mean(axis=1)
    # the Bregman term: its definition, with l' from the loss
    r = loss.grad(p, yy)
    bregman = (Lq - L - r * (q - p)).mean(axis=1)
    # the first-order term and the bound: the model's gradients
    Vc = np.einsum("pdk,pk->pd", Vs, c)
    first_order = np.sum((W - U) * grad_w, axis=1) + np.sum(U * Vc, axis=1)
    w_norm = np.linalg.norm(W, axis=1)
    grad_w_norm = np.linalg.norm(grad_w, axis=1)
    grad_V_norm = np.sqrt(np.sum(grad_V ** 2, axis=(1, 2)))
    u_norm = np.linalg.norm(U, axis=1)
    V_opnorm = np.linalg.norm(Vs, ord=2, axis=(1, 2))
    wmu = np.linalg.norm(W - U, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(grad_V_norm == 0.0, 0.0, grad_V_norm / w_norm)
    bound = wmu * grad_w_norm + u_norm * V_opnorm * ratio
    # magnitudes of the summed terms (docstring)
    R = np.abs(np.asarray(gradients.r, dtype=np.float64))
    aVs = np.abs(Vs)
    r_x = R @ np.abs(X) / n                                 # E[|r| |x|], (P, d)
    V_r_f = np.einsum("pdk,pk->pd", aVs, R @ np.abs(Fx) / n)  # |V| E[|r| |f|], (P, d)
    first_terms = np.sum(np.abs(W - U) * (r_x + V_r_f), axis=1) + np.sum(np.abs(U) * V_r_f, axis=1)
    p_terms = np.abs(W) @ np.abs(X).T + np.einsum("pdk,pd->pk", aVs, np.abs(W)) @ np.abs(Fx).T
    sensitivity = np.abs(r) + np.abs(loss.curvature(p, yy)) * np.abs(q - p)
    scale = (np.abs(L).mean(axis=1) + np.abs(Lq).mean(axis=1) + np.abs(r * (q - p)).mean(axis=1)
             + first_terms + bound + (sensitivity * p_terms).mean(axis=1))
    return BatchTerms(F=F, E_l_u=E_l_u, gap=F - E_l_u, first_order=first_order, bregman=bregman,
                      bound=bound, grad_w_norm=grad_w_norm, grad_V_norm=grad_V_norm, w_norm=w_norm,
                      u_norm=u_norm, V_opnorm=V_opnorm, w_minus_u_norm=wmu, scale=scale,
                      grad_w=grad_w, c=c, grad_V=grad_V)


def sample_points(rng: np.random.Generator, P: int, d: int, k: int, u_star=None):
    """``P`` points ``(W, Vs, U)`` spread over scales: ``||w||`` log-uniform on ``[1e-3, 3]``, ``V``
    entries ``N(0, s^2)`` with ``s`` log-uniform on ``[1e-2, 3]``; comparators ``u``: a third random
    (log-uniform scale on ``[1e-2, 3]``), a third ``u = u*`` (when given), the rest ``u = w + noise``."""
    directions = rng.normal(size=(P, d))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    W = directions * np.exp(rng.uniform(np.log(1e-3), np.log(3.0), size=(P, 1)))
    Vs = rng.normal(size=(P, d, k)) * np.exp(rng.uniform(np.log(1e-2), np.log(3.0), size=(P, 1, 1)))
    U = rng.normal(size=(P, d)) * np.exp(rng.uniform(np.log(1e-2), np.log(3.0), size=(P, 1)))
    kind = rng.integers(0, 3, size=P)
    if u_star is not None:
        U[kind == 1] = u_star
    near = kind == 2
    U[near] = W[near] + 0.1 * rng.normal(size=(int(near.sum()), d)) * np.linalg.norm(
        W[near], axis=1, keepdims=True)
    return W, Vs, U
