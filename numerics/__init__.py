"""Numeric side of resnet-lemmas: float64, vectorised NumPy/SciPy, every random run seeded.

One folder a role (import the modules directly; nothing heavy is imported here):

- :mod:`.models`        the residual network and its variants (no skip, vector outputs, several blocks);
- :mod:`.data`          data validation, generators, real data sets, sampled instances;
- :mod:`.solvers`       local-minimum search, SGD, regularised and constrained objectives;
- :mod:`.certificates`  certified benchmarks, derivatives, Hessians, and the lemma statements at a point;
- :mod:`.witnesses`     one witness per lemma (``witnesses/<lemma>.py``) and the harness that runs them;
- :mod:`.verify`        checking a user's own unit on their data.
"""
