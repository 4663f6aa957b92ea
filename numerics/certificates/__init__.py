"""Certificates: numbers that come with a reason to trust them.

- :mod:`.convex_benchmarks`   ``F_lin`` and ``F_feat`` with optimality certificates;
- :mod:`.derivatives`         derivatives by Richardson extrapolation, independent of the model's gradients;
- :mod:`.hessian`             exact Hessians with rounding bounds; stationarity and negative curvature;
- :mod:`.bounds`              the first-order gap and the bound of approximate_stationarity_bound;
- :mod:`.main_theorem`        the main theorem checked at one point;
- :mod:`.stationarity_bound`  the same bound, batched over many points.
"""
from .convex_benchmarks import BenchmarkResult, feature_benchmark, linear_benchmark

__all__ = ["BenchmarkResult", "feature_benchmark", "linear_benchmark"]
