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


#: PIL modes of single-channel label maps that mmseg's ``LoadAnnotations`` reads
#: exactly (8-bit gray, palette indices, 1-bit).
LABEL_MODES_8BIT = ('L', 'P', '1')
#: PIL modes of single-channel label maps wider than 8 bits.
LABEL_MODES_WIDE = ('I;16', 'I;16B', 'I;16L', 'I;16N', 'I')


def check_label_map(path: str, hw, check_ids: bool = True) -> None:
    """Check a local label map before mmseg's ``LoadAnnotations`` reads it.

    Checks that it is a readable image of size ``hw`` (header only) and that stock
    loading keeps every label: a colour (RGB / RGBA / LA) label map would become a
    3-D ground truth, and ``LoadAnnotations`` casts to uint8, so a 16-bit map with
    values above 255 would wrap modulo 256 (its values are read only in that case).
    ``check_ids=False`` checks the size only (salient-object masks, which
    ``LoadSODAnnotations`` reads itself: gray stored as 3 channels, 16-bit).
    """
    try:
        with Image.open(path) as im:
            size, mode = im.size, im.mode  # (W, H), read from the header
            wide = mode in LABEL_MODES_WIDE or mode == 'F'
            top = int(np.asarray(im).max()) if wide and check_ids else None
    except FileNotFoundError:
        raise FileNotFoundError(f'label map not found: {path}') from None
    except Exception as exc:  # noqa: BLE001 - PIL raises several types
        raise OSError(f'cannot read label map {path}: {exc}') from exc
    if (size[1], size[0]) != tuple(hw):
        raise ValueError(f'label map {path} is {size[0]}x{size[1]} (WxH) but its RGB image '
                         f'is {hw[1]}x{hw[0]}; labels must be pixel-aligned with the images')
    if not check_ids:
        return
    if mode not in LABEL_MODES_8BIT and not wide:
        raise ValueError(
            f'label map {path} is a {mode} image (several channels); a label map must be '
            f'a single-channel image of class ids (gray "L" or palette "P" PNG). Convert '
            f'colour-coded labels to ids first (colour -> id through the palette).')
    if mode == 'F':
        raise ValueError(f'label map {path} holds floating-point values; a label map must '
                         f'hold integer class ids (8-bit gray or palette PNG)')
    if top is not None and top > 255:
        raise ValueError(
            f'label map {path} is a 16-bit image with values up to {top}; mmseg\'s '
            f'LoadAnnotations reads labels as uint8, so these ids would wrap modulo 256. '
            f'Re-map the ids to 0..255 (255 = ignore) and save an 8-bit PNG.')


#: Kept for callers of the earlier name.
check_label_size = check_label_map


def check_finite(x: np.ndarray, what: str) -> None:
    """Raise when a floating-point X holds NaN or +-inf (they would reach the model)."""
    if x.dtype.kind == 'f':
        bad = ~np.isfinite(x)
        if bad.any():
            raise ValueError(
                f'{what} holds {int(bad.sum())} NaN / inf value(s) (of {x.size}); they would '
                f'reach the model and turn the loss into NaN. Replace invalid pixels with a '
                f'finite value (e.g. 0 for invalid depth) when converting the data.')


def ignore_orientation_flag(flag: str) -> str:
    """The mmcv decode flag that decodes like ``flag`` but ignores EXIF orientation.

    X and label maps are decoded as stored ('unchanged' ignores the orientation
    tag in cv2 and pillow), so RGB must be too, or a camera's rotate tag would
    rotate RGB alone and misalign it with X and the labels.
    """
    return {'color': 'color_ignore_orientation',
            'grayscale': 'grayscale_ignore_orientation'}.get(flag, flag)


