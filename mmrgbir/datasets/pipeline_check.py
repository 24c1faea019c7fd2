# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Reject transforms that silently break a stacked ``[RGB | X]`` image.

Datasets call :func:`check_rgbx_pipeline` at construction, so a config that would
drop channels, mix the modalities' value ranges or misalign them fails at once, with
the fix in the message, instead of training on corrupted data. The check walks
nested transforms (``RandomApply``, ``RandomChoice``, ``TestTimeAug``, mmdet
``AutoAugment`` / ``RandAugment``, the inner resize of ``RandomResize`` /
``RandomChoiceResize``) in configs and built pipelines alike;
:func:`check_rgbx_dataset` also walks dataset wrappers (``MultiImageMixDataset``'s
own pipeline, ``ConcatDataset``, ``RepeatDataset``, ...).

What is rejected on the stacked image (limits of stock mmcv / mmseg / mmdet
transforms on more than three channels):

* photometric transforms (they keep 3 channels, fail, or apply RGB arithmetic to
  X): wrap them in ``RGBOnly`` / ``XOnly``;
* ``Rerange`` (one min / max over RGB and X together), mmcv ``Normalize`` (3-value
  RGB statistics), ``RGB2Gray``, ``RandomGrayscale``, ``RandomCutOut`` / mmdet
  ``CutOut`` and ``RandomErasing`` (3-value fills), ``Expand`` and
  ``RandomCenterCropPad`` (3-value mean), mmdet ``ShearX`` / ``ShearY`` /
  ``TranslateX`` / ``TranslateY`` (a 3-value ``img_border_value`` that mmcv asserts
  against the channel count), ``Mosaic`` / ``MixUp`` (3-channel canvases),
  ``Albu``, ``LoadImageFromFile``, ``Pad`` (fails beyond 4 channels, and a float
  ``pad_val`` fills channel 0 only: use ``RGBXPad``) and cv2's ``'area'``
  interpolation (fails beyond 4 channels; also inside
  ``RandomResize`` / ``RandomChoiceResize``);
* inside ``RGBOnly`` / ``XOnly`` / ``ModalityOnly``: geometric transforms (they
  would move one modality only), ``Normalize`` / ``Rerange`` (the data preprocessor
  normalises), and in ``XOnly`` the 8-bit-only photometric transforms (``CLAHE``,
  ``AdjustGamma``, ...) when the dataset's X is 16-bit or float (they would truncate
  it to 8 bits: 60000 -> 96). The X dtype is known when the caller passes it or a
  ``sample`` to load; the wrappers check it again on every sample
  (:mod:`mmrgbir.datasets.transforms.wrappers`).

Border fills. cv2 (which ``RandomRotate``, ``RandomAffine`` and ``Rotate`` use) fills
an out-of-image pixel from a 4-value scalar: a number ``v`` means ``(v, 0, 0, 0)``, a
3-tuple ``(r, g, b)`` means ``(r, g, b, 0)``, and beyond 4 channels the same 4 values
repeat (channel 4 gets the first value again). On a stacked image the X channels
would therefore get 0 for channel 3 and RGB fill values for channels 4-5: a border
that depends on the channel index. Only fills that give every channel the same value
are accepted, so **RGB and X get the same fill value at the border**:

* mmseg ``RandomRotate``: ``pad_val=0`` (default), or ``(v, v, v, v)``;
* mmdet ``RandomAffine``: ``border_val=0`` / ``(0, 0, 0)``, or ``(v, v, v, v)``
  (the stock default ``(114, 114, 114)`` is rejected);
* mmdet ``Rotate``: ``img_border_value=0`` (its default 128 is rejected; it is
  expanded to a 3-tuple, so only 0 is uniform);
* ``RGBXPad``: a number ``pad_val`` fills every channel, RGB and X alike (or give one
  value per channel of the stack; a 3-value colour is an error).

