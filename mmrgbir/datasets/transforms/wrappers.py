# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Apply photometric transforms to one modality of the stacked ``[RGB | X]`` image.

The wrapped transforms see ``results['img']`` as that modality's (H, W, C) array in
the dtype they were written for, and every other key unchanged:

* ``RGBOnly`` hands them the RGB part as **uint8**. RGB is 8-bit data (the loaders
  decode it as uint8); it is float32 only because a 16-bit or float X made the
  whole stack float32, or after a float-stack resize. A float RGB part with values
  in [-0.5, 255.5) is rounded to uint8 (exact for the loader's output; after a
  bilinear resize of a float stack this is the rounding that the same resize does
  on a uint8 stack). Any other RGB (uint16, out-of-range or non-finite floats:
  e.g. after ``Normalize`` / ``Rerange``) is an error naming the transforms.
* ``XOnly`` hands them an 8-bit X (layout ``x_dtype='uint8'``) as uint8 the same
  way, and a 16-bit / float X in the stack's float32, which holds it exactly.
  Transforms that assume 8-bit values (``CLAHE``, ``AdjustGamma``,
  ``PhotoMetricDistortion``, ... see ``EIGHT_BIT_PHOTOMETRIC``) on a 16-bit or
  float X are an error: they would truncate it (60000 -> 96).

The result is written back into the stack (a uint8 result into a float32 stack is
exact). Geometric transforms (flip, crop, rotate, resize, pad, ...) are rejected
when the wrapper is built: inside a wrapper they would move one modality and not
the other nor the labels. At run time the wrapper also checks that the wrapped
transforms changed neither the image size, the channel count, nor any geometric key
(``gt_seg_map`` and the other ``seg_fields``, ``gt_bboxes``, ``gt_masks``,
``gt_keypoints``, ``flip``, ``homography_matrix``, ...), which catches custom
geometric transforms too.
"""
import copy
from typing import List, Union

import numpy as np
from mmcv.transforms import BaseTransform, Compose

from mmrgbir.registry import TRANSFORMS
from mmrgbir.structures import rgb_slice, x_slice
from .transform_kinds import (EIGHT_BIT_PHOTOMETRIC, GEOMETRIC, STACK_AWARE, get_arg,
                              transform_name, walk)

# keys that only geometric transforms change (besides the seg_fields)
GEOMETRIC_KEYS = ('gt_seg_map', 'gt_sem_seg', 'gt_bboxes', 'gt_masks', 'gt_keypoints',
                  'gt_polygons', 'gt_ignore_flags', 'gt_bboxes_labels', 'flip',
                  'flip_direction', 'homography_matrix', 'img_shape', 'scale_factor',
                  'pad_shape', 'rotate', 'rotate_degree')


def get_layout(results: dict, who: str) -> dict:
    layout = results.get('modality_layout')
    if layout is None:
        raise KeyError(f'{who} needs results["modality_layout"]; put '
                       f'LoadRGBXImageFromFile before it in the pipeline')
    return layout


def _snapshot(value):
    """A copy of ``value`` to compare with after the wrapped transforms ran."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if hasattr(value, 'tensor') and hasattr(value.tensor, 'clone'):  # mmdet boxes
        return value.tensor.clone()
    if hasattr(value, 'clone'):  # torch tensors
        return value.clone()
    if isinstance(getattr(value, 'masks', None), np.ndarray):  # BitmapMasks
        return value.masks.copy()
    return copy.deepcopy(value)


def _same(key: str, before, after) -> bool:
    after = _snapshot(after)
    if key == 'img_shape':  # mmseg's RGB2Gray writes (H, W, C): only the size counts
        return tuple(before)[:2] == tuple(after)[:2]
    if isinstance(before, np.ndarray) or hasattr(before, 'numpy'):
        before = before if isinstance(before, np.ndarray) else before.numpy()
        after = after if isinstance(after, np.ndarray) else np.asarray(after)
        return before.shape == after.shape and np.array_equal(before, after)
    try:
        return bool(before == after)
    except (TypeError, ValueError):  # nested arrays etc.: compare their text
        return repr(before) == repr(after)


