# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Missing, degraded and misregistered modalities, for training and for evaluation.

All three transforms work on the stacked ``[RGB | X]`` image of
``LoadRGBXImageFromFile`` (``results['img']``, (H, W, 3 + Cx)) and find the two parts
through ``results['modality_layout']``. They act on the *raw* image, before the data
preprocessor normalises it, so every value (``fill``, noise std) is in the units of
the stored data: 0-255 for 8-bit images, the file's units (e.g. millimetres) for a
16-bit X. The RGB part is in the loader's channel order (BGR for mmcv's default).

What "missing" means numerically: a dropped modality is set to ``fill`` (0 by
default) in the raw image. The preprocessor then maps it to ``(fill - mean) / std``
per channel, i.e. ``-mean / std`` for ``fill=0`` (black RGB, zero X). That is *not*
the preprocessor's ``pad_val`` (0 after normalisation = the dataset mean in raw
units). To make a missing modality look like padding, pass its mean as ``fill``
(per channel, in the stored channel order), e.g. ``fill=dict(x=[110.0])``.

Randomness: ``RandomModalityDropout`` (training) uses numpy's global generator, which
mmengine seeds per worker. The evaluation transforms (``ModalityCorruption``'s noise,
``RandomXMisalignment`` with ``seed``) draw from a generator seeded by ``seed`` and
the image path, so every run, worker count and sample order sees the same corruption.
"""
import math
import zlib
from typing import Dict, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmrgbir.registry import TRANSFORMS
from mmrgbir.structures import find_modality, x_slice
from .wrappers import get_layout

MODALITIES = ('rgb', 'x')
Fill = Union[float, Sequence[float]]


def check_modality_name(modality: str, who: str) -> None:
    """``'rgb'``, ``'x'`` (every channel after RGB) or a modality name of the layout
    (``'thermal'``, ``'depth'``, ...: checked per sample)."""
    if not isinstance(modality, str) or not modality:
        raise ValueError(f'{who}: modality must be {MODALITIES} or a modality name of '
                         f'the layout, got {modality!r}')


def modality_slice(layout: dict, modality: str) -> slice:
    """Channel slice of ``'rgb'``, ``'x'`` or a named modality in the stacked image."""
    return slice(*find_modality(layout, modality)['channels'])


def value_range(img: np.ndarray, layout: dict, modality: str) -> Optional[Tuple[float, float]]:
    """Valid range of a modality's values, or None when unbounded (float data).

    A float32 stacked image may hold 8- or 16-bit data converted by the loader; the
    layout records each modality's stored dtype. RGB is decoded as 8-bit by mmcv.
    """
    if np.issubdtype(img.dtype, np.integer):
        info = np.iinfo(img.dtype)
        return float(info.min), float(info.max)
    stored = find_modality(layout, modality).get('dtype', 'float32')
    if stored in ('uint8', 'uint16'):
        return 0.0, float(np.iinfo(np.dtype(stored)).max)
    return None


def to_dtype(values: np.ndarray, dtype, vrange: Optional[Tuple[float, float]]) -> np.ndarray:
    """Clip to the valid range and round when going back to an integer dtype."""
    if vrange is not None:
        values = np.clip(values, *vrange)
    if np.issubdtype(dtype, np.integer):
        values = np.rint(values)
    return values.astype(dtype)


def fill_values(fill: Fill, channels: int, what: str) -> np.ndarray:
    """A scalar or one value per channel -> (channels,) float64."""
    vals = np.atleast_1d(np.asarray(fill, dtype=np.float64))
    if vals.size == 1:
        return np.repeat(vals, channels)
    if vals.size != channels:
        raise ValueError(f'{what}: fill {list(vals)} must be one value or {channels} values '
                         f'(one per channel)')
    return vals


def set_modality(results: dict, modality: str, fill: Fill, who: str) -> None:
    """Overwrite one modality of ``results['img']`` with ``fill`` (in place, on a copy)."""
    layout = get_layout(results, who)
    sl = modality_slice(layout, modality)
    img = results['img'].copy()
    channels = img[..., sl].shape[2]
    vals = fill_values(fill, channels, f'{who} ({modality})')
    vrange = value_range(img, layout, modality)
    if vrange is not None and (vals.min() < vrange[0] or vals.max() > vrange[1]):
        raise ValueError(f'{who}: fill {list(vals)} is outside the {modality} value range '
                         f'{vrange} of {results.get("img_path")}')
    img[..., sl] = vals.astype(img.dtype)
    results['img'] = img


def sample_rng(seed: int, results: dict) -> np.random.Generator:
    """A generator that depends only on ``seed`` and the sample's file name."""
    key = str(results.get('img_path', results.get('sample_idx', '')))
    return np.random.default_rng([seed, zlib.crc32(key.encode())])


