# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from rgbx_testing import pattern_pair, shared_data, write_image, write_pair
from mmrgbir.datasets.transforms import LoadRGBXImageFromFile


def _load(tmp_path, rgb, x, **kwargs):
    write_pair(str(tmp_path), 'a', rgb, x)
    results = dict(img_path=osp.join(tmp_path, 'rgb', 'a.png'),
                   x_path=osp.join(tmp_path, 'thermal', 'a.png'), x_kind='thermal')
    return LoadRGBXImageFromFile(**kwargs)(results)


def test_stacks_rgb_and_8bit_thermal(tmp_path):
    rgb, x, _ = pattern_pair()
    out = _load(tmp_path, rgb, x)
    assert out['img'].shape == (64, 80, 4) and out['img'].dtype == np.uint8
    np.testing.assert_array_equal(out['img'][..., :3], rgb[..., ::-1])  # BGR like mmcv
    np.testing.assert_array_equal(out['img'][..., 3], x)
    assert out['modality_layout'] == dict(rgb=(0, 3), x=(3, 4), x_kind='thermal',
                                          x_dtype='uint8', channels=4)
    assert out['img_shape'] == out['ori_shape'] == (64, 80)


def test_16bit_values_exact(tmp_path):
    rgb, x, _ = pattern_pair(x_dtype=np.uint16)
    x[0, 0], x[0, 1] = 65535, 1  # extremes
    out = _load(tmp_path, rgb, x)
    assert out['img'].dtype == np.float32
    np.testing.assert_array_equal(out['img'][..., 3].astype(np.uint16), x)
    assert out['img'][0, 0, 3] == 65535.0
    assert out['modality_layout']['x_dtype'] == 'uint16'


def test_repeat_to_three_channels(tmp_path):
    rgb, x, _ = pattern_pair()
    out = _load(tmp_path, rgb, x, x_channels=3)
    assert out['img'].shape[2] == 6
    for c in range(3, 6):
        np.testing.assert_array_equal(out['img'][..., c], x)
    assert out['modality_layout']['x'] == (3, 6)


def test_three_channel_x_kept_in_rgb_order(tmp_path):
    rgb, x, _ = pattern_pair(x_channels=3)
    # cv2 writes (and reads) arrays as BGR: the file's RGB channels are x
    write_pair(str(tmp_path), 'a', rgb, np.ascontiguousarray(x[..., ::-1]))
    out = LoadRGBXImageFromFile()(dict(img_path=osp.join(tmp_path, 'rgb', 'a.png'),
                                       x_path=osp.join(tmp_path, 'thermal', 'a.png')))
    np.testing.assert_array_equal(out['img'][..., 3:], x)


def test_x_channels_one_refuses_to_drop_information(tmp_path):
    rgb, x, _ = pattern_pair(x_channels=3)
    with pytest.raises(ValueError, match='drop two channels'):
        _load(tmp_path, rgb, x, x_channels=1)


def test_x_channels_one_from_gray_three_channel(tmp_path):
    rgb, x, _ = pattern_pair()
    out = _load(tmp_path, rgb, np.stack([x] * 3, axis=2), x_channels=1)
    assert out['img'].shape[2] == 4
    np.testing.assert_array_equal(out['img'][..., 3], x)


def test_missing_files_name_the_path(tmp_path):
    rgb, x, _ = pattern_pair()
    write_pair(str(tmp_path), 'a', rgb, x)
    t = LoadRGBXImageFromFile()
    missing = osp.join(tmp_path, 'thermal', 'nope.png')
    with pytest.raises(FileNotFoundError, match='X image not found: .*nope.png'):
        t(dict(img_path=osp.join(tmp_path, 'rgb', 'a.png'), x_path=missing))
    with pytest.raises(FileNotFoundError, match='RGB image not found: .*nope.png'):
        t(dict(img_path=osp.join(tmp_path, 'rgb', 'nope.png'), x_path=missing))
    with pytest.raises(KeyError, match='x_path'):
        t(dict(img_path=osp.join(tmp_path, 'rgb', 'a.png')))


