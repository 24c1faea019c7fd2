# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Detection packing and padding for stacked ``[RGB | X]`` images (imports mmdet)."""
import numpy as np
from mmdet.datasets.transforms import PackDetInputs, Pad
from mmdet.registry import TRANSFORMS

from .formatting import RGBX_META_KEYS, check_stacked_channels


@TRANSFORMS.register_module()
class PackRGBXDetInputs(PackDetInputs):
    """``PackDetInputs`` that checks the channel count and keeps the modality layout."""

    def __init__(self, meta_keys=PackDetInputs().meta_keys + RGBX_META_KEYS) -> None:
        super().__init__(meta_keys=tuple(meta_keys))

    def transform(self, results: dict) -> dict:
        check_stacked_channels(results, type(self).__name__)
        return super().transform(results)


@TRANSFORMS.register_module()
class RGBXPad(Pad):
    """mmdet ``Pad`` for any channel count.

    cv2's border fill takes at most 4 values, so the stock ``Pad`` fails on a
    6-channel RGB + 3-channel X image. The image is padded in chunks of at most 3
    channels with the stock code (same size rules), masks and maps as in ``Pad``.
    """

    def _pad_img(self, results: dict) -> None:
        img = results['img']
        if img.ndim == 2 or img.shape[2] <= 4:
            return super()._pad_img(results)
        chunks = []
        for c0 in range(0, img.shape[2], 3):
            part = dict(results, img=np.ascontiguousarray(img[..., c0:c0 + 3]))
            super()._pad_img(part)
            padded = part['img']
            chunks.append(padded[..., None] if padded.ndim == 2 else padded)
        results.update({k: v for k, v in part.items() if k != 'img'})
        results['img'] = np.concatenate(chunks, axis=2)
        results['pad_shape'] = results['img'].shape
