"""Experiment regularised_bad_minima: the obvious fixes can create bad minima.

Two modified objectives, with a fixed feature map ``f`` (any ``f`` is allowed by the theorem, so a fixed one
gives valid counterexamples) and variables ``(w, V)``:

* ``G = F + lam (||w||^2 + ||V||_F^2)`` against the regularised linear benchmark
  ``G_lin = min_u E l(u^T x) + lam ||u||^2``;
* ``F`` under ``||V||_F <= R`` against ``F_lin`` (``V = 0`` is feasible).  A KKT point on the sphere needs
  only ``w c^T = -mu V`` (``mu >= 0``), which leaves ``E[l'(p) x] = -V c != 0`` possible.

The witness searches sampled instances by multi-start local optimisation, certifies what it finds with
first- and second-order KKT conditions (:mod:`~resnet_lemmas.numerics.solvers.regularised`), and records how many
certified strict local minima are worse than the corresponding benchmark, and by how much.  Numeric
only (``build=None``).
"""
from __future__ import annotations

from ..lemma import SymbolicLemma

LEMMA = SymbolicLemma(
    name="regularised_bad_minima",
    title="Regularisation and norm constraints can create local minima worse than linear",
    description=("Experiment: search for strict local minima of F + lam (||w||^2 + ||V||^2) worse than "
               "min_u E l(u^T x) + lam ||u||^2, and of F under ||V||_F <= R worse than F_lin, certified "
               "by KKT and second-order sufficient conditions."),
    description_latex=(
        r"Experiment: search for strict local minima of $F + \lambda(\|w\|^2 + \|V\|_F^2)$ worse than "
        r"$\min_u \mathbb{E}\,\ell(u^\top x) + \lambda\|u\|^2$, and of $F$ under $\|V\|_F \le R$ worse "
        r"than $F_{\mathrm{lin}}$, certified by KKT and second-order sufficient conditions."),
    paper=("Shamir (2018), per its reviews, argues that regularisation and hard norm constraints can "
           "create bad local minima; the search and certificates are ours."),
    build=None,
    kind="experiment",
)