def _as_uint8(part: np.ndarray, what: str, who: str) -> np.ndarray:
    """``part`` as uint8 if it holds 8-bit values, else a ValueError naming ``who``."""
    if part.dtype == np.uint8:
        return part
    if part.dtype.kind == 'f' and part.size:
        lo, hi = float(part.min()), float(part.max())
        if np.isfinite(lo) and np.isfinite(hi) and lo >= -0.5 and hi < 255.5:
            return np.rint(part).astype(np.uint8)
        found = f'values {lo:g}..{hi:g}'
    elif part.dtype.kind == 'f':
        return part.astype(np.uint8)
    else:
        found = f'dtype {part.dtype} (values {int(part.min())}..{int(part.max())})'
    raise ValueError(
        f'{who}: the {what} part has {found}, but the wrapped transforms work on 8-bit '
        f'values 0..255. Put the wrapper before any step that rescales the image '
        f'(Normalize, Rerange: normalisation belongs in the data preprocessor), use '
        f'"bilinear" or "nearest" resizing on float stacks (bicubic / lanczos overshoot), '
        f'and store RGB as 8-bit files.')


class _ModalityWrapper(BaseTransform):
    """Run ``transforms`` on the channels of one modality only (see module doc).

    Args:
        transforms: photometric transform configs or objects, applied in order.
    """

    part = ''

    def __init__(self, transforms: List[Union[dict, callable]]) -> None:
        if not isinstance(transforms, (list, tuple)):
            transforms = [transforms]
        self._check_wrapped(transforms)
        self.transforms = Compose(transforms)
        self.eight_bit = sorted({transform_name(t) for t in walk(self.transforms.transforms)
                                 if transform_name(t) in EIGHT_BIT_PHOTOMETRIC})

    def _check_wrapped(self, transforms) -> None:
        who = type(self).__name__
        for t in walk(list(transforms)):
            name = transform_name(t)
            if name in GEOMETRIC:
                raise ValueError(
                    f'{who} cannot wrap {name}: it is geometric (it moves pixels, labels '
                    f'or boxes), and inside {who} it would move the {self.part} channels '
                    f'only, misaligning RGB, X and the labels. Put {name} outside the '
                    f'wrapper, on the stacked image: stock geometric transforms move '
                    f'every channel, the labels and the boxes together.')
            if name in STACK_AWARE:
                raise ValueError(
                    f'{who} cannot wrap {name}: it works on the stacked [RGB | X] image '
                    f'itself (it reads the modality layout). Put it outside {who}.')
            if name in ('Normalize', 'Rerange'):
                raise ValueError(
                    f'{who} cannot wrap {name}: the data preprocessor normalises each '
                    f'modality (mean / std for RGB, x_mean / x_std for X); normalising '
                    f'here as well would do it twice.')
            if name == 'RandomGrayscale' and not get_arg(t, 'keep_channels', False):
                raise ValueError(f'{who}: RandomGrayscale would return 1 channel; set '
                                 f'keep_channels=True')
            if name == 'RGB2Gray' and get_arg(t, 'out_channels') not in (None, 3):
                raise ValueError(f'{who}: RGB2Gray would change the channel count; leave '
                                 f'out_channels=None')

    def _slice(self, layout: dict) -> slice:
        raise NotImplementedError

    def _prepare(self, part: np.ndarray, layout: dict, who: str) -> np.ndarray:
        """The modality's channels in the dtype the wrapped transforms expect."""
        raise NotImplementedError

    def transform(self, results: dict):
        who = f'{type(self).__name__}({", ".join(self._names())})'
        layout = get_layout(results, type(self).__name__)
        img = results['img']
        sl = self._slice(layout)
        part = self._prepare(np.ascontiguousarray(img[..., sl]), layout, who)
        nch = part.shape[2]
        watched = list(GEOMETRIC_KEYS) + [k for k in results.get('seg_fields', [])
                                          if k not in GEOMETRIC_KEYS]
        before = {k: _snapshot(results[k]) for k in watched if k in results}
        results['img'] = part
        out = self.transforms(results)
        if out is None:  # a transform rejected the sample
            return None
        for key in watched:
            if (key in before) != (key in out) or (
                    key in before and not _same(key, before[key], out[key])):
                raise ValueError(
                    f'{who}: a wrapped transform changed results["{key}"]. Inside the '
                    f'wrapper only the {self.part} pixels may change: a geometric (or '
                    f'label-changing) transform would move the {self.part} channels only, '
                    f'misaligning the modalities and labels. Apply it outside the wrapper, '
                    f'on the stacked image.')
        new = out['img']
        if new.ndim == 2:
            new = new[..., None]
        if new.shape[:2] != img.shape[:2]:
            raise ValueError(
                f'{who}: a wrapped transform changed the image size from '
                f'{img.shape[:2]} to {new.shape[:2]}; only photometric transforms may be '
                f'wrapped (geometric ones go on the stacked image so X stays aligned)')
        if new.shape[2] != nch:
            raise ValueError(
                f'{who}: a wrapped transform changed the {self.part} channel count from '
                f'{nch} to {new.shape[2]}; {self.transforms.transforms}')
        # a uint8 result goes exactly into a float32 stack; anything else makes it float32
        dtype = img.dtype if new.dtype == img.dtype or (
            new.dtype == np.uint8 and img.dtype == np.float32) else np.float32
        stacked = img.astype(dtype, copy=True)
        stacked[..., sl] = new.astype(dtype, copy=False)
        out['img'] = stacked
        return out

    def _names(self) -> List[str]:
        return [transform_name(t) for t in self.transforms.transforms]

    def __repr__(self) -> str:
        return f'{type(self).__name__}(transforms={self.transforms.transforms})'


