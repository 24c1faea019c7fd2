# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Loading of RGB + X stored together in one 4-channel file (MFNet's original format)."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmrgbir.registry import TRANSFORMS
from mmrgbir.structures import make_layout
from .loading import check_label_map, check_x_options, decode_image, read_bytes


@TRANSFORMS.register_module()
class LoadStackedRGBXImageFromFile(BaseTransform):
    """Load one 4-channel image whose channels 0-2 are RGB and channel 3 is X.

    MFNet (Ha et al., IROS 2017) ships every RGB-thermal pair as one RGBA PNG:
    R, G, B in channels 0-2 and the 8-bit thermal image in the alpha channel.
    The output contract is that of :class:`LoadRGBXImageFromFile`: ``img`` is
    (H, W, 3 + Cx) with RGB in BGR order (as mmcv loads colour images) followed by
    X, and ``modality_layout`` describes it, so every transform, packer and
    preprocessor of the two-file path works unchanged.

    A 16-bit file holds 16-bit RGB, which the 8-bit RGB statistics of the data
    preprocessors (and 8-bit photometric transforms) do not fit: it is an error
    unless ``scale_16bit_rgb=True``, which maps RGB to 8 bits explicitly
    (``round(v / 257)``, exact for 8-bit values stored as ``v * 257``) and keeps X
    in 16 bits (the stacked image is then float32, like a 16-bit X of
    :class:`LoadRGBXImageFromFile`). The file is decoded as stored (no EXIF
    orientation).

    Required keys: ``img_path`` (``x_path``, when present, must be the same file;
    optional ``x_kind`` from the dataset).

    Added keys: ``img`` (H, W, 3 + Cx), ``img_shape``, ``ori_shape``,
    ``modality_layout``.

    Args:
        to_float32: return float32 (8-bit data is converted too).
        x_channels: ``None`` or ``1`` keeps the single X channel; ``3`` repeats it.
        x_kind: 'thermal', 'depth' or 'x'; overrides the dataset's ``x_kind``
            (default 'thermal').
        scale_16bit_rgb: accept 16-bit files, scaling RGB to 8 bits (see above).
        check_label: check a local ``seg_map_path`` as
            :class:`LoadRGBXImageFromFile` does (size, single channel, 8-bit ids).
        backend_args: mmengine file backend arguments.
    """

    def __init__(self, to_float32: bool = False, x_channels: Optional[int] = None,
                 x_kind: Optional[str] = None, scale_16bit_rgb: bool = False,
                 check_label: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        check_x_options(x_channels, x_kind)
        self.to_float32 = to_float32
        self.x_channels = x_channels
        self.x_kind = x_kind
        self.scale_16bit_rgb = scale_16bit_rgb
        self.check_label = check_label
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results: dict) -> dict:
        path = results.get('img_path')
        if path is None:
            raise KeyError(f'{type(self).__name__} needs results["img_path"], got keys '
                           f'{sorted(results)}')
        x_path = results.get('x_path')
        if x_path is not None and x_path != path:
            raise ValueError(
                f'{type(self).__name__} reads RGB and X from one file, but x_path '
                f'{x_path} differs from img_path {path}; use LoadRGBXImageFromFile for '
                f'separate files')
        # cv2 'unchanged' keeps the 4th channel (and 16-bit data); colour is BGR(A).
        data = decode_image(read_bytes(path, 'stacked RGB-X image', self.backend_args),
                            path, 'stacked RGB-X image', flag='unchanged', backend='cv2')
        if data.ndim != 3 or data.shape[2] != 4:
            found = 1 if data.ndim == 2 else data.shape[2]
            raise ValueError(
                f'stacked RGB-X image {path} has {found} channel(s); expected 4 '
                f'(RGB in channels 0-2, X in channel 3, as MFNet stores it). For separate '
                f'RGB and X files use LoadRGBXImageFromFile.')
        rgb = data[..., :3]  # already BGR, like LoadImageFromFile
        x = data[..., 3:4]
        if data.dtype == np.uint16:
            if not self.scale_16bit_rgb:
                raise ValueError(
                    f'stacked RGB-X image {path} is 16-bit: its RGB channels would be '
                    f'normalised with 8-bit statistics. Set scale_16bit_rgb=True to map RGB '
                    f'to 8 bits (v / 257) and keep X in 16 bits, or convert the file.')
            rgb = np.round(rgb.astype(np.float32) / 257.0).astype(np.uint8)
        elif data.dtype != np.uint8:
            raise TypeError(f'stacked RGB-X image {path} has dtype {data.dtype}; expected '
                            f'uint8 (or uint16 with scale_16bit_rgb=True)')
        if self.x_channels == 3:
            x = np.repeat(x, 3, axis=2)
        if self.to_float32 or rgb.dtype != x.dtype:
            img = np.concatenate([rgb.astype(np.float32), x.astype(np.float32)], axis=2)
        else:
            img = np.ascontiguousarray(np.concatenate([rgb, x], axis=2))
        if self.check_label and results.get('seg_map_path') and self.backend_args is None:
            check_label_map(results['seg_map_path'], img.shape[:2],
                            check_ids=not results.get('sod_mask', False))
        x_kind = self.x_kind or results.get('x_kind', 'thermal')
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['modality_layout'] = make_layout(x.shape[2], x_kind, str(data.dtype),
                                                 rgb_channels=3)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_float32={self.to_float32}, '
                f'x_channels={self.x_channels}, x_kind={self.x_kind!r}, '
                f'scale_16bit_rgb={self.scale_16bit_rgb})')
