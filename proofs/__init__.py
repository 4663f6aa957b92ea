"""Symbolic side of resnet-lemmas: the proof kernel, shared expression definitions, losses, lemmas."""
