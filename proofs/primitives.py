"""Smooth primitives with their own differentiation rules (the autograd idea: a tiny core plus rules).

``softplus(z) = log(1 + e^z)`` and ``sigmoid(z) = 1 / (1 + e^{-z})`` are SymPy functions that know
their derivatives (``softplus' = sigmoid``, ``sigmoid'(z) = sigmoid(z) sigmoid(-z)``), their signs
(``sigmoid > 0``, ``softplus > 0``) and their closed forms (``.rewrite(exp)``).  Writing losses with
them keeps ``l''`` in a form whose sign SymPy's assumption system can certify, and lets ``lambdify``
map them to overflow-free NumPy kernels (``logaddexp``, ``expit``; see ``resnet_lemmas.bridge``).
"""
from __future__ import annotations

import sympy as sp


class sigmoid(sp.Function):
    """Logistic function ``sigma(z) = 1 / (1 + exp(-z))``; ``sigma(z) + sigma(-z) = 1``."""

    nargs = 1

    def fdiff(self, argindex=1):
        z = self.args[0]
        return sigmoid(z) * sigmoid(-z)

    @classmethod
    def eval(cls, z):
        if z.is_zero:
            return sp.Rational(1, 2)
        return None

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 / (1 + sp.exp(-z))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_is_extended_positive(self):
        return True if self.args[0].is_extended_real else None

    def _latex(self, printer):
        return r"\sigma\left(%s\right)" % printer._print(self.args[0])


class softplus(sp.Function):
    """``softplus(z) = log(1 + exp(z))``, with derivative ``sigmoid(z)``."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    @classmethod
    def eval(cls, z):
        if z.is_zero:
            return sp.log(2)
        return None

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return sp.log(1 + sp.exp(z))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_is_extended_positive(self):
        return True if self.args[0].is_extended_real else None

    def _latex(self, printer):
        return r"\operatorname{softplus}\left(%s\right)" % printer._print(self.args[0])
