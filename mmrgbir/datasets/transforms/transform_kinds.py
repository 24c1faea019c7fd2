# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""What stock mmcv / mmseg / mmdet transforms do to a stacked ``[RGB | X]`` image.

One table per behaviour, keyed by the registered class name, and a walker over the
transforms that a wrapper transform (``RandomApply``, ``TestTimeAug``, ``AutoAugment``,
``RandomResize``, ...) holds, for configs and built objects alike. The modality
wrappers (:mod:`.wrappers`) and the dataset-construction check
(:mod:`mmrgbir.datasets.pipeline_check`) read them.
"""
import inspect
from typing import Iterator, List

from mmcv.transforms import Compose

# Photometric transforms whose arithmetic assumes 8-bit values 0..255 (HSV in
# uint8 conventions, 256-bin histograms and look-up tables, 255 - v, clipping to
# 255). On 16-bit or float data they truncate or distort values silently.
EIGHT_BIT_PHOTOMETRIC = frozenset({
    'PhotoMetricDistortion', 'YOLOXHSVRandomAug', 'ColorTransform', 'Color',
    'Brightness', 'Contrast', 'Equalize', 'AutoContrast', 'Sharpness', 'Posterize',
    'Solarize', 'SolarizeAdd', 'Invert', 'CLAHE', 'AdjustGamma', 'RandomGamma',
    'RandomGrayscale'})
# Photometric transforms that work in floating point on any range.
FLOAT_PHOTOMETRIC = frozenset({'BioMedicalGaussianNoise', 'BioMedicalGaussianBlur'})
PHOTOMETRIC = EIGHT_BIT_PHOTOMETRIC | FLOAT_PHOTOMETRIC

# Transforms that move pixels, labels or boxes (or change the image size): on the
# stacked image they keep the modalities aligned; inside RGBOnly / XOnly they would
# move one modality only.
GEOMETRIC = frozenset({
    'Resize', 'RandomResize', 'RGBXRandomResize', 'RandomChoiceResize', 'ResizeToMultiple',
    'ResizeShortestEdge', 'FixShapeResize', 'FixScaleResize', 'RandomFlip',
    'RandomRotFlip', 'RandomCrop', 'CenterCrop', 'RandomCenterCropPad',
    'MinIoURandomCrop', 'RandomRotate', 'RandomAffine', 'Rotate', 'ShearX', 'ShearY',
    'TranslateX', 'TranslateY', 'GeomTransform', 'RandomShift', 'Pad', 'RGBXPad',
    'Expand', 'Mosaic', 'CachedMosaic', 'MixUp', 'CachedMixUp', 'RandomMosaic',
    'CopyPaste', 'SegRescale', 'MultiScaleFlipAug', 'TestTimeAug'})

# mmrgbir transforms that read the modality layout and act on the stacked image
# themselves: wrapped, they would see one modality as if it were the whole image.
STACK_AWARE = frozenset({
    'RGBOnly', 'XOnly', 'ModalityOnly', 'RandomModalityDropout', 'ModalityCorruption',
    'RandomXMisalignment', 'LoadRGBXImageFromFile', 'LoadStackedRGBXImageFromFile',
    'LoadMultiModalImageFromFile', 'PackRGBXSegInputs', 'PackRGBXDetInputs'})

# Attributes / config keys under which wrapper transforms keep their transforms.
_CHILD_KEYS = ('transforms', 'transform', 'subroutines', 'policies', 'aug_space')


def transform_name(t) -> str:
    """Registered name of a transform config (``dict(type=...)``) or object."""
    if isinstance(t, dict):
        name = t.get('type', '?')
        name = name if isinstance(name, str) else getattr(name, '__name__', str(name))
    else:
        name = type(t).__name__
        if name == 'function':  # lazily registered builders keep their name
            name = getattr(t, '__name__', name)
    return name.split('.')[-1]  # 'mmdet.Resize' -> 'Resize'


def _flatten(items) -> List:
    flat = []
    for item in items:
        if isinstance(item, (list, tuple)):  # TestTimeAug / RandomChoice: lists of lists
            flat.extend(_flatten(item))
        elif isinstance(item, Compose):
            flat.extend(item.transforms)
        elif item is not None:
            flat.append(item)
    return flat


def children(t) -> List:
    """The transforms that ``t`` wraps, as configs or objects (Compose flattened).

    Covers ``transforms`` (RandomApply, RandomChoice, KeyMapper, RGBOnly, ...),
    ``subroutines`` (a built TestTimeAug), ``policies`` / ``aug_space`` (mmdet
    AutoAugment / RandAugment) and the inner resize of ``RandomResize`` /
    ``RandomChoiceResize`` (``resize_type`` plus its keyword arguments).
    """
    found = []
    for key in _CHILD_KEYS:
        sub = t.get(key) if isinstance(t, dict) else getattr(t, key, None)
        if sub is None or inspect.ismethod(sub):  # BaseTransform.transform
            continue
        found.extend(_flatten(sub if isinstance(sub, (list, tuple)) else [sub]))
    name = transform_name(t)
    if name in ('RandomResize', 'RGBXRandomResize', 'RandomChoiceResize'):
        if isinstance(t, dict):
            inner = {k: v for k, v in t.items()
                     if k not in ('type', 'scale', 'scales', 'ratio_range', 'resize_type',
                                  'x_interpolation')}
            found.append(dict(inner, type=t.get('resize_type', 'Resize')))
        elif getattr(t, 'resize', None) is not None:
            found.append(t.resize)
    return found


def walk(transforms) -> Iterator:
    """Every transform of ``transforms`` (list, Compose, config or object) and,
    depth first, every transform nested in it."""
    items = transforms if isinstance(transforms, (list, tuple)) else [transforms]
    for t in _flatten(items):
        yield t
        yield from walk(children(t))


def get_arg(t, name: str, default=None):
    """An argument of a transform config, or the attribute of a built transform."""
    if isinstance(t, dict):
        return t.get(name, default)
    return getattr(t, name, default)
