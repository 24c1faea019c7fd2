# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Reject stock transforms that silently break a stacked ``[RGB | X]`` image.

Known limits of stock mmcv / mmseg / mmdet transforms on images of more than three
channels (docs/environment.md): photometric ones keep 3 channels or fail, mosaic /
mix-up build 3-channel canvases, ``Expand`` needs one mean per channel, ``Pad``
fails beyond 4 channels, and cv2's 'area' interpolation beyond 4. Datasets call
:func:`check_rgbx_pipeline` at construction so such a config fails at once, with
the fix in the message, instead of training on dropped channels.
"""
from typing import Iterable

from mmcv.transforms import Compose

from mmrgbir.datasets.transforms.wrappers import RGBOnly, XOnly

PHOTOMETRIC = {
    'PhotoMetricDistortion', 'YOLOXHSVRandomAug', 'ColorTransform', 'Color',
    'Brightness', 'Contrast', 'Equalize', 'AutoContrast', 'Sharpness', 'Posterize',
    'Solarize', 'SolarizeAdd', 'Invert', 'RandomGamma', 'CLAHE', 'AdjustGamma',
    'BioMedicalGaussianNoise', 'BioMedicalGaussianBlur'}
UNSUPPORTED = {
    'Mosaic': 'builds a 3-channel canvas', 'CachedMosaic': 'builds a 3-channel canvas',
    'MixUp': 'builds a 3-channel canvas', 'CachedMixUp': 'builds a 3-channel canvas',
    'Albu': 'maps only the "img" key to albumentations and may treat it as 3-channel',
    'Expand': 'fills with a 3-value mean', 'RandomErasing': 'fills with a 3-value colour',
    'LoadImageFromFile': 'loads RGB only; use LoadRGBXImageFromFile',
}


def _name(t) -> str:
    return t['type'] if isinstance(t, dict) else type(t).__name__


def _children(t) -> Iterable:
    """The transforms that ``t`` wraps (configs or objects; Compose is flattened)."""
    if isinstance(t, dict):
        sub = t.get('transforms', t.get('transform'))
    else:
        sub = getattr(t, 'transforms', getattr(t, 'transform', None))
    items = sub if isinstance(sub, (list, tuple)) else ([] if sub is None else [sub])
    flat = []
    for item in items:
        if isinstance(item, (list, tuple)):  # RandomChoice configs: lists of lists
            flat.extend(item)
        elif isinstance(item, Compose):
            flat.extend(item.transforms)
        else:
            flat.append(item)
    return flat


def _interpolation(t):
    if isinstance(t, dict):
        return t.get('interpolation')
    return getattr(t, 'interpolation', None)


def check_rgbx_pipeline(pipeline, dataset_name: str = 'dataset') -> None:
    """Raise ``ValueError`` for a transform that would break a stacked RGB-X image.

    ``pipeline`` is a list of configs / transforms or an mmcv ``Compose``.
    """
    transforms = getattr(pipeline, 'transforms', pipeline) or []
    for t in transforms:
        name = _name(t)
        if name in (RGBOnly.__name__, XOnly.__name__) or isinstance(t, (RGBOnly, XOnly)):
            continue  # photometric transforms are meant to be inside these
        where = f'{dataset_name} pipeline: {name}'
        if name in PHOTOMETRIC:
            raise ValueError(
                f'{where} on the stacked RGB-X image would keep only 3 channels or fail '
                f'(a stock limit). Wrap it: dict(type="RGBOnly", transforms=[{name}...]).')
        if name in UNSUPPORTED:
            raise ValueError(f'{where} is not supported for RGB-X images: it '
                             f'{UNSUPPORTED[name]}.')
        if name == 'Pad':
            raise ValueError(f'{where} fails for more than 4 channels (cv2 limit); use '
                             f'RGBXPad (same arguments) or pad in the data preprocessor.')
        if _interpolation(t) == 'area':
            raise ValueError(f'{where} with interpolation="area" fails for more than 4 '
                             f'channels (cv2 limit); use "bilinear".')
        check_rgbx_pipeline(list(_children(t)), dataset_name)
