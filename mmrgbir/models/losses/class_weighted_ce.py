# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Class-weighted cross-entropy with PyTorch's weighted mean over non-ignored pixels.

Why not mmseg's ``CrossEntropyLoss(class_weight=...)``: in mmseg 1.2.2 it indexes the
class weights with the raw labels to compute its average factor, so any ignored pixel
(label 255) raises ``IndexError`` on CPU (a device-side assert on GPU) -- every
NYUDv2 / SUN RGB-D batch has them. This loss is
``F.cross_entropy(logits, label, weight=class_weight, ignore_index=ignore_index)``::

    loss = sum_i w[y_i] * CE_i / sum_i w[y_i]     (i over non-ignored pixels)

which is what methods trained with ``nn.CrossEntropyLoss(weight=...)`` optimise (e.g.
DPLNet with ENet class weights on NYUDv2). ``avg_mode`` selects the normaliser:

* ``'weights'`` (default): ``sum_i w[y_i]`` over the non-ignored pixels (PyTorch);
* ``'pixels'``: the number of pixels, ignored ones included --
  ``sum_i w[y_i] * CE_i / (N * H * W)``; this is mmseg's ``CrossEntropyLoss`` before
  1.2 with ``avg_non_ignore=False`` (its default), which the official UniRGB-IR code
  (an mmseg 1.x fork with that loss) trains MFNet with;
* ``'valid_pixels'``: the number of non-ignored pixels (that loss with
  ``avg_non_ignore=True``).

The three differ by a per-batch factor (e.g. the mean class weight of the batch's
pixels for ``'weights'`` vs ``'valid_pixels'``), so they are different objectives
whenever the class mix changes between batches.
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
        avg_mode: normaliser of the weighted sum, ``'weights'``, ``'pixels'`` or
            ``'valid_pixels'`` (see the module doc).

    Shapes: ``forward(cls_score (N, C, H, W), label (N, H, W)) -> scalar``. A
    per-pixel ``weight`` (N, H, W) (from a pixel sampler) multiplies each pixel's
    term; with ``avg_mode='weights'`` also its weight in the normaliser.
    """

    AVG_MODES = ('weights', 'pixels', 'valid_pixels')

    def __init__(self, class_weight: Optional[Sequence[float]] = None,
                 loss_weight: float = 1.0, loss_name: str = 'loss_ce',
                 avg_mode: str = 'weights') -> None:
        super().__init__()
        if avg_mode not in self.AVG_MODES:
            raise ValueError(f'ClassWeightedCrossEntropyLoss: avg_mode must be one of '
                             f'{self.AVG_MODES}, got {avg_mode!r}')
        self.avg_mode = avg_mode
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
        if self.avg_mode != 'weights':
            # per-pixel terms carry the class weight; ignored pixels are 0
            per_pixel = F.cross_entropy(cls_score, label, weight=class_weight,
                                        ignore_index=ignore_index, reduction='none')
            if weight is not None:
                per_pixel = per_pixel * weight.to(per_pixel.dtype)
            count = label.numel() if self.avg_mode == 'pixels' else \
                (label != ignore_index).sum().clamp_min(1)
            loss = per_pixel.sum() / count
        elif weight is None:
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
