"""An index algebra that decides the paper's identities at symbolic sizes (d, k, n, q, m, T).

Design note (what the kernel trusts when it accepts an identity from this package)
---------------------------------------------------------------------------------
Expressions are sums of monomials ``coef * sum_{dummies} prod(factors)`` (:mod:`.terms`): ``coef`` a
SymPy rational function of scalar symbols and sizes; factors are tensor components with typed slots
(``w[a]``, ``V[a, l]``, ``x[j, a]``, sequences ``z[t + 1, e]``), Kronecker deltas and function atoms
(``ell``, ``ell_p``, ``ell_pp``, ``sqrt``, ``opnorm``, ``inv``, ``expect``) whose arguments are
expressions.  The sample mean is ``E_j[X] = (1/n) sum_j X``; linearity and pulling sample-independent
factors out of it are identities of the representation.  ``equal(lhs, rhs, Assume(...))``
(:mod:`.normal_form`) proves ``lhs = rhs`` at every size by a normal form, never ``sympy.simplify``.

Trusted (``TRUSTED_FILES``: about 1,090 lines of code, 1,600 with docstrings; a test caps the code at 1,100):

* ``terms.py``: the meaning of expressions and their checks -- a slot only takes an index whose range
  provably fits (a k-index in a d-slot is refused), two ranges under one label are refused, a sum may
  not bind an index another free index's range depends on, products and substitutions rename bound
  indices apart (capture-avoiding), only same-shaped expressions add.
* ``normal_form.py``: canonical labelling of dummies (minimum over labellings consistent with name-free
  signatures), collection of equal monomials (zero iff ``sympy.cancel`` of every coefficient is 0),
  and the rules in ``TRUSTED_RULES``; ``equal`` cross-multiplies quotients and demands every
  denominator be a number, a size, or declared nonzero (never a symbol's ``positive=True``).
* ``calculus.py``: derivative rules (variable, declared tensor derivative ``f -> J``, product, chain
  ``ell -> ell_p -> ell_pp``, coefficients) and substitution; a derivative without a rule is refused,
  never taken as 0.
* ``rules.py``: telescoping (checked instance), and pull-out / interchange stated with their side
  conditions.
* ``matrix.py``: the translation of named-level SymPy matrix expressions (products, transposes, sums,
  inner, norm, opnorm, inverse, ZeroMatrix, Identity) into index form.
* ``stream.py``: the sample stream's kinds of tensors (deterministic, predictable, sampled) and two rules
  of ``E`` over it: a deterministic monomial, and the independence of the step's sample from the past.

What "at every size" means: for every value >= 1 of every size symbol (SymPy integer, positive symbols:
``d, k, n, q, m, T``), every value of the free indices, and every value of the tensors, scalar symbols
and function atoms where the declared denominators are nonzero.

Not trusted as code: ``instantiate.py`` (the oracle the tests compare every rule with: explicit components
with the names of ``proofs/expressions.py``, ``sympy.diff``) and ``display.py`` (messages).  ``model.py``
holds the *definitions* of the named quantities at symbolic sizes and the kernel's symbolic contexts built
from them (``symbolic_context``, ``vector_symbolic_context``): like ``proofs/expressions.py`` they are what
the names mean (docs/trust.md, item 3), each tested equal to ``residual_context``'s at concrete sizes.
The kernel does not call ``prove_identity`` (a test helper): its own unfolding of a step (premises'
equations, nonzero declarations, eigenvariables) is ``proofs/kernel/sizes.py``, trusted.

Known limits (they make the algebra incomplete, not unsound): identities that hold only at small sizes; sums whose ranges
depend on each other are kept apart (no re-ordering of triangular sums); index shifts only through the
telescoping rule; opaque atoms (``sqrt(S) sqrt(T)`` is not ``sqrt(S T)``; no derivative of ``sqrt``,
``opnorm``, ``inv``, ``expect``); ``inv`` cancels only against a one-monomial ``G`` declared invertible;
``expect`` has no rule beyond linearity and, with a declared sample stream, the two rules of
:mod:`.stream` (no factoring, no conditioning on another step); coefficients are rational
functions (``sympy.cancel``); a canonical labelling tries at most ``MAX_LABELLINGS`` orders and a
normal form at most ``MAX_TERMS`` monomials (then it raises, so it cannot run for minutes).
"""
from .calculus import NoRule, diff, substitute, substitute_scalar
from .matrix import matrix_lam, translate
from .normal_form import NOTHING, Assume, IdentityFailure, equal, expr_key, is_zero, normal
from .rules import by_telescoping, interchange, pull_out_of_mean, telescope
from .stream import Stream
from .terms import (SEQ, Expr, IndexAlgebraError, Lam, Quotient, Tensor, as_expr, constant_in, delta,
                    ell, ell_p, ell_pp, expect, index, inv, mean, opnorm, rename, sqrt, sum_over, zero)

