"""Numeric side of resnet-lemmas: float64, vectorised NumPy/SciPy, every random run seeded.

Modules (import them directly; nothing heavy is imported here):

- :mod:`.networks`    residual units ``f_theta : R^d -> R^k`` (MLPs) with hand-written backprop;
- :mod:`.data`        data validation and seeded generators (regression, classification, counts);
- :mod:`.model`       the residual network ``p(x) = w^T (x + V f_theta(x))``, ``F`` and its gradients;
- :mod:`.derivatives` derivative checks by Richardson extrapolation (``scipy.differentiate``);
- :mod:`.benchmarks`  convex benchmarks ``F_lin``, ``F_feat`` with optimality certificates;
- :mod:`.search`      multi-start local-minimum search over ``(w, V, theta)``;
- :mod:`.bounds`      the section-4 first-order gap and bound (tested equal to the symbolic bound);
- :mod:`.main_theorem` the main theorem at one point, with a tolerance derived from its gradient;
- :mod:`.instances`   sampled (unit, loss, data) instances, each replayable from one seed;
- :mod:`.witness`     the witness report and loop (``numerics/witnesses/<lemma>.py``: one per lemma);
- :mod:`.hessian`, :mod:`.no_skip`, :mod:`.vector_outputs`, :mod:`.regularised`, :mod:`.multiblock`,
  :mod:`.stationarity_bound`, :mod:`.fixed_features`: support for the failure-mode and extension results;
- :mod:`.sgd`         single-pass SGD on the original and tweaked architectures;
- :mod:`.user_units`, :mod:`.datasets`, :mod:`.verify`: checking a user's own unit on their data.
"""
