# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Detection packing and padding for stacked ``[RGB | X]`` images (imports mmdet)."""
from numbers import Number

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
    """mmdet ``Pad`` for any channel count, with the same fill in every channel.

    cv2's border fill takes at most 4 values (and reads a number as ``(v, 0, 0, 0)``),
    so the stock ``Pad`` fails on a 6-channel RGB + 3-channel X image, fills only
    channel 0 with a float ``pad_val``, and a 3-value colour would repeat RGB values
    into X. Here ``pad_val['img']`` is a number that every channel, RGB and X, gets,
    or one value per channel of the stacked image (anything else is an error). The
    image is padded in chunks of at most 3 channels with the stock code (same size
    rules), masks and maps as in ``Pad``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        img_val = self.pad_val.get('img', 0)
        if not isinstance(img_val, Number) and not (
                isinstance(img_val, (tuple, list))
                and all(isinstance(v, Number) for v in img_val)):
            raise TypeError(f'RGBXPad: pad_val["img"] must be a number or one number per '
                            f'channel, got {img_val!r}')

    def _channel_values(self, channels: int) -> tuple:
        value = self.pad_val.get('img', 0)
        if isinstance(value, Number):
            return (value, ) * channels
        if len(value) != channels:
            raise ValueError(
                f'RGBXPad: pad_val["img"]={tuple(value)} has {len(value)} values but the '
                f'stacked image has {channels} channels (RGB and X); give one number '
                f'(every channel gets it) or one value per channel')
        return tuple(value)

    def _pad_img(self, results: dict) -> None:
        img = results['img']
        if img.ndim == 2:
            return super()._pad_img(results)
        values = self._channel_values(img.shape[2])
        pad_val = self.pad_val
        chunks = []
        try:
            for c0 in range(0, img.shape[2], 3):
                # a tuple of the chunk's length: the stock code passes it to cv2 as is
                self.pad_val = dict(pad_val, img=values[c0:c0 + 3])
                part = dict(results, img=np.ascontiguousarray(img[..., c0:c0 + 3]))
                super()._pad_img(part)
                padded = part['img']
                chunks.append(padded[..., None] if padded.ndim == 2 else padded)
        finally:
            self.pad_val = pad_val
        results.update({k: v for k, v in part.items() if k != 'img'})
        results['img'] = np.concatenate(chunks, axis=2)
        results['pad_shape'] = results['img'].shape
