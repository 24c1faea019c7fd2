# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Property-based tests (hypothesis) of the RGB-X loader and transforms, on random
image sizes, dtypes and channel counts (small images, few examples)."""
import os.path as osp
import tempfile

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from mmcv.transforms import Compose, RandomFlip, Resize
from mmseg.datasets.transforms import PackSegInputs, PhotoMetricDistortion, RandomCrop

from mmrgbir.datasets.transforms import LoadRGBXImageFromFile, RGBOnly, XOnly
from mmrgbir.datasets.transforms.formatting import PackRGBXSegInputs
from mmrgbir.datasets.transforms.robustness import (ModalityCorruption,
                                                     RandomModalityDropout,
                                                     RandomXMisalignment)
from mmrgbir.structures import make_layout

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None)
sizes = st.integers(min_value=6, max_value=28)
x_channel_counts = st.sampled_from([1, 3])
x_dtypes = st.sampled_from([np.uint8, np.uint16])
seeds = st.integers(min_value=0, max_value=2**31 - 1)


def random_stack(h, w, x_channels, dtype, seed):
    """A random stacked image as the loader makes it (float32 for 16-bit X)."""
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (h, w, 3))
    top = 65536 if dtype == np.uint16 else 256
    x = rng.integers(0, top, (h, w, x_channels))
    img = np.concatenate([rgb, x], axis=2).astype(np.float32 if dtype == np.uint16
                                                  else np.uint8)
    layout = make_layout(x_channels, 'thermal', np.dtype(dtype).name)
    return dict(img=img, img_path=f'{seed}.png', img_shape=(h, w), ori_shape=(h, w),
                modality_layout=layout, seg_fields=[])


@SETTINGS
@given(h=sizes, w=sizes, x_channels=x_channel_counts, dtype=x_dtypes, seed=seeds,
       to_float32=st.booleans())
def test_loader_round_trip_is_exact(h, w, x_channels, dtype, seed, to_float32):
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    top = 65536 if dtype == np.uint16 else 256
    x = rng.integers(0, top, (h, w, x_channels)).astype(dtype)
    with tempfile.TemporaryDirectory() as tmp:
        rgb_path, x_path = osp.join(tmp, 'rgb.png'), osp.join(tmp, 'x.png')
        cv2.imwrite(rgb_path, rgb)  # stored as written: BGR, as mmcv reads it back
        # cv2 stores a 3-channel X as BGR; the loader returns it in RGB order
        cv2.imwrite(x_path, x[..., ::-1] if x_channels == 3 else x[..., 0])
        out = LoadRGBXImageFromFile(to_float32=to_float32)(
            dict(img_path=rgb_path, x_path=x_path, x_kind='thermal'))
    img = out['img']
    expect_float = to_float32 or dtype == np.uint16
    assert img.dtype == (np.float32 if expect_float else np.uint8)
    assert img.shape == (h, w, 3 + x_channels)
    np.testing.assert_array_equal(img[..., :3], rgb.astype(img.dtype))
    np.testing.assert_array_equal(img[..., 3:], x.astype(img.dtype))
    assert out['modality_layout'] == make_layout(x_channels, 'thermal', np.dtype(dtype).name)
    assert out['img_shape'] == out['ori_shape'] == (h, w)


@SETTINGS
@given(h=sizes, w=sizes, x_channels=x_channel_counts, seed=seeds)
def test_rgb_only_never_changes_x_and_x_only_never_changes_rgb(h, w, x_channels, seed):
    np.random.seed(seed % 2**32)
    s = random_stack(h, w, x_channels, np.uint8, seed)
    before = s['img'].copy()
    out = RGBOnly(transforms=[PhotoMetricDistortion()])(s)
    assert out['img'].shape == before.shape
    np.testing.assert_array_equal(out['img'][..., 3:], before[..., 3:])
    s = random_stack(h, w, x_channels, np.uint8, seed)
    out = XOnly(transforms=[_Invert()])(s)
    np.testing.assert_array_equal(out['img'][..., :3], before[..., :3])
    np.testing.assert_array_equal(out['img'][..., 3:], 255 - before[..., 3:])


class _Invert:
    """A photometric transform on whatever channels it is given."""

    def __call__(self, results):
        results['img'] = 255 - results['img']
        return results


def id_stack(h, w, x_channels):
    """Every channel holds the pixel's id; the label holds id mod 251."""
    ids = np.arange(h * w, dtype=np.float32).reshape(h, w)
    img = np.repeat(ids[..., None], 3 + x_channels, axis=2)
    return dict(img=img, img_path='ids.png', img_shape=(h, w), ori_shape=(h, w),
                gt_seg_map=(ids.astype(np.int64) % 251).astype(np.uint8),
                seg_fields=['gt_seg_map'], modality_layout=make_layout(x_channels),
                reduce_zero_label=False)