@TRANSFORMS.register_module()
class RGBOnly(_ModalityWrapper):
    """Photometric transforms (colour jitter, ``PhotoMetricDistortion``, ...) on RGB only.

    The wrapped transforms get the RGB part (H, W, 3, BGR order) as uint8 whatever the
    stack's dtype (see the module doc); X is written back bit-exactly.

    Example::

        dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')])
    """

    part = 'RGB'

    def _slice(self, layout: dict) -> slice:
        return rgb_slice(layout)

    def _prepare(self, part: np.ndarray, layout: dict, who: str) -> np.ndarray:
        return _as_uint8(part, 'RGB', who)


@TRANSFORMS.register_module()
class XOnly(_ModalityWrapper):
    """Transforms on the X channels only (e.g. sensor noise on thermal).

    The wrapped transforms get X (H, W, Cx) as uint8 when the file was 8-bit, and as
    float32 (exact) when it was 16-bit or float; transforms that assume 8-bit values
    raise on the latter (see the module doc).
    """

    part = 'X'

    def _slice(self, layout: dict) -> slice:
        return x_slice(layout)

    def _stored_dtype(self, layout: dict, part: np.ndarray) -> str:
        """The dtype of the wrapped channels as stored in their file(s)."""
        return str(layout.get('x_dtype', part.dtype))

    def _prepare(self, part: np.ndarray, layout: dict, who: str) -> np.ndarray:
        x_dtype = self._stored_dtype(layout, part)
        if x_dtype == 'uint8':
            return _as_uint8(part, 'X', who)
        if self.eight_bit:
            raise ValueError(
                f'{who}: {", ".join(self.eight_bit)} work(s) on 8-bit values 0..255, but '
                f'X is {x_dtype} (values up to {float(part.max()):g}): it would be '
                f'truncated to 8 bits. Use a transform that handles {x_dtype} data, or '
                f'convert X to 8 bits when preparing the dataset.')
        return part
