# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Modality dropout, corruption and X misalignment on stacked RGB-X images."""
import cv2
import numpy as np
import pytest

from mmrgbir.datasets.transforms.robustness import (ModalityCorruption,
                                                     RandomModalityDropout,
                                                     RandomXMisalignment)
from mmrgbir.structures import make_layout


def sample(h=32, w=40, x_channels=1, dtype=np.uint8, x_dtype='uint8', seed=0, path='a.png'):
    rng = np.random.default_rng(seed)
    top = 256 if dtype == np.uint8 else 4000
    img = rng.integers(1, top, (h, w, 3 + x_channels)).astype(dtype)
    label = rng.integers(0, 3, (h, w)).astype(np.uint8)
    return dict(img=img, img_path=path, gt_seg_map=label, seg_fields=['gt_seg_map'],
                img_shape=(h, w), modality_layout=make_layout(x_channels, 'thermal', x_dtype))


def test_dropout_rates_exclusive_and_fill():
    np.random.seed(0)
    t = RandomModalityDropout(p_rgb=0.3, p_x=0.2)
    counts = dict(rgb=0, x=0, none=0)
    n = 2000
    for _ in range(n):
        r = t(sample(8, 8))
        rgb, x = r['img'][..., :3], r['img'][..., 3:]
        d = r['dropped_modality']
        assert not ((rgb == 0).all() and (x == 0).all())  # never both
        if d == 'rgb':
            assert (rgb == 0).all() and (x > 0).all()
        elif d == 'x':
            assert (x == 0).all() and (rgb > 0).all()
        else:
            assert (r['img'] > 0).all()
        counts[d or 'none'] += 1
    # binomial std ~ 0.01: 4 sigma bounds
    assert abs(counts['rgb'] / n - 0.3) < 0.045
    assert abs(counts['x'] / n - 0.2) < 0.04


def test_dropout_per_channel_fill_and_labels_untouched():
    np.random.seed(1)
    t = RandomModalityDropout(p_rgb=0.0, p_x=1.0, fill=dict(x=[7, 8, 9]))
    s = sample(x_channels=3)
    label = s['gt_seg_map'].copy()
    rgb = s['img'][..., :3].copy()
    r = t(s)
    assert (r['img'][..., 3:] == np.array([7, 8, 9], np.uint8)).all()
    np.testing.assert_array_equal(r['img'][..., :3], rgb)
    np.testing.assert_array_equal(r['gt_seg_map'], label)
    with pytest.raises(ValueError, match='p_rgb \\+ p_x'):
        RandomModalityDropout(p_rgb=0.6, p_x=0.5)
    with pytest.raises(ValueError, match='one value or 3 values'):
        RandomModalityDropout(p_rgb=1.0, p_x=0.0, fill=[1, 2])(sample())
    with pytest.raises(ValueError, match='outside the x value range'):
        RandomModalityDropout(p_rgb=0.0, p_x=1.0, fill=300)(sample())


@pytest.mark.parametrize('modality', ['rgb', 'x'])
def test_missing_and_zero(modality):
    for mode in ('missing', 'zero'):
        s = sample(x_channels=3)
        before = s['img'].copy()
        r = ModalityCorruption(modality=modality, mode=mode)(s)
        sl = slice(0, 3) if modality == 'rgb' else slice(3, 6)
        other = slice(3, 6) if modality == 'rgb' else slice(0, 3)
        assert (r['img'][..., sl] == 0).all()
        np.testing.assert_array_equal(r['img'][..., other], before[..., other])
    r = ModalityCorruption(modality='x', mode='missing', fill=110)(sample())
    assert (r['img'][..., 3] == 110).all()


def test_noise_std_units_clip_and_determinism():
    # 16-bit X in a float32 stack (the loader's output for 16-bit depth): data units
    s = sample(64, 64, dtype=np.float32, x_dtype='uint16')
    s['img'][..., 3] = 30000.0
    t = ModalityCorruption(modality='x', mode='noise', severity=500.0, seed=3)
    r = t(dict(s, img=s['img'].copy()))
    diff = r['img'][..., 3] - 30000.0
    assert abs(diff.std() - 500.0) < 25 and abs(diff.mean()) < 25
    np.testing.assert_array_equal(r['img'][..., :3], s['img'][..., :3])
    # same image path -> same noise; another path -> other noise
    r2 = t(dict(s, img=s['img'].copy()))
    np.testing.assert_array_equal(r['img'], r2['img'])
    r3 = t(dict(s, img=s['img'].copy(), img_path='b.png'))
    assert not np.array_equal(r['img'], r3['img'])
    # uint8: clipped to [0, 255], dtype kept
    s8 = sample()
    s8['img'][..., 3] = 250
    r8 = ModalityCorruption(modality='x', mode='noise', severity=40.0)(s8)
    assert r8['img'].dtype == np.uint8 and r8['img'][..., 3].max() == 255


