"""Data: validation, seeded synthetic generators, real data sets, and replayable sampled instances.

- :mod:`.synthetic`  ``validate_data`` and the seeded generators (regression, classification, counts);
- :mod:`.datasets`   ``.npz`` / ``.csv`` files and scikit-learn's bundled data sets;
- :mod:`.instances`  a (unit, loss, data) instance from one seed, as every witness samples them.
"""
from .datasets import Dataset, load_dataset
from .instances import Instance, sample_instance
from .synthetic import DataError, data_for_loss, validate_data

__all__ = ["DataError", "Dataset", "Instance", "data_for_loss", "load_dataset", "sample_instance",
           "validate_data"]