@TRANSFORMS.register_module()
class RandomModalityDropout(BaseTransform):
    """Drop the RGB part or the X part of a training sample at random.

    With probability ``p_rgb`` the RGB channels are set to ``fill``, with probability
    ``p_x`` the X channels are; the two events are exclusive (one uniform draw), so a
    sample never loses both modalities and the marginal rates are exactly ``p_rgb``
    and ``p_x``. Labels are untouched. Put it after the geometric transforms and
    before packing.

    Added keys: ``dropped_modality`` ('rgb', 'x' or None).

    Args:
        p_rgb: probability of dropping RGB.
        p_x: probability of dropping X. ``p_rgb + p_x <= 1``.
        fill: value of a dropped modality in raw data units (see module docstring):
            a number, or ``dict(rgb=..., x=...)`` with a number or one value per
            channel (stored order: BGR for RGB) for each.
    """

    def __init__(self, p_rgb: float = 0.1, p_x: float = 0.1,
                 fill: Union[Fill, Dict[str, Fill]] = 0) -> None:
        for name, p in (('p_rgb', p_rgb), ('p_x', p_x)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f'{name} must be in [0, 1], got {p}')
        if p_rgb + p_x > 1.0 + 1e-9:
            raise ValueError(f'p_rgb + p_x must be <= 1 (the modalities are never both '
                             f'dropped), got {p_rgb} + {p_x}')
        if isinstance(fill, dict):
            unknown = set(fill) - set(MODALITIES)
            if unknown:
                raise ValueError(f'fill keys must be among {MODALITIES}, got {sorted(unknown)}')
            self.fill = {m: fill.get(m, 0) for m in MODALITIES}
        else:
            self.fill = {m: fill for m in MODALITIES}
        self.p_rgb = p_rgb
        self.p_x = p_x

    def transform(self, results: dict) -> dict:
        u = np.random.rand()
        if u < self.p_rgb:
            dropped = 'rgb'
        elif u < self.p_rgb + self.p_x:
            dropped = 'x'
        else:
            dropped = None
        if dropped is not None:
            set_modality(results, dropped, self.fill[dropped], type(self).__name__)
        results['dropped_modality'] = dropped
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(p_rgb={self.p_rgb}, p_x={self.p_x}, '
                f'fill={self.fill})')


