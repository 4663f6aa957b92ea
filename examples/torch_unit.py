"""Example residual unit written in PyTorch (needs the optional extra ``torch``).

Any ``torch.nn.Module`` mapping a tensor of shape ``(n, d)`` to ``(n, k)`` is a residual unit: its
parameters are ``theta``, derivatives come from autograd, and everything runs in float64 on a copy of
the module in ``eval()`` mode (your module is not modified).

Try (from the repository root)::

    resnet-lemmas verify --residual examples/torch_unit.py:diabetes_block --data builtin:diabetes --loss squared
"""
import torch
from torch import nn


class Block(nn.Module):
    """``f(x) = Linear(width -> k)(tanh(Linear(d -> width)(x)))``."""

    def __init__(self, d, k, width):
        super().__init__()
        self.hidden = nn.Linear(d, width)
        self.out = nn.Linear(width, k)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


torch.manual_seed(0)  # the module's initial parameters (theta0) are reproducible
#: For ``builtin:diabetes`` (d = 10).
diabetes_block = Block(d=10, k=4, width=16)
#: For ``builtin:breast_cancer`` (d = 30).
cancer_block = Block(d=30, k=4, width=16)