The label maps keep their own fill (``seg_pad_val`` / ``seg_ignore_label``).
"""
import copy
from numbers import Number
from typing import Optional

from mmrgbir.datasets.transforms.transform_kinds import (EIGHT_BIT_PHOTOMETRIC,
                                                         GEOMETRIC, PHOTOMETRIC,
                                                         STACK_AWARE, children,
                                                         get_arg, transform_name, walk)

_DATA_PREPROCESSOR = ('normalise in the data preprocessor instead (RGBXSegDataPreProcessor / '
                      'RGBXDetDataPreprocessor: mean / std for RGB, x_mean / x_std for X)')
UNSUPPORTED = {
    'Mosaic': 'builds a 3-channel canvas', 'CachedMosaic': 'builds a 3-channel canvas',
    'MixUp': 'builds a 3-channel canvas', 'CachedMixUp': 'builds a 3-channel canvas',
    'RandomMosaic': 'builds a 3-channel canvas',
    'Albu': 'maps only the "img" key to albumentations and may treat it as 3-channel',
    'Expand': 'fills with a 3-value mean', 'RandomErasing': 'fills with a 3-value colour',
    'LoadImageFromFile': 'loads RGB only; use LoadRGBXImageFromFile',
    'Rerange': 'rescales the minimum..maximum of the whole stacked image, so RGB and X '
               'are rescaled together by numbers that depend on the other modality; '
               + _DATA_PREPROCESSOR,
    'Normalize': 'normalises with 3-value RGB statistics (X gets RGB statistics or the '
                 'call fails); ' + _DATA_PREPROCESSOR,
    'RGB2Gray': 'averages channels with 3 RGB weights (X is mixed in or the call fails); '
                'for grey RGB wrap it: dict(type="RGBOnly", transforms=[dict('
                'type="RGB2Gray", out_channels=3)])',
    'RandomGrayscale': 'averages channels with 3 RGB weights and casts to uint8; for grey '
                       'RGB wrap it: dict(type="RGBOnly", transforms=[dict('
                       'type="RandomGrayscale", keep_channels=True)])',
    'RandomCutOut': 'fills the holes with a 3-value colour (fill_in) in every channel; to '
                    'occlude one modality wrap it in RGBOnly / XOnly, to drop a whole '
                    'modality use RandomModalityDropout',
    'CutOut': 'fills the holes with a 3-value colour (fill_in) in every channel; to '
              'occlude one modality wrap it in RGBOnly / XOnly, to drop a whole modality '
              'use RandomModalityDropout',
    'RandomCenterCropPad': 'pads with a 3-value mean and normalises with 3-value '
                           'statistics; use RandomCrop and RGBXPad, and normalise in the '
                           'data preprocessor',
    'ShearX': 'fills the border with a 3-value img_border_value, which mmcv asserts '
              'against the channel count; use RandomAffine(max_shear_degree=..., '
              'border_val=0) on the stacked image',
    'ShearY': 'fills the border with a 3-value img_border_value, which mmcv asserts '
              'against the channel count; use RandomAffine(max_shear_degree=..., '
              'border_val=0) on the stacked image',
    'TranslateX': 'fills the border with a 3-value img_border_value, which mmcv asserts '
                  'against the channel count; use RandomAffine(max_translate_ratio=..., '
                  'border_val=0) on the stacked image',
    'TranslateY': 'fills the border with a 3-value img_border_value, which mmcv asserts '
                  'against the channel count; use RandomAffine(max_translate_ratio=..., '
                  'border_val=0) on the stacked image',
}
# transform -> (argument, stock default) of its cv2 border fill
BORDER_FILLS = {'RandomRotate': ('pad_val', 0), 'RandomAffine': ('border_val', (114, 114, 114)),
                'Rotate': ('img_border_value', 128)}
WRAPPERS = ('RGBOnly', 'XOnly', 'ModalityOnly')
RGBX_LOADERS = ('LoadRGBXImageFromFile', 'LoadStackedRGBXImageFromFile',
                'LoadMultiModalImageFromFile', 'LoadRGBXImageFromNDArray')


def uniform_fill(value) -> bool:
    """True when cv2 gives every channel of any stack the same border value."""
    if isinstance(value, Number):
        return value == 0
    values = list(value)
    if all(v == 0 for v in values):
        return True
    return len(values) == 4 and len(set(values)) == 1


def _check_border_fill(t, name: str, where: str) -> None:
    arg, default = BORDER_FILLS[name]
    # a built mmseg RandomRotate keeps pad_val as "pal_val"
    value = get_arg(t, arg, get_arg(t, 'pal_val', default))
    if value is None or uniform_fill(value):
        return
    hint = ('0' if name == 'Rotate' else f'0 (every channel gets 0) or {arg}=(v, v, v, v) '
            f'(every channel gets v)')
    raise ValueError(
        f'{where} with {arg}={value!r} fills the border of the stacked RGB-X image '
        f'unevenly: cv2 reads it as 4 values padded with 0 and repeats them beyond 4 '
        f'channels, so X gets 0 in its first channel and RGB fill values in the others. '
        f'Use {arg}={hint}; RGB and X then get the same value at the border.')


def _x_dtype_of(pipeline, sample: Optional[dict]) -> Optional[str]:
    """The X dtype that the pipeline's loader gives ``sample`` (None if unknown)."""
    if not sample:
        return None
    for t in walk(list(getattr(pipeline, 'transforms', pipeline) or [])):
        if transform_name(t) in RGBX_LOADERS and not isinstance(t, dict):
            out = t(copy.deepcopy(sample))
            return str(out['modality_layout']['x_dtype'])
    return None


