"""Nonnegative atoms: the only things an inequality certificate may sum (trusted rules).

Like cvxpy's atoms, each declares the one fact it contributes -- ``expr >= 0`` -- and carries its own
check, which the kernel runs in every context with the certificate's :class:`~..env.Env` (the same
substitutions as the gap): ``certify(env)`` returns a sentence or raises
:class:`~..errors.KernelError`.  Every atom checks that what it speaks about is real.  Each module
states the soundness argument of its atoms.
"""
from .bounds import Declared
from .convexity import BregmanMean
from .infimum import InfimumGap
from .norms import CauchySchwarzGap, NormRatioGap, OperatorNormGap
from .pathwise import PATHWISE_ATOMS, FamilyGap, PathwiseSum, ProjectionGain, SquareSum
from .projection import BallProjectionVI
from .squares import Divided, NonNegative, Scaled, Square, WeightedSum

#: Every atom, for the soundness suite (each must have a false use the kernel refuses).
ALL_ATOMS = (Square, NonNegative, Scaled, Divided, WeightedSum, BregmanMean, CauchySchwarzGap,
             OperatorNormGap, NormRatioGap, InfimumGap, Declared, BallProjectionVI, PathwiseSum)


__all__ = [a.__name__ for a in ALL_ATOMS + PATHWISE_ATOMS] + ["ALL_ATOMS", "PATHWISE_ATOMS"]
