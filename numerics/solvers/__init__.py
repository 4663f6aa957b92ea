"""Solvers: local-minimum search over ``(w, V, theta)``, SGD on the tweaked architecture, and the
regularised / norm-constrained objectives.

- :mod:`.search`       multi-start local-minimum search (L-BFGS-B, and the refinement to certifiable
  minima with exact-Hessian Newton and negative-curvature steps);
- :mod:`.sgd`          single-pass SGD on the original and tweaked architectures;
- :mod:`.regularised`  ``F + lam (||w||^2 + ||V||^2)`` and ``F`` under ``||V||_F <= R``, with KKT points.
"""
from .search import (LocalMinimum, local_minimum_from_seed, local_minimum_search, polished_local_minimum,
                     refined_local_minimum, start_point, start_seeds)

__all__ = ["LocalMinimum", "local_minimum_from_seed", "local_minimum_search", "polished_local_minimum",
           "refined_local_minimum", "start_point", "start_seeds"]
