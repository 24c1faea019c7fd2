# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Detection data preprocessor for stacked ``[RGB | X]`` inputs (imports mmdet)."""
from typing import Optional, Sequence

from mmdet.models.data_preprocessors import DetDataPreprocessor
from mmdet.registry import MODELS

from .normalize import RGBXNormalizer


@MODELS.register_module()
class RGBXDetDataPreprocessor(DetDataPreprocessor):
    """``DetDataPreprocessor`` with per-modality statistics.

    The stock preprocessor rejects a mean of more than 3 values and, with
    ``bgr_to_rgb=True``, silently drops every channel after the third. This one
    normalises RGB with ``mean`` / ``std`` (``bgr_to_rgb`` on the RGB part only) and X
    with ``x_mean`` / ``x_std``, then pads, stacks and runs batch augments like the
    stock one (``pad_size_divisor``, ``pad_value``, ``pad_mask``, ``pad_seg``, ...).
    Output: (B, 3 + Cx, H, W).
    """

    accepts_rgbx = True  # the stock-preprocessor check lets it through

    def __init__(self, mean: Sequence[float], std: Sequence[float],
                 x_mean: Sequence[float], x_std: Sequence[float],
                 bgr_to_rgb: bool = True, pad_size_divisor: int = 1,
                 pad_value: float = 0, pad_mask: bool = False, mask_pad_value: int = 0,
                 pad_seg: bool = False, seg_pad_value: int = 255,
                 boxtype2tensor: bool = True, non_blocking: Optional[bool] = False,
                 batch_augments=None) -> None:
        super().__init__(mean=None, std=None, pad_size_divisor=pad_size_divisor,
                         pad_value=pad_value, pad_mask=pad_mask,
                         mask_pad_value=mask_pad_value, pad_seg=pad_seg,
                         seg_pad_value=seg_pad_value, bgr_to_rgb=False, rgb_to_bgr=False,
                         boxtype2tensor=boxtype2tensor, non_blocking=non_blocking,
                         batch_augments=batch_augments)
        self.normalizer = RGBXNormalizer(mean, std, x_mean, x_std, bgr_to_rgb,
                                         owner=type(self).__name__)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        data = dict(data)
        data['inputs'] = self.normalizer.normalize_batch(data['inputs'],
                                                         data.get('data_samples'))
        return super().forward(data, training)