@TRANSFORMS.register_module()
class LoadRGBXImageFromFile(BaseTransform):
    """Load the RGB image and the X image and stack them as one ``[RGB | X]`` array.

    RGB is decoded like mmcv's ``LoadImageFromFile`` (3 channels, BGR order). X is
    decoded unchanged: 8- or 16-bit (or float32, which must be finite), 1 or 3
    channels. **Channel order of a 3-channel X**: the file's R, G, B order (X
    channel 0 is the file's red channel; OpenCV's BGR is reversed); ``x_mean`` /
    ``x_std`` of the data preprocessors are listed in that order (the preprocessors
    never reorder X). A 16-bit X makes the stacked image float32, which holds every
    16-bit value exactly, so depth in millimetres or raw thermal counts reach the
    data preprocessor unquantised (its ``x_mean`` / ``x_std`` are in those units).

    **Orientation**: both files are decoded as stored; an EXIF orientation tag is
    ignored for RGB as it is for X and for label maps (mmseg's ``LoadAnnotations``
    reads them 'unchanged'), so that a camera's rotate tag on one file cannot
    misalign the modalities and the labels.

    Required keys: ``img_path``, ``x_path`` (optional ``x_kind`` from the dataset).

    Added keys: ``img`` (H, W, 3 + Cx), ``img_shape``, ``ori_shape``,
    ``modality_layout`` (see :mod:`mmrgbir.structures.modality_layout`).

    Args:
        to_float32: always return float32 (8-bit data is converted too).
        color_type: mmcv flag for the RGB image ('color' and 'grayscale' decode
            without EXIF orientation, as X is decoded).
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
            label map can be read, has the RGB image's size and is a single-channel
            map that stock ``LoadAnnotations`` reads without loss (no colour map, no
            16-bit ids above 255): see :func:`check_label_map`. Stock loading would
            otherwise fail without naming the file, or silently stretch, flatten or
            wrap the labels.
        x_dtype: the dtype the X files must have ('uint8', 'uint16' or 'float32'),
            e.g. when the preprocessor's ``x_mean`` / ``x_std`` are in 8-bit units;
            ``None`` accepts any. A file of another bit depth is an error naming it.
        backend_args: mmengine file backend arguments.
    """

    def __init__(self, to_float32: bool = False, color_type: str = 'color',
                 imdecode_backend: str = 'cv2', x_channels: Optional[int] = None,
                 x_kind: Optional[str] = None, resize_x_to_rgb: bool = False,
                 x_interpolation: str = 'nearest', check_label: bool = True,
                 x_dtype: Optional[str] = None,
                 backend_args: Optional[dict] = None) -> None:
        check_x_options(x_channels, x_kind)
        if x_dtype not in (None, 'uint8', 'uint16', 'float32'):
            raise ValueError(f"x_dtype must be None, 'uint8', 'uint16' or 'float32', "
                             f'got {x_dtype!r}')
        self.x_dtype = x_dtype
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
        if self.x_dtype is not None and str(x.dtype) != self.x_dtype:
            raise ValueError(
                f'X image {x_path} is {x.dtype} but the pipeline expects {self.x_dtype} '
                f'X files (LoadRGBXImageFromFile(x_dtype=...)): the data preprocessor\'s '
                f'x_mean / x_std are in {self.x_dtype} units. Use the config made for '
                f'{x.dtype} data or convert the files.')
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
        check_finite(x, what)
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
        rgb = self.load_rgb(img_path)  # RGB first: its errors come first
        return self._stack_checked(results, rgb, self._load_x(x_path))

    def load_rgb(self, img_path: str) -> np.ndarray:
        """Decode the RGB file (BGR order, EXIF orientation ignored): (H, W, C)."""
        rgb = decode_image(read_bytes(img_path, 'RGB image', self.backend_args), img_path,
                           'RGB image', flag=ignore_orientation_flag(self.color_type),
                           backend=self.imdecode_backend)
        return rgb[..., None] if rgb.ndim == 2 else rgb

    def transform_with_x(self, results: dict, x: np.ndarray) -> dict:
        """Load ``results['img_path']``, check the label map and stack the given X
        ((H, W, Cx), already through :meth:`prepare_x`); ``results['x_path']``
        names X in errors."""
        return self._stack_checked(results, self.load_rgb(results['img_path']), x)

    def _stack_checked(self, results: dict, rgb: np.ndarray, x: np.ndarray) -> dict:
        if self.check_label and results.get('seg_map_path') and self.backend_args is None:
            check_label_map(results['seg_map_path'], rgb.shape[:2],
                            check_ids=not results.get('sod_mask', False))
        return self.stack(rgb, x, results, f'RGB image {results["img_path"]}',
                          f'X image {results.get("x_path")}')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_float32={self.to_float32}, '
                f'color_type={self.color_type!r}, x_channels={self.x_channels}, '
                f'x_kind={self.x_kind!r}, resize_x_to_rgb={self.resize_x_to_rgb})')
