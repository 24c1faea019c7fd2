# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Loading of an RGB image and any number of pixel-aligned modalities.

``[RGB | thermal | depth | ...]`` in one stacked array, the N-modality form of
:class:`LoadRGBXImageFromFile`: each extra modality is read and checked exactly as
that loader reads its X image (8 / 16 bit, 1 or 3 channels, same size as RGB), and
the layout records every part by name (:func:`make_multimodal_layout`), so
``ModalityOnly``, ``ModalityCorruption`` and the visualiser find each one.
"""
from typing import Dict, Optional, Sequence

import mmcv
import numpy as np

from mmrgbir.registry import TRANSFORMS
from mmrgbir.structures import X_KINDS, make_multimodal_layout
from .loading import LoadRGBXImageFromFile


@TRANSFORMS.register_module()
class LoadMultiModalImageFromFile(LoadRGBXImageFromFile):
    """Load RGB plus the modalities named in ``modalities`` and stack them.

    Required keys: ``img_path`` and ``modality_paths`` (``{name: path}``, as
    :class:`MultiModalSegDataset` sets it).

    Added keys: ``img`` (H, W, 3 + sum of the modalities' channels), ``img_shape``,
    ``ori_shape``, ``modality_layout`` (with a ``modalities`` entry per part).

    A 16-bit modality makes the stacked image float32 (exact for every 16-bit value);
    8-bit modalities keep their values.

    Args:
        modalities: the modalities after RGB, in stacking order, e.g.
            ``('thermal', 'depth')``.
        kinds: ``{name: 'thermal' | 'depth' | 'x'}``; default: the name if it is a
            known kind, else ``'x'``.
        channels: ``{name: 1 | 3}`` channel count fed to the model (``None``: as
            stored); the same rule as ``x_channels`` of the two-modality loader.
        **kwargs: the other arguments of :class:`LoadRGBXImageFromFile`
            (``to_float32``, ``resize_x_to_rgb``, ``check_label``, ...).
    """

    def __init__(self, modalities: Sequence[str],
                 kinds: Optional[Dict[str, str]] = None,
                 channels: Optional[Dict[str, Optional[int]]] = None, **kwargs) -> None:
        if 'x_channels' in kwargs or 'x_kind' in kwargs:
            raise ValueError('LoadMultiModalImageFromFile: use channels={name: n} and '
                             'kinds={name: kind} instead of x_channels / x_kind')
        super().__init__(**kwargs)
        self.modalities = tuple(modalities)
        if not self.modalities:
            raise ValueError('LoadMultiModalImageFromFile: give at least one modality')
        kinds = dict(kinds or {})
        channels = dict(channels or {})
        for key, mapping in (('kinds', kinds), ('channels', channels)):
            unknown = sorted(set(mapping) - set(self.modalities))
            if unknown:
                raise KeyError(f'LoadMultiModalImageFromFile: {key} names {unknown}, which '
                               f'are not in modalities={list(self.modalities)}')
        self.kinds = {m: kinds.get(m, m if m in X_KINDS else 'x') for m in self.modalities}
        self.channels = {m: channels.get(m) for m in self.modalities}
        # validates names and kinds once, at construction
        make_multimodal_layout([(m, 1, self.kinds[m], 'uint8') for m in self.modalities])
        for m, c in self.channels.items():
            if c not in (None, 1, 3):
                raise ValueError(f'LoadMultiModalImageFromFile: channels[{m!r}] must be '
                                 f'None, 1 or 3, got {c!r}')

    def _load_modality(self, name: str, path: str) -> np.ndarray:
        """Read one modality through the X path of the two-modality loader, with
        that modality's channel rule; (H, W, C)."""
        self.x_channels = self.channels[name]
        try:
            return self._load_x(path)
        finally:
            self.x_channels = None

    def transform(self, results: dict) -> dict:
        paths = results.get('modality_paths')
        if results.get('img_path') is None or not isinstance(paths, dict):
            raise KeyError(f'LoadMultiModalImageFromFile needs results["img_path"] and '
                           f'results["modality_paths"] ({{name: path}}), got keys '
                           f'{sorted(results)}; use MultiModalSegDataset')
        missing = [m for m in self.modalities if m not in paths]
        if missing:
            raise KeyError(f'LoadMultiModalImageFromFile: {results["img_path"]} has no '
                           f'path for {missing} (modality_paths: {sorted(paths)})')
        img_path = results['img_path']
        rgb = self.load_rgb(img_path)
        parts, arrays = [], []
        for m in self.modalities:
            arr = self._load_modality(m, paths[m])
            if arr.shape[:2] != rgb.shape[:2]:
                if not self.resize_x_to_rgb:
                    raise ValueError(
                        f'{m} image {paths[m]} is {arr.shape[1]}x{arr.shape[0]} (WxH) but '
                        f'RGB image {img_path} is {rgb.shape[1]}x{rgb.shape[0]}; the '
                        f'modalities must be pixel-aligned. Set resize_x_to_rgb=True to '
                        f'resize them explicitly.')
                arr = mmcv.imresize(arr, (rgb.shape[1], rgb.shape[0]),
                                    interpolation=self.x_interpolation)
                arr = arr[..., None] if arr.ndim == 2 else arr
            parts.append((m, arr.shape[2], self.kinds[m], str(arr.dtype)))
            arrays.append(arr)
        if len({a.dtype for a in arrays}) > 1:
            arrays = [a.astype(np.float32) for a in arrays]  # exact for 8 / 16 bit
        # the two-modality path: label-map check, dtype promotion, img_shape / ori_shape
        out = self._stack_checked(results, rgb, np.concatenate(arrays, axis=2))
        out['modality_layout'] = make_multimodal_layout(parts, rgb_channels=rgb.shape[2])
        return out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(modalities={list(self.modalities)}, '
                f'kinds={self.kinds}, channels={self.channels}, '
                f'to_float32={self.to_float32}, resize_x_to_rgb={self.resize_x_to_rgb})')
