# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Structural-similarity loss of a binary map (BASNet's SSIM term), ``1 - mean SSIM``.

SSIM (Wang et al., 2004) between the foreground probability p and the 0/1 target g,
with local statistics from an 11 x 11 Gaussian window (sigma 1.5) and zero padding::

    SSIM = (2 mu_p mu_g + C1) (2 sigma_pg + C2) / ((mu_p^2 + mu_g^2 + C1)
                                                  (sigma_p^2 + sigma_g^2 + C2))

with C1 = 0.01^2 and C2 = 0.03^2 (data range 1). Identical maps give SSIM 1 everywhere
(loss 0). Ignored pixels are set to 0 in both maps and left out of the mean.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrgbir.registry import MODELS
from .binary_map import binary_target_and_mask, foreground_probability, reduce_per_image

__all__ = ['SSIMLoss', 'ssim_map', 'gaussian_window']


def gaussian_window(size: int = 11, sigma: float = 1.5, dtype=torch.float32,
                    device=None) -> torch.Tensor:
    """Normalised 2-D Gaussian window (1, 1, size, size)."""
    coords = torch.arange(size, dtype=torch.float64, device=device) - (size - 1) / 2
    g = torch.exp(-coords ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return torch.outer(g, g).to(dtype)[None, None]


def ssim_map(x: torch.Tensor, y: torch.Tensor, window_size: int = 11, sigma: float = 1.5,
             c1: float = 0.01 ** 2, c2: float = 0.03 ** 2) -> torch.Tensor:
    """Per-pixel SSIM of two (N, H, W) maps in [0, 1] -> (N, H, W).

    Local means / (co)variances are Gaussian-weighted sums over the window with zero
    padding at the borders (the convention of BASNet's and pytorch-ssim's code).
    """
    window = gaussian_window(window_size, sigma, x.dtype, x.device)
    pad = window_size // 2
    x, y = x[:, None], y[:, None]

    def blur(t):
        return F.conv2d(t, window, padding=pad)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x ** 2
    var_y = blur(y * y) - mu_y ** 2
    cov = blur(x * y) - mu_x * mu_y
    num = (2 * mu_x * mu_y + c1) * (2 * cov + c2)
    den = (mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2)
    return (num / den)[:, 0]


@MODELS.register_module()
class SSIMLoss(nn.Module):
    """``1 - SSIM`` between the predicted foreground map and a binary mask.

    Usable in an mmseg decode head's ``loss_decode`` (list). The head's logits have
    1 channel (foreground = sigmoid) or 2 channels (foreground = softmax channel 1).

    Args:
        window_size: side of the Gaussian window (11).
        sigma: its standard deviation (1.5).
        loss_weight: multiplier of the loss.
        reduction: 'mean' (over images), 'sum' or 'none' (one value per image).
        loss_name: key in the loss dict; must start with ``loss_`` to be optimised.

    Shapes: ``forward(cls_score (N, C, H, W), label (N, H, W)) -> scalar`` (or (N,)).
    """

    def __init__(self, window_size: int = 11, sigma: float = 1.5, loss_weight: float = 1.0,
                 reduction: str = 'mean', loss_name: str = 'loss_ssim') -> None:
        super().__init__()
        if window_size < 1 or window_size % 2 == 0:
            raise ValueError(f'window_size must be a positive odd number, got {window_size}')
        reduce_per_image(torch.zeros(1), reduction)  # validate early
        self.window_size = window_size
        self.sigma = sigma
        self.loss_weight = loss_weight
        self.reduction = reduction
        self._loss_name = loss_name

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, ignore_index: int = 255,
                reduction_override: Optional[str] = None, **kwargs) -> torch.Tensor:
        prob = foreground_probability(cls_score)
        target, mask = binary_target_and_mask(label, prob, ignore_index, weight)
        valid = (mask > 0).to(prob.dtype)
        # SSIM wants float32 statistics: under AMP the squared means lose precision
        ssim = ssim_map((prob * valid).float(), (target * valid).float(), self.window_size,
                        self.sigma)
        mask = mask.float()
        total = mask.flatten(1).sum(1)
        per_image = (ssim * mask).flatten(1).sum(1) / total.clamp_min(1e-6)
        # an image without a valid pixel contributes nothing
        loss = torch.where(total > 0, 1.0 - per_image, torch.zeros_like(per_image))
        return self.loss_weight * reduce_per_image(loss, reduction_override or self.reduction)

    @property
    def loss_name(self) -> str:
        return self._loss_name
