# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Class-weighted cross-entropy with PyTorch's weighted mean over non-ignored pixels.

Why not mmseg's ``CrossEntropyLoss(class_weight=...)``: in mmseg 1.2.2 it indexes the
class weights with the raw labels to compute its average factor, so any ignored pixel
(label 255) raises ``IndexError`` on CPU (a device-side assert on GPU) -- every
NYUDv2 / SUN RGB-D batch has them. This loss is
``F.cross_entropy(logits, label, weight=class_weight, ignore_index=ignore_index)``::

    loss = sum_i w[y_i] * CE_i / sum_i w[y_i]     (i over non-ignored pixels)

which is what methods trained with ``nn.CrossEntropyLoss(weight=...)`` optimise (e.g.
DPLNet with ENet class weights on NYUDv2).
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrgbir.registry import MODELS

__all__ = ['ClassWeightedCrossEntropyLoss']


@MODELS.register_module()
class ClassWeightedCrossEntropyLoss(nn.Module):
    """Softmax cross-entropy with per-class weights (PyTorch weighted-mean semantics).

    Args:
        class_weight: one weight per class (None: unweighted, i.e. the plain mean over
            non-ignored pixels).
        loss_weight: multiplier of the loss.
        loss_name: key in the loss dict; must start with ``loss_``.

    Shapes: ``forward(cls_score (N, C, H, W), label (N, H, W)) -> scalar``. A
    per-pixel ``weight`` (N, H, W) (from a pixel sampler) multiplies each pixel's
    weight in both the sum and the normaliser.
    """

    def __init__(self, class_weight: Optional[Sequence[float]] = None,
                 loss_weight: float = 1.0, loss_name: str = 'loss_ce') -> None:
        super().__init__()
        self.class_weight = None if class_weight is None else [float(w) for w in class_weight]
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, ignore_index: int = 255,
                **kwargs) -> torch.Tensor:
        class_weight = None
        if self.class_weight is not None:
            if len(self.class_weight) != cls_score.shape[1]:
                raise ValueError(f'{len(self.class_weight)} class weights for '
                                 f'{cls_score.shape[1]} classes')
            class_weight = cls_score.new_tensor(self.class_weight)
        if weight is None:
            loss = F.cross_entropy(cls_score, label, weight=class_weight,
                                   ignore_index=ignore_index)
        else:
            per_pixel = F.cross_entropy(cls_score, label, weight=class_weight,
                                        ignore_index=ignore_index, reduction='none')
            valid = label != ignore_index
            safe = torch.where(valid, label, torch.zeros_like(label))
            w = valid.to(per_pixel.dtype) * weight.to(per_pixel.dtype)
            if class_weight is not None:
                w = w * class_weight[safe]
            # per_pixel already carries the class weight
            loss = (per_pixel * weight.to(per_pixel.dtype)).sum() / w.sum().clamp_min(1e-12)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        return self._loss_name