def test_corrupt_file_names_the_path(tmp_path):
    rgb, x, _ = pattern_pair()
    write_pair(str(tmp_path), 'a', rgb, x)
    bad = osp.join(tmp_path, 'thermal', 'a.png')
    with open(bad, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n garbage')
    with pytest.raises(OSError, match='cannot decode X image .*a.png'):
        LoadRGBXImageFromFile()(dict(img_path=osp.join(tmp_path, 'rgb', 'a.png'),
                                     x_path=bad))


def test_size_mismatch_is_an_error_unless_resize_asked(tmp_path):
    rgb, _, _ = pattern_pair()
    x = np.zeros((32, 40), np.uint16)
    x[:16] = 1000
    with pytest.raises(ValueError, match=r'40x32 \(WxH\) but RGB image .* is 80x64'):
        _load(tmp_path, rgb, x)
    out = LoadRGBXImageFromFile(resize_x_to_rgb=True)(
        dict(img_path=osp.join(tmp_path, 'rgb', 'a.png'),
             x_path=osp.join(tmp_path, 'thermal', 'a.png')))
    assert out['img'].shape == (64, 80, 4)
    # nearest keeps 16-bit depth values exact
    assert set(np.unique(out['img'][..., 3])) == {0.0, 1000.0}


def test_four_channel_x_rejected(tmp_path):
    rgb, x, _ = pattern_pair()
    with pytest.raises(ValueError, match='4 channels'):
        _load(tmp_path, rgb, np.stack([x] * 4, axis=2))


def test_sunrgbd_16bit_depth_exact():
    root = shared_data('rgbd_sunrgbd')
    name = sorted(f for f in __import__('os').listdir(osp.join(root, 'depth_mm')))[0]
    stem = osp.splitext(name)[0]
    depth = cv2.imread(osp.join(root, 'depth_mm', name), cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.uint16 and depth.max() > 255
    out = LoadRGBXImageFromFile(x_kind='depth')(dict(
        img_path=osp.join(root, 'image', stem + '.jpg'),
        x_path=osp.join(root, 'depth_mm', name)))
    assert out['img'].dtype == np.float32
    np.testing.assert_array_equal(out['img'][..., 3].astype(np.uint16), depth)
    assert out['modality_layout']['x_kind'] == 'depth'


# ------------------------------------------------- channel order, orientation, bad values


def _pil_save(path, arr, **kwargs):
    from PIL import Image
    os.makedirs(osp.dirname(str(path)), exist_ok=True)
    Image.fromarray(arr).save(str(path), **kwargs)


def test_three_channel_x_is_in_the_files_rgb_order(tmp_path):
    """Written by PIL (no OpenCV in the way): X channel 0 is the file's red channel."""
    rgb, _, _ = pattern_pair()
    x = np.empty((64, 80, 3), np.uint8)
    x[..., 0], x[..., 1], x[..., 2] = 200, 100, 30  # R, G, B of the file
    _pil_save(tmp_path / 'rgb' / 'a.png', rgb)
    _pil_save(tmp_path / 'thermal' / 'a.png', x)
    out = LoadRGBXImageFromFile()(dict(img_path=str(tmp_path / 'rgb' / 'a.png'),
                                       x_path=str(tmp_path / 'thermal' / 'a.png')))
    assert out['img'][..., 3:].reshape(-1, 3).tolist()[0] == [200, 100, 30]
    assert (out['img'][..., 3:] == np.array([200, 100, 30], np.uint8)).all()
    # while RGB keeps mmcv's BGR order
    np.testing.assert_array_equal(out['img'][..., :3], rgb[..., ::-1])


def _exif(orientation):
    from PIL import Image
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


@pytest.mark.parametrize('rgb_format, x_format, backend', [
    ('jpg', 'png', 'cv2'), ('png', 'png', 'cv2'), ('jpg', 'jpg', 'cv2'),
    ('jpg', 'png', 'pillow')])
def test_exif_orientation_is_ignored_for_rgb_as_for_x(tmp_path, rgb_format, x_format,
                                                       backend):
    """A rotate tag (6: rotate 90 degrees) on both files: both are read as stored,
    pixel-aligned with each other (and with label maps, which are read as stored)."""
    rgb, x, _ = pattern_pair(64, 80)
    jpeg = dict(quality=100, subsampling=0)
    rgb_path = tmp_path / 'rgb' / f'a.{rgb_format}'
    x_path = tmp_path / 'thermal' / f'a.{x_format}'
    _pil_save(rgb_path, rgb, exif=_exif(6), **(jpeg if rgb_format == 'jpg' else {}))
    _pil_save(x_path, x, exif=_exif(6), **(dict(quality=100) if x_format == 'jpg' else {}))
    from PIL import Image
    for path in (rgb_path, x_path):  # the tag is really in the files
        with Image.open(path) as im:
            assert im.getexif().get(0x0112) == 6
    out = LoadRGBXImageFromFile(imdecode_backend=backend)(
        dict(img_path=str(rgb_path), x_path=str(x_path)))
    assert out['img'].shape == (64, 80, 4)  # stored (unrotated) size for both
    # the pattern (a bright L-shaped marker) sits where it is stored in both
    tol = dict(png=0, jpg=8)
    assert np.abs(out['img'][..., 3].astype(int) - x.astype(int)).max() <= tol[x_format]
    err = np.abs(out['img'][..., :3].astype(int) - rgb[..., ::-1].astype(int))
    assert err.max() <= tol[rgb_format]


def test_nan_or_inf_in_float_x_names_the_file(tmp_path):
    rgb, _, _ = pattern_pair()
    x = np.full((64, 80), 2.5, np.float32)
    x[3, 4], x[5, 6] = np.nan, np.inf
    write_image(tmp_path / 'rgb' / 'a.png', rgb[..., ::-1])
    write_image(tmp_path / 'thermal' / 'a.tiff', x)
    t = LoadRGBXImageFromFile()
    with pytest.raises(ValueError, match=r'thermal/a\.tiff holds 2 NaN / inf value'):
        t(dict(img_path=str(tmp_path / 'rgb' / 'a.png'),
               x_path=str(tmp_path / 'thermal' / 'a.tiff')))
    x[3, 4] = x[5, 6] = 0.0  # finite float X loads exactly
    write_image(tmp_path / 'thermal' / 'a.tiff', x)
    out = t(dict(img_path=str(tmp_path / 'rgb' / 'a.png'),
                 x_path=str(tmp_path / 'thermal' / 'a.tiff')))
    np.testing.assert_array_equal(out['img'][..., 3], x)


def _label_results(tmp_path, label, writer='cv2'):
    rgb, x, _ = pattern_pair()
    write_pair(str(tmp_path), 'a', rgb, x)
    path = tmp_path / 'labels' / 'a.png'
    if writer == 'cv2':
        write_image(path, label)
    else:
        _pil_save(path, label)
    return dict(img_path=str(tmp_path / 'rgb' / 'a.png'),
                x_path=str(tmp_path / 'thermal' / 'a.png'), seg_map_path=str(path))


def test_colour_label_map_is_rejected(tmp_path):
    _, _, label = pattern_pair()
    colour = np.stack([label * 200, label * 10, label], axis=2).astype(np.uint8)
    with pytest.raises(ValueError, match=r'labels/a\.png is a RGB image .*single-channel'):
        LoadRGBXImageFromFile()(_label_results(tmp_path, colour))


def test_16bit_label_map_above_255_is_rejected(tmp_path):
    _, _, label = pattern_pair()
    wide = label.astype(np.uint16) * 300  # 300 would wrap to 44 in LoadAnnotations
    with pytest.raises(ValueError, match=r'labels/a\.png is a 16-bit image with values up '
                                         r'to 300.*wrap modulo 256'):
        LoadRGBXImageFromFile()(_label_results(tmp_path, wide))
    # 16-bit storage of small ids loses nothing: accepted
    ok = LoadRGBXImageFromFile()(_label_results(tmp_path, label.astype(np.uint16) * 7))
    assert ok['img'].shape == (64, 80, 4)


def test_stacked_16bit_file_rejected_or_scaled_explicitly(tmp_path):
    from mmrgbir.datasets.transforms import LoadStackedRGBXImageFromFile
    rgb8 = np.array([[[10, 20, 30], [40, 50, 60]]], np.uint8)  # 1 x 2, BGR as stored
    data = np.concatenate([rgb8.astype(np.uint16) * 257,
                           np.array([[[1000], [65535]]], np.uint16)], axis=2)
    write_image(tmp_path / 'a.png', data)
    with pytest.raises(ValueError, match=r'a\.png is 16-bit.*scale_16bit_rgb=True'):
        LoadStackedRGBXImageFromFile()(dict(img_path=str(tmp_path / 'a.png')))
    out = LoadStackedRGBXImageFromFile(scale_16bit_rgb=True)(
        dict(img_path=str(tmp_path / 'a.png')))
    assert out['img'].dtype == np.float32
    np.testing.assert_array_equal(out['img'][..., :3], rgb8.astype(np.float32))
    np.testing.assert_array_equal(out['img'][..., 3], [[1000.0, 65535.0]])
    assert out['modality_layout']['x_dtype'] == 'uint16'


# ------------------------------------------------------------------------- SOD masks


@pytest.mark.parametrize('stored, expected', [
    ([0, 1, 1, 0], [0, 1, 1, 0]),          # 0 / 1 kept (was read as empty)
    ([0, 255, 200, 100], [0, 1, 1, 0]),    # 0 / 255, anti-aliased edges thresholded
    ([0, 0, 0, 0], [0, 0, 0, 0]),          # no salient object
])
def test_sod_masks_0_1_and_0_255(tmp_path, stored, expected):
    from mmrgbir.datasets.transforms import LoadSODAnnotations
    write_image(tmp_path / 'm.png', np.array([stored], np.uint8))
    out = LoadSODAnnotations()(dict(seg_map_path=str(tmp_path / 'm.png'), seg_fields=[],
                                    reduce_zero_label=False))
    assert out['gt_seg_map'].tolist() == [expected]


def test_sod_16bit_mask_and_ambiguous_masks(tmp_path):
    from mmrgbir.datasets.transforms import LoadSODAnnotations
    t = LoadSODAnnotations()
    write_image(tmp_path / 'w.png', np.array([[0, 65535, 40000, 20000]], np.uint16))
    out = t(dict(seg_map_path=str(tmp_path / 'w.png'), seg_fields=[],
                 reduce_zero_label=False))
    assert out['gt_seg_map'].tolist() == [[0, 1, 1, 0]]  # threshold 128 * 257 = 32896
    for name, values in (('ids', [0, 1, 2, 1]), ('half', [0, 128, 128, 0])):
        write_image(tmp_path / f'{name}.png', np.array([values], np.uint8))
        with pytest.raises(ValueError, match=rf'SOD mask .*{name}\.png has values '
                                             rf'\{{{", ".join(map(str, sorted(set(values))))}\}}'):
            t(dict(seg_map_path=str(tmp_path / f'{name}.png'), seg_fields=[],
                   reduce_zero_label=False))
