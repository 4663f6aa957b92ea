"""Checking a user's own residual unit on their own data (``resnet-lemmas verify`` and the pytest plugin).

- :mod:`.user_units`  loading a NumPy or PyTorch unit from ``MODULE:ATTR`` and checking its output and vjp;
- :mod:`.run`         the search, the certificates and the verdict (:func:`~.run.verify`).
"""