@SETTINGS
@given(h=sizes, w=sizes, x_channels=x_channel_counts, seed=seeds,
       flip=st.sampled_from(['horizontal', 'vertical', 'diagonal']),
       crop=st.tuples(st.integers(2, 28), st.integers(2, 28)),
       scale=st.tuples(st.integers(4, 40), st.integers(4, 40)), keep_ratio=st.booleans())
def test_geometric_transforms_keep_rgb_x_and_label_aligned(h, w, x_channels, seed, flip,
                                                           crop, scale, keep_ratio):
    np.random.seed(seed % 2**32)
    pipe = Compose([
        Resize(scale=scale, keep_ratio=keep_ratio, interpolation='nearest'),
        RandomCrop(crop_size=crop),
        RandomFlip(prob=0.5, direction=flip),
    ])
    out = pipe(id_stack(h, w, x_channels))
    img = out['img']
    assert img.ndim == 3 and img.shape[2] == 3 + x_channels
    assert img.shape[:2] == out['gt_seg_map'].shape == tuple(out['img_shape'])
    # every channel of every pixel still shows the same source pixel
    for c in range(1, img.shape[2]):
        np.testing.assert_array_equal(img[..., c], img[..., 0])
    np.testing.assert_array_equal(out['gt_seg_map'],
                                  (img[..., 0].astype(np.int64) % 251).astype(np.uint8))


@SETTINGS
@given(h=sizes, w=sizes, x_channels=x_channel_counts, dtype=x_dtypes, seed=seeds,
       p_rgb=st.floats(0, 1), frac=st.floats(0, 1), fill=st.integers(0, 255))
def test_modality_dropout_never_drops_both(h, w, x_channels, dtype, seed, p_rgb, frac,
                                           fill):
    p_x = (1 - p_rgb) * frac  # any pair with p_rgb + p_x <= 1
    np.random.seed(seed % 2**32)
    t = RandomModalityDropout(p_rgb=p_rgb, p_x=p_x, fill=fill)
    for i in range(4):
        s = random_stack(h, w, x_channels, dtype, seed + i)
        before = s['img'].copy()
        out = t(s)
        img = out['img']
        assert img.shape == before.shape and img.dtype == before.dtype
        rgb_kept = np.array_equal(img[..., :3], before[..., :3])
        x_kept = np.array_equal(img[..., 3:], before[..., 3:])
        assert rgb_kept or x_kept
        dropped = out['dropped_modality']
        if dropped == 'rgb':
            assert x_kept and (img[..., :3] == fill).all()
        elif dropped == 'x':
            assert rgb_kept and (img[..., 3:] == fill).all()
        else:
            assert rgb_kept and x_kept


@SETTINGS
@given(h=sizes, w=sizes, x_channels=x_channel_counts, dtype=x_dtypes, seed=seeds,
       modality=st.sampled_from(['rgb', 'x']),
       mode=st.sampled_from(['missing', 'zero', 'noise', 'blur']),
       severity=st.floats(0.1, 30))
def test_corruption_and_misalignment_touch_one_modality_and_keep_channels(
        h, w, x_channels, dtype, seed, modality, mode, severity):
    s = random_stack(h, w, x_channels, dtype, seed)
    before = s['img'].copy()
    sev = severity if mode in ('noise', 'blur') else None
    steps = [ModalityCorruption(modality=modality, mode=mode, severity=sev, seed=seed)]
    if modality == 'x':
        steps.append(RandomXMisalignment(max_shift=(3, 3), max_rotate=10, max_scale=0.1,
                                         prob=1.0, seed=seed))
    out = Compose(steps + [PackRGBXSegInputs()])(s)
    inputs = out['inputs'].numpy().transpose(1, 2, 0)
    assert inputs.shape == before.shape  # stacked channel count and size preserved
    other = slice(3, None) if modality == 'rgb' else slice(0, 3)
    np.testing.assert_array_equal(inputs[..., other], before[..., other])
    part = inputs[..., 3:] if modality == 'x' else inputs[..., :3]
    hi = 65535 if (modality == 'x' and dtype == np.uint16) else 255
    assert part.min() >= 0 and part.max() <= hi  # stays in the stored value range
    assert out['data_samples'].metainfo['modality_layout'] == s['modality_layout']


def test_stock_pack_agrees_with_rgbx_pack():
    s = random_stack(8, 10, 3, np.uint8, 0)
    a = PackRGBXSegInputs()(dict(s))['inputs']
    b = PackSegInputs()(dict(s))['inputs']
    assert a.shape[0] == 6 and (a == b).all()
