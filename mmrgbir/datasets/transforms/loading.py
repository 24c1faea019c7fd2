# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Loading of an RGB image and its pixel-aligned X image (thermal or depth)."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from PIL import Image

from mmrgbir.registry import TRANSFORMS
from mmrgbir.structures import X_KINDS, make_layout


def read_bytes(path: str, what: str, backend_args: Optional[dict] = None) -> bytes:
    """Read a file, turning every backend failure into an error that names it."""
    try:
        return fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} not found: {path}') from None
    except Exception as exc:  # noqa: BLE001 - any backend error
        raise OSError(f'cannot read {what} {path}: {exc}') from exc


def decode_image(data: bytes, path: str, what: str, flag: str,
                 backend: str = 'cv2', channel_order: str = 'bgr') -> np.ndarray:
    """Decode image bytes; a corrupt or non-image file raises an error naming it."""
    try:
        img = mmcv.imfrombytes(data, flag=flag, backend=backend, channel_order=channel_order)
    except Exception as exc:  # noqa: BLE001 - cv2 / pillow raise various types
        raise OSError(f'cannot decode {what} {path}: {exc}') from exc
    if img is None or img.size == 0:
        raise OSError(f'cannot decode {what} {path}: not a readable image '
                      f'(empty, truncated or corrupt file of {len(data)} bytes)')
    return img


def check_x_options(x_channels: Optional[int], x_kind: Optional[str]) -> None:
    """Validate the ``x_channels`` / ``x_kind`` arguments shared by the RGB-X loaders."""
    if x_channels not in (None, 1, 3):
        raise ValueError(f'x_channels must be None, 1 or 3, got {x_channels!r}')
    if x_kind is not None and x_kind not in X_KINDS:
        raise ValueError(f'x_kind must be one of {X_KINDS}, got {x_kind!r}')


def check_label_size(path: str, hw) -> None:
    """Check that a local label map is a readable image of size ``hw`` (header only)."""
    try:
        with Image.open(path) as im:
            size = im.size  # (W, H), read from the header
    except FileNotFoundError:
        raise FileNotFoundError(f'label map not found: {path}') from None
    except Exception as exc:  # noqa: BLE001 - PIL raises several types
        raise OSError(f'cannot read label map {path}: {exc}') from exc
    if (size[1], size[0]) != tuple(hw):
        raise ValueError(f'label map {path} is {size[0]}x{size[1]} (WxH) but its RGB image '
                         f'is {hw[1]}x{hw[0]}; labels must be pixel-aligned with the images')


