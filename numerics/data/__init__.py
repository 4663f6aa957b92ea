"""Data: validation, seeded synthetic generators, real data sets, and replayable sampled instances.

- :mod:`.synthetic`  ``validate_data`` and the seeded generators (regression, classification, counts);
- :mod:`.datasets`   ``.npz`` / ``.csv`` files and scikit-learn's bundled data sets;
- :mod:`.instances`  a (unit, loss, data) instance from one seed, as every witness samples them.
"""
from .datasets import Dataset, load_dataset
from .synthetic import DataError, data_for_loss, validate_data


def __getattr__(name):
    # .instances imports models.residual, which imports .synthetic from this package: importing
    # .instances eagerly here made ``import resnet_lemmas.numerics.models`` (as a first import) fail
    # on the circle models -> data -> instances -> models.
    if name in ("Instance", "sample_instance"):
        from . import instances

        return getattr(instances, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DataError", "Dataset", "Instance", "data_for_loss", "load_dataset", "sample_instance",
           "validate_data"]
