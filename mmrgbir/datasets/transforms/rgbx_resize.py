# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Random resizing with an interpolation of its own for the X channels."""
import mmcv
import numpy as np
from mmcv.transforms import RandomResize

from mmrgbir.registry import TRANSFORMS
from mmrgbir.structures import x_slice
from .wrappers import get_layout


@TRANSFORMS.register_module()
class RGBXRandomResize(RandomResize):
    """mmcv ``RandomResize`` that resizes X with ``x_interpolation``.

    Stock resizing interpolates the stacked ``[RGB | X]`` image with one method;
    depth is often resized with nearest neighbour instead (no invented depth
    values between a foreground edge and the background; the official DPLNet run
    does so). The scale is drawn once, RGB, labels and boxes are resized by the
    stock transform, and X is resized from its original values to the same size
    with ``x_interpolation`` (mmcv's ``imresize``, the routine that resizes the
    label maps: 'nearest' samples X where the labels are sampled).

    Args:
        x_interpolation: 'nearest', 'bilinear', 'bicubic', 'area' or 'lanczos'.
        *args, **kwargs: the arguments of ``RandomResize``.
    """

    def __init__(self, *args, x_interpolation: str = 'nearest', **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if x_interpolation not in ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos'):
            raise ValueError(f'RGBXRandomResize: unknown x_interpolation {x_interpolation!r}')
        self.x_interpolation = x_interpolation

    def transform(self, results: dict) -> dict:
        sl = x_slice(get_layout(results, type(self).__name__))
        x = np.ascontiguousarray(results['img'][..., sl])
        results = super().transform(results)
        img = results['img']
        if x.shape[:2] != img.shape[:2]:
            new = mmcv.imresize(x, (img.shape[1], img.shape[0]),
                                interpolation=self.x_interpolation)
            img = img.copy()
            img[..., sl] = new.reshape(img.shape[:2] + (-1,)).astype(img.dtype)
            results['img'] = img
        return results

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f', x_interpolation={self.x_interpolation!r})'
