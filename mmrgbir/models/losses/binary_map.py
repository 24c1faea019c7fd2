# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Shared input handling of the binary (salient-object) map losses.

A decode head gives either one logit channel (foreground = sigmoid) or two
(foreground = softmax channel 1); mmseg hands the losses the logits resized to the
label, the label (N, H, W) and ``ignore_index``.
"""
from typing import Optional, Tuple

import torch

__all__ = ['foreground_probability', 'binary_target_and_mask', 'reduce_per_image']


def foreground_probability(cls_score: torch.Tensor) -> torch.Tensor:
    """Foreground probability (N, H, W) from (N, 1, H, W) or (N, 2, H, W) logits."""
    if cls_score.dim() != 4 or cls_score.shape[1] not in (1, 2):
        raise ValueError(f'binary map losses need (N, 1, H, W) or (N, 2, H, W) logits, '
                         f'got {tuple(cls_score.shape)}')
    if cls_score.shape[1] == 1:
        return cls_score[:, 0].sigmoid()
    return cls_score.softmax(dim=1)[:, 1]


def binary_target_and_mask(label: torch.Tensor, prob: torch.Tensor, ignore_index: int,
                           weight: Optional[torch.Tensor] = None
                           ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Target in {0, 1} and per-pixel weights (0 on ignored pixels), both (N, H, W).

    Args:
        label: (N, H, W) or (N, 1, H, W) with values 0 / 1 (and ``ignore_index``).
        prob: the (N, H, W) prediction the label must match.
        weight: optional per-pixel weights (N, H, W), multiplied into the mask.
    """
    if label.dim() == 4 and label.shape[1] == 1:
        label = label[:, 0]
    if label.shape != prob.shape:
        raise ValueError(f'label {tuple(label.shape)} does not match the prediction '
                         f'{tuple(prob.shape)}')
    valid = label != ignore_index
    if bool((label[valid] > 1).any()) or bool((label[valid] < 0).any()):
        raise ValueError('binary map losses need labels in {0, 1} (plus ignore_index); '
                         f'got values {torch.unique(label[valid]).tolist()[:8]}')
    target = torch.where(valid, label, torch.zeros_like(label)).to(prob.dtype)
    mask = valid.to(prob.dtype)
    if weight is not None:
        if weight.dim() == 4 and weight.shape[1] == 1:
            weight = weight[:, 0]
        mask = mask * weight.to(prob.dtype)
    return target, mask


def reduce_per_image(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """Reduce a per-image loss (N,) with 'none', 'mean' or 'sum'."""
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    if reduction == 'mean':
        return loss.mean()
    raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
