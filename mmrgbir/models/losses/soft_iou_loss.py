# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Soft (differentiable) IoU loss of a binary map, as used by salient-object detectors.

Per image, with p the foreground probability and g the 0/1 target over the valid
(non-ignored) pixels::

    IoU = sum(p * g) / (sum(p) + sum(g) - sum(p * g)),   loss = 1 - IoU

(BASNet's IoU loss; ``eps`` is added to numerator and denominator so that an image
with an empty target and an empty prediction costs 0 rather than 0/0).
"""
from typing import Optional

import torch
import torch.nn as nn

from mmrgbir.registry import MODELS
from .binary_map import binary_target_and_mask, foreground_probability, reduce_per_image

__all__ = ['SoftIoULoss', 'soft_iou']


def soft_iou(prob: torch.Tensor, target: torch.Tensor, mask: torch.Tensor,
             eps: float = 1e-6) -> torch.Tensor:
    """Soft IoU per image: (N, H, W) probability, target and pixel weights -> (N,)."""
    inter = (prob * target * mask).flatten(1).sum(1)
    union = ((prob + target - prob * target) * mask).flatten(1).sum(1)
    return (inter + eps) / (union + eps)


@MODELS.register_module()
class SoftIoULoss(nn.Module):
    """``1 - soft IoU`` between the predicted foreground map and a binary mask.

    Usable in an mmseg decode head's ``loss_decode`` (list). The head's logits have
    1 channel (foreground = sigmoid) or 2 channels (foreground = softmax channel 1).

    Args:
        loss_weight: multiplier of the loss.
        reduction: 'mean' (over images), 'sum' or 'none' (one value per image).
        eps: smoothing added to intersection and union.
        loss_name: key in the loss dict; must start with ``loss_`` to be optimised.

    Shapes: ``forward(cls_score (N, C, H, W), label (N, H, W)) -> scalar`` (or (N,)).
    """

    def __init__(self, loss_weight: float = 1.0, reduction: str = 'mean',
                 eps: float = 1e-6, loss_name: str = 'loss_iou') -> None:
        super().__init__()
        reduce_per_image(torch.zeros(1), reduction)  # validate early
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.eps = eps
        self._loss_name = loss_name

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, ignore_index: int = 255,
                reduction_override: Optional[str] = None, **kwargs) -> torch.Tensor:
        prob = foreground_probability(cls_score)
        target, mask = binary_target_and_mask(label, prob, ignore_index, weight)
        loss = 1.0 - soft_iou(prob, target, mask, self.eps)
        return self.loss_weight * reduce_per_image(loss, reduction_override or self.reduction)

    @property
    def loss_name(self) -> str:
        return self._loss_name