def check_rgbx_pipeline(pipeline, dataset_name: str = 'dataset',
                        sample: Optional[dict] = None,
                        x_dtype: Optional[str] = None) -> None:
    """Raise ``ValueError`` for a transform that would break a stacked RGB-X image.

    Args:
        pipeline: a list of configs / transforms or an mmcv ``Compose``.
        dataset_name: names the dataset in the messages.
        sample: optional first data info of the dataset (``img_path``, ``x_path``,
            ...). Only when ``XOnly`` wraps an 8-bit-only transform, the pipeline's
            loader reads it to learn the X dtype.
        x_dtype: the X dtype ('uint8', 'uint16', 'float32'), if known.
    """
    transforms = list(getattr(pipeline, 'transforms', pipeline) or [])
    state = dict(x_dtype=x_dtype, sample=sample, pipeline=transforms)
    _check(transforms, dataset_name, None, state)


def _check(transforms, dataset_name: str, wrapper: Optional[str], state: dict) -> None:
    for t in transforms:
        name = transform_name(t)
        where = f'{dataset_name} pipeline: {name}'
        if wrapper is not None:
            where = f'{dataset_name} pipeline: {wrapper}({name})'
            if name in GEOMETRIC or name in STACK_AWARE:
                raise ValueError(
                    f'{where}: {name} cannot be wrapped: it is geometric or works on the '
                    f'stacked image, and inside {wrapper} it would move or read one '
                    f'modality only, misaligning RGB, X and the labels. Put it outside '
                    f'{wrapper}, on the stacked image.')
            if name in ('Normalize', 'Rerange'):
                raise ValueError(f'{where}: {_DATA_PREPROCESSOR} (it would normalise '
                                 f'twice).')
            if wrapper == 'XOnly' and name in EIGHT_BIT_PHOTOMETRIC:
                if state['x_dtype'] is None and state['sample'] is not None:
                    state['x_dtype'] = _x_dtype_of(state['pipeline'], state['sample'])
                    state['sample'] = None  # read it once
                if state['x_dtype'] not in (None, 'uint8'):
                    raise ValueError(
                        f'{where}: {name} works on 8-bit values 0..255 but this '
                        f'dataset\'s X is {state["x_dtype"]}: it would truncate X to 8 '
                        f'bits (e.g. 60000 -> 96). Use a transform that handles '
                        f'{state["x_dtype"]} data, or convert X to 8 bits when preparing '
                        f'the dataset.')
        elif name in WRAPPERS:
            # ModalityOnly(modality='rgb') is RGBOnly; on another modality, XOnly
            kind = name if name != 'ModalityOnly' else (
                'RGBOnly' if get_arg(t, 'modality') == 'rgb' else 'XOnly')
            _check(children(t), dataset_name, kind, state)
            continue
        elif name in UNSUPPORTED:
            raise ValueError(f'{where} is not supported for RGB-X images: it '
                             f'{UNSUPPORTED[name]}.')
        elif name in PHOTOMETRIC:
            raise ValueError(
                f'{where} on the stacked RGB-X image would keep only 3 channels or fail '
                f'(a stock limit). Wrap it: dict(type="RGBOnly", transforms=[{name}...]).')
        elif name == 'Pad':
            raise ValueError(f'{where} fails for more than 4 channels (cv2 limit) and fills '
                             f'only channel 0 with a float pad_val; use RGBXPad (same '
                             f'arguments) or pad in the data preprocessor.')
        elif name in BORDER_FILLS:
            _check_border_fill(t, name, where)
        if get_arg(t, 'interpolation') == 'area':
            raise ValueError(f'{where} with interpolation="area" fails for more than 4 '
                             f'channels (cv2 limit); use "bilinear".')
        _check(children(t), dataset_name, wrapper, state)


def check_rgbx_dataset(dataset, dataset_name: Optional[str] = None) -> None:
    """:func:`check_rgbx_pipeline` on a dataset config or object and on every
    dataset wrapper around it (``MultiImageMixDataset``'s own pipeline,
    ``ConcatDataset``, ``RepeatDataset``, ``ClassBalancedDataset``).

    A wrapper's pipeline is checked when a dataset inside it loads RGB-X images.
    Returns silently for datasets without an RGB-X loader.
    """
    if not _is_rgbx(dataset):
        return
    name = dataset_name or transform_name(dataset)
    pipeline = get_arg(dataset, 'pipeline')
    if pipeline is not None:
        check_rgbx_pipeline(pipeline, name)
    for inner in _inner_datasets(dataset):
        check_rgbx_dataset(inner, f'{name} > {transform_name(inner)}')


def _inner_datasets(dataset) -> list:
    inner = get_arg(dataset, 'datasets') or []
    one = get_arg(dataset, 'dataset')
    return list(inner) + ([one] if one is not None else [])


def _is_rgbx(dataset) -> bool:
    if 'RGBX' in transform_name(dataset):
        return True
    pipeline = get_arg(dataset, 'pipeline')
    if pipeline is not None and any(
            transform_name(t) in RGBX_LOADERS
            for t in walk(list(getattr(pipeline, 'transforms', pipeline)))):
        return True
    return any(_is_rgbx(d) for d in _inner_datasets(dataset))
