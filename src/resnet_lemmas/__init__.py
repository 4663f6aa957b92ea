"""resnet-lemmas: machine-checked theory of Shamir (2018), "Are ResNets Provably Better than Linear
Predictors?".  ``resnet_lemmas.proofs`` is the symbolic side (kernel, shared expressions, lemmas),
``resnet_lemmas.numerics`` the numeric side (sampled networks, benchmarks, witnesses), and
``resnet_lemmas.registry`` pairs them by lemma name for the CLI, the LaTeX writer and pytest.
"""
__version__ = "0.1.0"