@TRANSFORMS.register_module()
class ModalityCorruption(BaseTransform):
    """Degrade one modality of every sample, for robustness evaluation.

    Modes (``severity`` in brackets, with its default):

    - ``'missing'``: the modality is absent: set to ``fill`` (0 by default, so the
      same as ``'zero'``; see the module docstring for the normalised value).
    - ``'zero'``: set to 0.
    - ``'noise'``: additive gaussian noise, std = ``severity`` in data units (25.0,
      i.e. about 10 % of the 8-bit range), then clipped to the stored value range.
    - ``'blur'``: gaussian blur, sigma = ``severity`` pixels (2.0), kernel
      ``2 * ceil(3 sigma) + 1``, reflected borders.

    The noise is drawn from a generator seeded with ``seed`` and the image path:
    the same image gets the same noise in every run. The dtype is kept (integer
    data is rounded and clipped).

    Args:
        modality: 'rgb', 'x' (every channel after RGB) or a modality name of a
            multimodal layout ('thermal', 'depth', ...).
        mode: 'missing', 'zero', 'noise' or 'blur'.
        severity: noise std (data units) or blur sigma (pixels); not used by
            'missing' / 'zero'.
        fill: value of a missing modality (number or one per channel).
        seed: seed of the noise.
    """

    MODES = ('missing', 'zero', 'noise', 'blur')
    DEFAULT_SEVERITY = dict(noise=25.0, blur=2.0)

    def __init__(self, modality: str = 'x', mode: str = 'missing',
                 severity: Optional[float] = None, fill: Fill = 0, seed: int = 0) -> None:
        check_modality_name(modality, type(self).__name__)
        if mode not in self.MODES:
            raise ValueError(f'mode must be one of {self.MODES}, got {mode!r}')
        if mode in self.DEFAULT_SEVERITY:
            severity = self.DEFAULT_SEVERITY[mode] if severity is None else float(severity)
            if severity < 0:
                raise ValueError(f'severity must be >= 0, got {severity}')
        elif severity is not None:
            raise ValueError(f'mode {mode!r} takes no severity (got {severity})')
        self.modality = modality
        self.mode = mode
        self.severity = severity
        self.fill = fill
        self.seed = seed

    def transform(self, results: dict) -> dict:
        who = type(self).__name__
        if self.mode in ('missing', 'zero'):
            set_modality(results, self.modality, self.fill if self.mode == 'missing' else 0,
                         who)
            return results
        layout = get_layout(results, who)
        sl = modality_slice(layout, self.modality)
        img = results['img']
        part = img[..., sl].astype(np.float32)
        if self.mode == 'noise':
            rng = sample_rng(self.seed, results)
            part = part + rng.normal(0.0, self.severity, part.shape).astype(np.float32)
        elif self.severity > 0:  # blur
            ksize = 2 * math.ceil(3 * self.severity) + 1
            part = gaussian_blur(part, ksize, self.severity)
        out = img.copy()
        out[..., sl] = to_dtype(part, img.dtype, value_range(img, layout, self.modality))
        results['img'] = out
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(modality={self.modality!r}, mode={self.mode!r}, '
                f'severity={self.severity})')


def gaussian_blur(part: np.ndarray, ksize: int, sigma: float) -> np.ndarray:
    """(H, W, C) float32 -> (H, W, C); cv2 handles at most 4 channels per call."""
    chunks = []
    for c0 in range(0, part.shape[2], 4):
        chunk = cv2.GaussianBlur(np.ascontiguousarray(part[..., c0:c0 + 4]), (ksize, ksize),
                                 sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101)
        chunks.append(chunk[..., None] if chunk.ndim == 2 else chunk)
    return np.concatenate(chunks, axis=2)