@TRANSFORMS.register_module()
class LoadRGBXImageFromFile(BaseTransform):
    """Load the RGB image and the X image and stack them as one ``[RGB | X]`` array.

    RGB is decoded like mmcv's ``LoadImageFromFile`` (3 channels, BGR order). X is
    decoded unchanged: 8- or 16-bit, 1 or 3 channels (a 3-channel X is put in RGB
    order). A 16-bit X makes the stacked image float32, which holds every 16-bit
    value exactly, so depth in millimetres or raw thermal counts reach the data
    preprocessor unquantised (its ``x_mean`` / ``x_std`` are in those units).

    Required keys: ``img_path``, ``x_path`` (optional ``x_kind`` from the dataset).

    Added keys: ``img`` (H, W, 3 + Cx), ``img_shape``, ``ori_shape``,
    ``modality_layout`` (see :mod:`mmrgbir.structures.modality_layout`).

    Args:
        to_float32: always return float32 (8-bit data is converted too).
        color_type: mmcv flag for the RGB image.
        imdecode_backend: decoding backend for both images.
        x_channels: channel count of X fed to the model. ``None`` keeps what is
            stored; ``3`` repeats a 1-channel X; ``1`` keeps one channel of a
            3-channel X whose channels are identical (an error otherwise, since
            that would drop information).
        x_kind: 'thermal', 'depth' or 'x'; overrides the dataset's ``x_kind``.
        resize_x_to_rgb: resize an X image whose size differs from the RGB image to
            the RGB size. Off by default: a size mismatch is an error.
        x_interpolation: interpolation used by ``resize_x_to_rgb`` ('nearest' keeps
            depth values exact; use 'bilinear' for thermal).
        check_label: when the sample has a local ``seg_map_path``, check that the
            label map can be read and has the RGB image's size (stock
            ``LoadAnnotations`` would otherwise fail without naming the file, or a
            following ``Resize`` would silently stretch a wrong-sized map).
        backend_args: mmengine file backend arguments.
    """

    def __init__(self, to_float32: bool = False, color_type: str = 'color',
                 imdecode_backend: str = 'cv2', x_channels: Optional[int] = None,
                 x_kind: Optional[str] = None, resize_x_to_rgb: bool = False,
                 x_interpolation: str = 'nearest', check_label: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        check_x_options(x_channels, x_kind)
        self.to_float32 = to_float32
        self.color_type = color_type
        self.imdecode_backend = imdecode_backend
        self.x_channels = x_channels
        self.x_kind = x_kind
        self.resize_x_to_rgb = resize_x_to_rgb
        self.x_interpolation = x_interpolation
        self.check_label = check_label
        self.backend_args = backend_args.copy() if backend_args else None

    def _load_x(self, x_path: str) -> np.ndarray:
        data = read_bytes(x_path, 'X image', self.backend_args)
        # cv2 'unchanged' keeps 16-bit values and the stored channel count.
        x = decode_image(data, x_path, 'X image', flag='unchanged', backend='cv2')
        if x.ndim == 3 and x.shape[2] == 4:
            raise ValueError(
                f'X image {x_path} has 4 channels; expected 1 (thermal / depth) or 3. '
                f'For MFNet-style RGBA files use the MFNet dataset / converter.')
        if x.ndim == 3 and x.shape[2] == 3:
            x = x[..., ::-1]  # cv2 decodes BGR; keep a 3-channel X in RGB order
        return self.prepare_x(x, f'X image {x_path}')

    def prepare_x(self, x: np.ndarray, what: str) -> np.ndarray:
        """Check an X array ((H, W), (H, W, 1) or (H, W, 3) in RGB order) and apply
        ``x_channels``; returns (H, W, Cx). ``what`` names it in errors."""
        if x.ndim == 3 and x.shape[2] == 1:
            x = x[..., 0]
        if x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[2] != 3):
            raise ValueError(f'{what} has shape {x.shape}; expected (H, W), (H, W, 1) or '
                             f'(H, W, 3)')
        if x.dtype not in (np.uint8, np.uint16, np.float32):
            raise TypeError(f'{what} has dtype {x.dtype}; expected uint8, uint16 or float32')
        if self.x_channels == 3 and x.ndim == 2:
            x = np.repeat(x[..., None], 3, axis=2)
        elif self.x_channels == 1 and x.ndim == 3:
            if not (np.array_equal(x[..., 0], x[..., 1])
                    and np.array_equal(x[..., 0], x[..., 2])):
                raise ValueError(
                    f'{what} has 3 different channels but x_channels=1 was asked: that '
                    f'would drop two channels. Use x_channels=3 or None.')
            x = x[..., 0]
        if x.ndim == 2:
            x = x[..., None]
        return np.ascontiguousarray(x)

    def stack(self, rgb: np.ndarray, x: np.ndarray, results: dict, rgb_name: str = 'RGB',
              x_name: str = 'X') -> dict:
        """Stack RGB (H, W, 3, BGR order) and X (H, W, Cx) into ``results['img']`` and
        record the modality layout; a size mismatch is an error unless
        ``resize_x_to_rgb``."""
        if x.shape[:2] != rgb.shape[:2]:
            if not self.resize_x_to_rgb:
                raise ValueError(
                    f'{x_name} is {x.shape[1]}x{x.shape[0]} (WxH) but {rgb_name} is '
                    f'{rgb.shape[1]}x{rgb.shape[0]}; the modalities must be pixel-aligned. '
                    f'Set resize_x_to_rgb=True to resize X explicitly.')
            x = mmcv.imresize(x, (rgb.shape[1], rgb.shape[0]),
                              interpolation=self.x_interpolation)
            if x.ndim == 2:  # cv2 drops a trailing single channel
                x = x[..., None]
        x_dtype = str(x.dtype)
        if self.to_float32 or rgb.dtype != x.dtype:
            # float32 represents every uint16 value exactly
            img = np.concatenate([rgb.astype(np.float32), x.astype(np.float32)], axis=2)
        else:
            img = np.concatenate([rgb, x], axis=2)
        x_kind = self.x_kind or results.get('x_kind', 'x')
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['modality_layout'] = make_layout(x.shape[2], x_kind, x_dtype,
                                                 rgb_channels=rgb.shape[2])
        return results

    def transform(self, results: dict) -> dict:
        img_path = results.get('img_path')
        x_path = results.get('x_path')
        if img_path is None or x_path is None:
            raise KeyError(
                f'LoadRGBXImageFromFile needs results["img_path"] and results["x_path"], '
                f'got keys {sorted(results)}; RGBX datasets set x_path from '
                f'data_prefix["x_path"] (seg) or data_prefix["x"] (COCO)')
        rgb = decode_image(read_bytes(img_path, 'RGB image', self.backend_args), img_path,
                           'RGB image', flag=self.color_type, backend=self.imdecode_backend)
        if rgb.ndim == 2:
            rgb = rgb[..., None]
        x = self._load_x(x_path)
        if self.check_label and results.get('seg_map_path') and self.backend_args is None:
            check_label_size(results['seg_map_path'], rgb.shape[:2])
        return self.stack(rgb, x, results, f'RGB image {img_path}', f'X image {x_path}')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_float32={self.to_float32}, '
                f'color_type={self.color_type!r}, x_channels={self.x_channels}, '
                f'x_kind={self.x_kind!r}, resize_x_to_rgb={self.resize_x_to_rgb})')
