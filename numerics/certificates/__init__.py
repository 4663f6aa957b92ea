"""Certificates: numbers that come with a reason to trust them.

- :mod:`.convex_benchmarks`   ``F_lin`` and ``F_feat`` bracketed from both sides (Fenchel dual lower bound);
- :mod:`.derivatives`         derivatives by Richardson extrapolation, independent of the model's gradients;
- :mod:`.hessian`             exact Hessians with rounding bounds (in ``(w, V)`` and, for MLP units, in
  ``(w, V, theta)`` by forward-over-reverse); stationarity and negative curvature;
- :mod:`.local_minimum`       certified local minima: bounded, relatively stationary, second-order test;
- :mod:`.bounds`              the first-order gap and the bound of approximate_stationarity_bound;
- :mod:`.main_theorem`        the main theorem's claims at certified local minima (and the older bound at
  any point);
- :mod:`.stationarity_bound`  the same bound, batched over many points.
"""
from .convex_benchmarks import BenchmarkResult, feature_benchmark, linear_benchmark

__all__ = ["BenchmarkResult", "feature_benchmark", "linear_benchmark"]
