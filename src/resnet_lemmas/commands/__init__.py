"""Subcommands of ``resnet-lemmas``: one module each (``NAME``, ``HELP``, ``add_arguments``, ``run``)."""
