# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Segmentation data preprocessor for stacked ``[RGB | X]`` inputs."""
from typing import Any, Dict, Optional, Sequence

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

from .normalize import RGBXNormalizer


@MODELS.register_module()
class RGBXSegDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` with per-modality statistics.

    Normalises the RGB part with ``mean`` / ``std`` (after ``bgr_to_rgb`` on the RGB
    part only) and the X part with ``x_mean`` / ``x_std``, then pads and stacks
    exactly like the stock preprocessor (``size``, ``size_divisor``, ``pad_val``,
    ``seg_pad_val``, ``batch_augments``, ``test_cfg``). The model receives one tensor
    (B, 3 + Cx, H, W), so stock slide inference and test-time augmentation work.

    The stock preprocessor applies ``bgr_to_rgb`` only to 3-channel inputs and
    silently skips it otherwise; this one always converts the RGB part.
    """

    accepts_rgbx = True  # the stock-preprocessor check lets it through

    def __init__(self, mean: Sequence[float], std: Sequence[float],
                 x_mean: Sequence[float], x_std: Sequence[float],
                 bgr_to_rgb: bool = True, size: Optional[tuple] = None,
                 size_divisor: Optional[int] = None, pad_val: float = 0,
                 seg_pad_val: float = 255, batch_augments=None, test_cfg=None) -> None:
        # The parent only pads and stacks; normalisation happens in forward().
        super().__init__(mean=None, std=None, size=size, size_divisor=size_divisor,
                         pad_val=pad_val, seg_pad_val=seg_pad_val, bgr_to_rgb=False,
                         rgb_to_bgr=False, batch_augments=batch_augments,
                         test_cfg=test_cfg)
        self.normalizer = RGBXNormalizer(mean, std, x_mean, x_std, bgr_to_rgb,
                                         owner=type(self).__name__)

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        data = self.cast_data(data)
        data = dict(data)
        data['inputs'] = self.normalizer.normalize_batch(data['inputs'],
                                                         data.get('data_samples'))
        return super().forward(data, training)