#: The trusted modules (a test keeps their size auditable).
TRUSTED_FILES = ("terms.py", "normal_form.py", "calculus.py", "rules.py", "matrix.py", "stream.py")

#: Every trusted rule, by name, with its statement; tests/proofs/indexed/test_indexed_soundness.py
#: holds a false use of each that must be refused (a new rule without one fails the suite).
TRUSTED_RULES = {
    "typed_slots": "an index fills a slot only if its range provably lies in the slot's range",
    "scoping": "sum_i X is refused when a free index's range depends on i",
    "capture_avoidance": "products and substitutions rename bound indices apart",
    "canonical_labelling": "monomials equal up to renaming dummies and reordering factors collect",
    "collect": "an expression is zero iff every collected coefficient cancels to 0",
    "delta": "delta(e, e) = 1; delta(e, e + c) = 0 (c != 0); sum_j delta(j, e) X(j) = X(e), e in range(j)",
    "sqrt": "sqrt(S) sqrt(S) = S",
    "inverse": "sum_p inv(G)[o, p] G[p, e] = delta(o, e) (and on the right), G declared invertible",
    "unused_dummy": "sum_{j=lo..hi} X = (hi - lo + 1) X when j does not occur in X",
    "expect_linear": "E[sum_i c_i sum_D M_i] = sum_i c_i sum_D E[M_i]; E[1] = 1",
    "quotient": "N1/D1 = N2/D2 iff N1 D2 = N2 D1, every denominator declared nonzero",
    "d_variable": "d X[args] / d X[c] = prod delta(args, c)",
    "d_declared": "d f[args] / d theta[c] = J[args, c]; a dependence without a rule is refused",
    "d_product": "d(A B) = dA B + A dB",
    "d_chain_loss": "d l(p; y) = l'(p; y) dp, d l' = l'' dp; no rule for l'' or for y",
    "d_coefficient": "d/dt of a coefficient is sympy.diff of the rational function",
    "d_opaque": "sqrt, opnorm, inv, expect: derivative 0 if the argument is constant, else refused",
    "substitute_tensor": "X[args] -> value(args) everywhere, also inside function atoms",
    "substitute_scalar": "t -> value in coefficients, refused if a denominator vanishes",
    "pull_out_of_mean": "E_i[X Y] = X E_i[Y] if X does not carry i",
    "interchange": "sum_i sum_j X = sum_j sum_i X for independent ranges",
    "telescope": "sum_{t=lo}^{hi} (A_t - A_{t+1}) = A_lo - A_{hi+1}",
    "translate": "named matrix expressions: (A B)[i,j] = sum_l A[i,l] B[l,j], (A^T)[i,j] = A[j,i], ...",
    "delta_disjoint": "delta(a, b) = 0 when the ranges of a and b provably do not meet",
    "expect_deterministic": "E[M] = M when every tensor of M is deterministic (or predictable at step 1)",
    "expect_sample": "E[G(P_s, X_s)] = (1/n) sum_j E[G(P_s, pop_j)]: the sample of step s is uniform and "
                     "independent of what is predictable at s",
}

__all__ = [
    "SEQ", "Expr", "IndexAlgebraError", "IdentityFailure", "NoRule", "Lam", "Quotient", "Tensor",
    "Assume", "NOTHING", "as_expr", "constant_in", "delta", "ell", "ell_p", "ell_pp", "expect",
    "index", "inv", "mean", "opnorm", "rename", "sqrt", "sum_over", "zero", "diff", "substitute",
    "substitute_scalar", "equal", "expr_key", "is_zero", "normal", "by_telescoping", "interchange",
    "pull_out_of_mean", "telescope", "matrix_lam", "translate", "Stream", "TRUSTED_FILES",
    "TRUSTED_RULES",
]