def test_blur_matches_cv2_and_keeps_other_modality():
    s = sample(x_channels=1)
    before = s['img'].copy()
    r = ModalityCorruption(modality='x', mode='blur', severity=1.5)(s)
    ref = cv2.GaussianBlur(before[..., 3].astype(np.float32), (11, 11), 1.5,
                           borderType=cv2.BORDER_REFLECT_101)
    np.testing.assert_array_equal(r['img'][..., 3], np.rint(ref).astype(np.uint8))
    np.testing.assert_array_equal(r['img'][..., :3], before[..., :3])
    assert r['img'][..., 3].std() < before[..., 3].std() / 2
    with pytest.raises(ValueError, match='takes no severity'):
        ModalityCorruption(mode='missing', severity=2)
    with pytest.raises(ValueError, match='mode must be one of'):
        ModalityCorruption(mode='fog')


def test_misalignment_integer_shift_is_exact():
    s = sample(32, 40, x_channels=3)
    before = s['img'].copy()
    t = RandomXMisalignment(max_shift=(3, 2), prob=1.0, interpolation='nearest', seed=0)
    # force an integer shift through the drawn parameters
    t._draw = lambda rng: dict(dx=3.0, dy=-2.0, angle=0.0, scale=1.0)
    r = t(s)
    x, x0 = r['img'][..., 3:], before[..., 3:]
    np.testing.assert_array_equal(x[:-2, 3:], x0[2:, :-3])  # X moved right 3, up 2
    assert (x[-2:] == 0).all() and (x[:, :3] == 0).all()
    np.testing.assert_array_equal(r['img'][..., :3], before[..., :3])  # RGB stays
    np.testing.assert_array_equal(r['gt_seg_map'], s['gt_seg_map'])  # labels follow RGB
    assert r['img'].shape == before.shape and r['x_misalignment']['dx'] == 3.0


def test_misalignment_ranges_prob_and_seed():
    t = RandomXMisalignment(max_shift=(4, 2), max_rotate=3, max_scale=0.1, prob=1.0, seed=5)
    seen = [t(sample(path=f'{i}.png'))['x_misalignment'] for i in range(30)]
    assert all(abs(p['dx']) <= 4 and abs(p['dy']) <= 2 and abs(p['angle']) <= 3
               and 0.9 <= p['scale'] <= 1.1 for p in seen)
    assert len({round(p['dx'], 6) for p in seen}) == 30
    # seeded: the same file gets the same warp
    a, b = t(sample(path='q.png')), t(sample(path='q.png'))
    assert a['x_misalignment'] == b['x_misalignment']
    np.testing.assert_array_equal(a['img'], b['img'])
    # prob 0 never warps; float32 16-bit X keeps its dtype
    s = sample(dtype=np.float32, x_dtype='uint16')
    before = s['img'].copy()
    r = RandomXMisalignment(prob=0.0)(s)
    np.testing.assert_array_equal(r['img'], before)
    assert 'x_misalignment' not in r
    r = RandomXMisalignment(prob=1.0, max_shift=2, seed=0)(sample(dtype=np.float32,
                                                                  x_dtype='uint16'))
    assert r['img'].dtype == np.float32


def test_transforms_need_layout_and_build_from_registry():
    from mmengine.registry import TRANSFORMS
    for cfg in (dict(type='RandomModalityDropout', p_rgb=1.0, p_x=0.0),
                dict(type='ModalityCorruption', modality='rgb', mode='blur'),
                dict(type='RandomXMisalignment', prob=1.0)):
        t = TRANSFORMS.build(cfg)
        with pytest.raises(KeyError, match='modality_layout'):
            t(dict(img=np.zeros((4, 4, 4), np.uint8), img_path='z.png'))


def test_inside_pipeline_with_packing(seg_scope):
    from mmcv.transforms import Compose
    from mmrgbir.datasets.transforms import PackRGBXSegInputs  # noqa: F401
    s = sample()
    pipe = Compose([dict(type='RandomXMisalignment', prob=1.0, seed=0),
                    dict(type='ModalityCorruption', modality='rgb', mode='missing'),
                    dict(type='PackRGBXSegInputs')])
    out = pipe(s)
    assert tuple(out['inputs'].shape) == (4, 32, 40)
    assert (out['inputs'][:3] == 0).all()
