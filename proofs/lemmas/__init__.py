"""One module per lemma; each defines ``LEMMA``, a :class:`~resnet_lemmas.proofs.lemma.SymbolicLemma`.

The registry (``resnet_lemmas.registry``) discovers every module here that defines ``LEMMA``.
"""
