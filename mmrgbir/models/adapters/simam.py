# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""SimAM: a parameter-free attention (Yang et al., ICML 2021), used by IV-tuning.

Each activation is weighted by ``sigmoid(1 / e)`` where ``e`` is the minimal energy of
the neuron against the other neurons of its channel:
``1 / e = (x - mu)^2 / (4 * (var + lambda)) + 0.5`` with the channel mean ``mu`` and
variance ``var = sum((x - mu)^2) / (H * W - 1)`` over the spatial positions.
"""
import torch
import torch.nn as nn


class SimAM(nn.Module):
    """Parameter-free spatial attention.

    Args:
        eps_lambda: the regulariser lambda of the energy function (1e-4 as published).

    Shapes:
        input (B, C, H, W) -> output (B, C, H, W).
    """

    def __init__(self, eps_lambda: float = 1e-4) -> None:
        super().__init__()
        self.eps_lambda = float(eps_lambda)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f'SimAM expects a (B, C, H, W) map, got {tuple(x.shape)}')
        # the unbiased variance needs at least two positions; a 1x1 map has none
        n = max(x.shape[2] * x.shape[3] - 1, 1)
        sq_dev = (x - x.mean(dim=(2, 3), keepdim=True)).pow(2)
        inv_energy = sq_dev / (4 * (sq_dev.sum(dim=(2, 3), keepdim=True) / n
                                    + self.eps_lambda)) + 0.5
        return x * torch.sigmoid(inv_energy)

    def extra_repr(self) -> str:
        return f'eps_lambda={self.eps_lambda}'