@TRANSFORMS.register_module()
class RandomXMisalignment(BaseTransform):
    """Warp the X channels by a small random affine transform; RGB and labels stay.

    Simulates imperfect RGB-X registration, to train for it (``prob`` < 1) or to
    measure its effect (``prob=1`` with a ``seed``). The warp is a rotation by
    ``angle`` and scaling by ``scale`` about the image centre, followed by a shift
    of ``(dx, dy)`` pixels, each drawn uniformly from ``[-max_shift, max_shift]``,
    ``[-max_rotate, max_rotate]`` degrees and ``[1 - max_scale, 1 + max_scale]``.
    Pixels are those of the image at this point of the pipeline (after any resize
    before it). The image size is kept; X pixels shifted in from outside the image
    are ``border_value`` (or the replicated edge with ``border_mode='replicate'``).

    Added keys: ``x_misalignment``: dict(dx, dy, angle, scale) when applied.

    Args:
        max_shift: (dx, dy) maximal shift in pixels (a number for both).
        max_rotate: maximal rotation in degrees.
        max_scale: maximal relative scale change (0.05 = +-5 %).
        prob: probability of warping a sample.
        interpolation: 'bilinear' (thermal) or 'nearest' (keeps depth values).
        border_mode: 'constant' or 'replicate'.
        border_value: X value outside the warped image (raw units).
        seed: None draws from numpy's global generator (training); an int draws
            from a generator seeded by it and the image path (reproducible
            evaluation).
    """

    INTERPOLATIONS = dict(bilinear=cv2.INTER_LINEAR, nearest=cv2.INTER_NEAREST)
    BORDERS = dict(constant=cv2.BORDER_CONSTANT, replicate=cv2.BORDER_REPLICATE)

    def __init__(self, max_shift: Union[float, Tuple[float, float]] = (8, 8),
                 max_rotate: float = 0.0, max_scale: float = 0.0, prob: float = 0.5,
                 interpolation: str = 'bilinear', border_mode: str = 'constant',
                 border_value: float = 0, seed: Optional[int] = None) -> None:
        if isinstance(max_shift, (int, float)):
            max_shift = (max_shift, max_shift)
        if len(max_shift) != 2 or min(max_shift) < 0:
            raise ValueError(f'max_shift must be (dx, dy) >= 0 pixels, got {max_shift}')
        if max_rotate < 0 or not 0 <= max_scale < 1:
            raise ValueError(f'need max_rotate >= 0 and 0 <= max_scale < 1, got '
                             f'{max_rotate}, {max_scale}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if interpolation not in self.INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of {list(self.INTERPOLATIONS)}')
        if border_mode not in self.BORDERS:
            raise ValueError(f'border_mode must be one of {list(self.BORDERS)}')
        self.max_shift = tuple(float(s) for s in max_shift)
        self.max_rotate = float(max_rotate)
        self.max_scale = float(max_scale)
        self.prob = prob
        self.interpolation = interpolation
        self.border_mode = border_mode
        self.border_value = border_value
        self.seed = seed

    def _draw(self, rng) -> Optional[dict]:
        if rng.uniform() >= self.prob:
            return None
        dx = rng.uniform(-self.max_shift[0], self.max_shift[0])
        dy = rng.uniform(-self.max_shift[1], self.max_shift[1])
        angle = rng.uniform(-self.max_rotate, self.max_rotate)
        scale = rng.uniform(1 - self.max_scale, 1 + self.max_scale)
        return dict(dx=float(dx), dy=float(dy), angle=float(angle), scale=float(scale))

    @staticmethod
    def matrix(params: dict, h: int, w: int) -> np.ndarray:
        """2x3 affine matrix (X pixel -> warped X pixel) of drawn parameters."""
        mat = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), params['angle'],
                                      params['scale'])
        mat[0, 2] += params['dx']
        mat[1, 2] += params['dy']
        return mat

    def transform(self, results: dict) -> dict:
        who = type(self).__name__
        layout = get_layout(results, who)
        rng = np.random if self.seed is None else sample_rng(self.seed, results)
        params = self._draw(rng)
        if params is None:
            return results
        img = results['img']
        h, w = img.shape[:2]
        sl = x_slice(layout)
        part = np.ascontiguousarray(img[..., sl])
        mat = self.matrix(params, h, w)
        chunks = []
        for c0 in range(0, part.shape[2], 4):  # cv2 warps at most 4 channels
            chunk = cv2.warpAffine(
                np.ascontiguousarray(part[..., c0:c0 + 4]), mat, (w, h),
                flags=self.INTERPOLATIONS[self.interpolation],
                borderMode=self.BORDERS[self.border_mode],
                borderValue=(self.border_value,) * 4)
            chunks.append(chunk[..., None] if chunk.ndim == 2 else chunk)
        out = img.copy()
        out[..., sl] = np.concatenate(chunks, axis=2)
        results['img'] = out
        results['x_misalignment'] = params
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(max_shift={self.max_shift}, '
                f'max_rotate={self.max_rotate}, max_scale={self.max_scale}, '
                f'prob={self.prob}, seed={self.seed})')
