"""Experiment multi_block_experiment (cf. Yun, Sra & Jadbabaie, arXiv 1907.03922).

Residual networks with ``L = 2`` or ``3`` blocks, ``x_{l+1} = x_l + V_l f_l(x_l)``, ``p = w^T x_L``.  The
paper's argument applies to the *last* block with input ``x_{L-1}``: at every point
``F - E l(u^T x_{L-1}) <= ||w - u|| ||grad_w F|| + ||u|| ||V_L||_2 ||grad_{V_L} F|| / ||w||``, so local minima
are at least as good as linear predictors on the learned representation ``x_{L-1}`` -- not necessarily
on the raw input ``x``.  The witness runs multi-start L-BFGS on sampled instances and records how the end
points compare with ``F_lin`` on ``x``.  Numeric only (``build=None``); recorded as an experiment, not a
lemma.
"""
from __future__ import annotations

from ..lemma import SymbolicLemma

LEMMA = SymbolicLemma(
    name="multi_block_experiment",
    title="Several residual blocks: multi-start search against F_lin",
    description=("Experiment: for 2-3 residual blocks, multi-start local optimisation; record F - F_lin at "
               "the end points (the one-block theorem only guarantees F <= F_lin on the last block's "
               "input x_{L-1}, checked at every end point)."),
    description_latex=(
        r"Experiment: for 2--3 residual blocks, multi-start local optimisation; record "
        r"$F - F_{\mathrm{lin}}$ at the end points (the one-block theorem only guarantees a comparison "
        r"with linear predictors on the last block's input $x_{L-1}$, checked at every end point)."),
    paper=("Extensions to several blocks: Yun, Sra & Jadbabaie (arXiv 1907.03922); not a claim of "
           "Shamir (2018)."),
    build=None,
    kind="experiment",
)
