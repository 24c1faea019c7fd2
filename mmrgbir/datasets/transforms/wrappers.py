# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Apply transforms to one modality of the stacked ``[RGB | X]`` image."""
from typing import List, Union

import numpy as np
from mmcv.transforms import BaseTransform, Compose

from mmrgbir.registry import TRANSFORMS
from mmrgbir.structures import rgb_slice, x_slice


def get_layout(results: dict, who: str) -> dict:
    layout = results.get('modality_layout')
    if layout is None:
        raise KeyError(f'{who} needs results["modality_layout"]; put '
                       f'LoadRGBXImageFromFile before it in the pipeline')
    return layout


class _ModalityWrapper(BaseTransform):
    """Run ``transforms`` on the channels of one modality only.

    The wrapped transforms see ``results['img']`` as that modality's (H, W, C)
    array and every other key unchanged; afterwards the modality is put back in
    place. They must not change the image size (that would misalign the
    modalities): use geometric transforms outside the wrapper, on the stacked image.
    """

    part = ''

    def __init__(self, transforms: List[Union[dict, callable]]) -> None:
        if not isinstance(transforms, (list, tuple)):
            transforms = [transforms]
        self.transforms = Compose(transforms)

    def _slice(self, layout: dict) -> slice:
        raise NotImplementedError

    def transform(self, results: dict):
        name = type(self).__name__
        layout = get_layout(results, name)
        img = results['img']
        sl = self._slice(layout)
        part = np.ascontiguousarray(img[..., sl])
        nch = part.shape[2]
        results['img'] = part
        out = self.transforms(results)
        if out is None:  # a transform rejected the sample
            return None
        new = out['img']
        if new.ndim == 2:
            new = new[..., None]
        if new.shape[:2] != img.shape[:2]:
            raise ValueError(
                f'{name}: a wrapped transform changed the image size from '
                f'{img.shape[:2]} to {new.shape[:2]}; only photometric transforms may be '
                f'wrapped (geometric ones go on the stacked image so X stays aligned)')
        if new.shape[2] != nch:
            raise ValueError(
                f'{name}: a wrapped transform changed the {self.part} channel count from '
                f'{nch} to {new.shape[2]}; {self.transforms.transforms}')
        dtype = img.dtype if new.dtype == img.dtype else np.float32
        stacked = img.astype(dtype, copy=True)
        stacked[..., sl] = new.astype(dtype, copy=False)
        out['img'] = stacked
        return out

    def __repr__(self) -> str:
        return f'{type(self).__name__}(transforms={self.transforms.transforms})'


@TRANSFORMS.register_module()
class RGBOnly(_ModalityWrapper):
    """Photometric transforms (colour jitter, ``PhotoMetricDistortion``, ...) on RGB only.

    Example::

        dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')])
    """

    part = 'RGB'

    def _slice(self, layout: dict) -> slice:
        return rgb_slice(layout)


@TRANSFORMS.register_module()
class XOnly(_ModalityWrapper):
    """Transforms on the X channels only (e.g. sensor noise on thermal)."""

    part = 'X'

    def _slice(self, layout: dict) -> slice:
        return x_slice(layout)
