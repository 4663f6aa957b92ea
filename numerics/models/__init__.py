"""Models: the residual network and its variants, as float64 NumPy objectives with gradients.

- :mod:`.networks`        residual units ``f_theta : R^d -> R^k`` (MLPs) with hand-written backprop;
- :mod:`.residual`        ``p(x) = w^T (x + V f_theta(x))``, ``F`` and its gradients (``ResNetProblem``);
- :mod:`.fixed_features`  a unit that returns a fixed feature table (counterexamples need one);
- :mod:`.no_skip`         the model without the skip connection and its dead-ReLU regions;
- :mod:`.vector_outputs`  ``W (x + V f_theta(x))`` with ``m`` outputs;
- :mod:`.multiblock`      several residual blocks.
"""
from .fixed_features import FixedFeatureUnit, table_unit
from .networks import ACTIVATIONS, MLPUnit, ResidualUnit, sample_unit
from .residual import Gradients, ResNetProblem

__all__ = ["ACTIVATIONS", "FixedFeatureUnit", "Gradients", "MLPUnit", "ResNetProblem", "ResidualUnit",
           "sample_unit", "table_unit"]
