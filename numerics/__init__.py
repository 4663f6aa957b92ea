"""Numeric side of resnet-lemmas: float64, vectorised NumPy/SciPy, every random run seeded.

Modules (import them directly; nothing heavy is imported here):

- :mod:`.networks`    residual units ``f_theta : R^d -> R^k`` (MLPs) with hand-written backprop;
- :mod:`.data`        data validation and seeded generators (regression, classification, counts);
- :mod:`.model`       the residual network ``p(x) = w^T (x + V f_theta(x))``, ``F`` and its gradients;
- :mod:`.derivatives` derivative checks by Richardson extrapolation (``scipy.differentiate``);
- :mod:`.benchmarks`  convex benchmarks ``F_lin``, ``F_feat`` with optimality certificates;
- :mod:`.search`      multi-start local-minimum search over ``(w, V, theta)``.
"""
