"""The proof kernel: the only code that makes a :class:`Theorem`.

Trusted files (everything a "verified" rests on, besides SymPy and the definitions listed in
``docs/trust.md``; a test keeps them within a line budget so they can be audited in one sitting):

* ``errors.py``      -- the exceptions a failed check raises;
* ``zero.py``        -- deciding ``expr == 0`` (SymPy simplification) and ``expr >= 0`` (sign rules);
* ``context.py``     -- named quantities' definitions at concrete sizes; denominators met;
* ``hypotheses.py``  -- hypotheses whose content is their formal statement;
* ``env.py``         -- what a step may use in one context (substitutions, signs, nonzero facts);
* ``rules.py``       -- the justifications of a link and the rule that checks each;
* ``proof.py``       -- chains, citations, case splits, facts with their history, the conclusion check;
* ``theorem.py``     -- the Theorem value and its issuing token;
* ``sizes.py``       -- symbolic-size contexts: the rules and atoms decided by the index normal form
  (with the trusted files of ``proofs/indexed``, listed in ``indexed.TRUSTED_FILES``);
* ``atoms/*.py``     -- the nonnegative atoms an inequality certificate may sum.

Not trusted: ``_timeout.py`` (it can only turn a check into a failure).
"""
from ._timeout import DEFAULT_TIMEOUT, run_with_timeout
from .context import Context, is_name
from .errors import DependencyFailed, KernelError, ProofFailed, SimplificationTimeout
from .hypotheses import (Bound, ConvexLoss, Equation, ForEach, Hypothesis, IsConvex, IsLocalMin,
                         LocalMinimum, NonZero, Positive, Projection)
from .proof import Cases, Chain, Cite, Fact, Link, Proof, ProofReport, StepResult, check, prove
from .rules import Certificate, Definiteness, FirstOrder, Identity, Infimum, LevelSet
from .theorem import Theorem, is_issued
from .zero import prove_zero, require_real, sign_nonnegative

#: The trusted files, relative to this package (the line-budget test and docs/trust.md use it).
TRUSTED_FILES = ("errors.py", "zero.py", "context.py", "hypotheses.py", "env.py", "rules.py",
                 "proof.py", "theorem.py", "sizes.py", "atoms/__init__.py", "atoms/squares.py",
                 "atoms/convexity.py", "atoms/norms.py", "atoms/infimum.py", "atoms/bounds.py",
                 "atoms/projection.py", "atoms/pathwise.py")

__all__ = [
    "Bound", "Cases", "Certificate", "Chain", "Cite", "Context", "ConvexLoss", "DEFAULT_TIMEOUT",
    "Definiteness", "DependencyFailed", "Equation", "Fact", "FirstOrder", "ForEach", "Hypothesis",
    "Identity", "Infimum", "IsConvex", "IsLocalMin", "KernelError", "LevelSet", "Link", "LocalMinimum",
    "NonZero", "Positive", "Projection", "Proof", "ProofFailed", "ProofReport", "SimplificationTimeout",
    "StepResult", "TRUSTED_FILES", "Theorem", "check", "is_issued", "is_name", "prove", "prove_zero",
    "require_real", "run_with_timeout", "sign_nonnegative",
]
