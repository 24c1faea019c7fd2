# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
import os.path as osp

import cv2
import numpy as np
import pytest

from rgbx_testing import pattern_pair, shared_data, write_pair
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
