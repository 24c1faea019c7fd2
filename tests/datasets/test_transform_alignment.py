# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Every geometric transform of the shipped configs keeps RGB, X, masks and boxes aligned
and drops no channel; photometric transforms in RGBOnly touch RGB only."""
import copy

import numpy as np
import pytest
from mmcv.transforms import Compose

from rgbx_testing import pattern_pair
from mmrgbir.datasets import check_rgbx_pipeline
from mmrgbir.structures import make_layout


def _results(x_channels=1, x_dtype=np.uint8):
    rgb, x, label = pattern_pair(x_channels=x_channels, x_dtype=x_dtype)
    x3 = x[..., None] if x.ndim == 2 else x
    dtype = np.uint8 if x_dtype == np.uint8 else np.float32
    img = np.concatenate([rgb.astype(dtype), x3.astype(dtype)], axis=2)
    ys, xs = np.nonzero(label)
    box = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
    return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2],
                gt_seg_map=label.copy(), seg_fields=['gt_seg_map'],
                modality_layout=make_layout(x3.shape[2], 'thermal', str(x.dtype)),
                gt_bboxes=box, gt_bboxes_labels=np.array([0]),
                gt_ignore_flags=np.array([False]), img_path='pattern.png')


def _marker(channel: np.ndarray) -> np.ndarray:
    """Where the bright marker is (thresholded halfway)."""
    c = channel.astype(np.float32)
    return c > (c.max() + c.min()) / 2


def assert_aligned(out, channels, x_channels=1, min_iou=0.9, check_mask=True):
    img = out['img']
    assert img.shape[2] == channels, 'a channel was dropped'
    rgb_m = _marker(img[..., 0])
    label = out['gt_seg_map']
    lab_m = label == 1
    for c in range(3, 3 + x_channels):
        x_m = _marker(img[..., c])
        inter = (rgb_m & x_m).sum()
        union = (rgb_m | x_m).sum()
        assert union > 0 and inter / union >= min_iou, f'RGB / X misaligned (ch {c})'
    if not check_mask:
        return
    inter = (rgb_m & lab_m).sum()
    assert inter / max((rgb_m | lab_m).sum(), 1) >= min_iou, 'image / mask misaligned'


SEG_TRANSFORMS = [
    dict(type='Resize', scale=(120, 90), keep_ratio=True),
    dict(type='RandomResize', scale=(80, 64), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(48, 60)),
    dict(type='RandomFlip', prob=1.0, direction='horizontal'),
    dict(type='RandomFlip', prob=1.0, direction='vertical'),
    dict(type='RandomRotate', prob=1.0, degree=20, pad_val=0, seg_pad_val=255),
]


@pytest.mark.parametrize('x_channels', [1, 3])
@pytest.mark.parametrize('t', SEG_TRANSFORMS, ids=lambda t: t['type'] + str(t.get('direction', '')))
def test_seg_geometric_transforms_keep_alignment(seg_scope, t, x_channels):
    from mmseg.registry import TRANSFORMS
    for seed in range(3):
        np.random.seed(seed)
        out = TRANSFORMS.build(copy.deepcopy(t))(_results(x_channels))
        assert_aligned(out, 3 + x_channels, x_channels,
                       min_iou=0.75 if t['type'] == 'RandomRotate' else 0.9)


def test_16bit_stack_survives_resize_and_flip(seg_scope):
    from mmseg.registry import TRANSFORMS
    res = _results(x_dtype=np.uint16)
    before = res['img'][..., 3].copy()
    out = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))(res)
    np.testing.assert_array_equal(out['img'][..., 3], before[:, ::-1])
    assert out['img'][..., 3].max() == 60000.0


DET_TRANSFORMS = [
    dict(type='Resize', scale=(120, 90), keep_ratio=True),
    dict(type='RandomResize', scale=(80, 64), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomFlip', prob=1.0),
    dict(type='RandomCrop', crop_size=(56, 70)),
    dict(type='RGBXPad', size_divisor=32),
    dict(type='RandomAffine', max_rotate_degree=0, max_shear_degree=0,
         scaling_ratio_range=(0.8, 1.2), max_translate_ratio=0.05, border_val=0),
]


def _box_from_marker(img):
    ys, xs = np.nonzero(_marker(img[..., 0]))
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


@pytest.mark.parametrize('x_channels', [1, 3])
@pytest.mark.parametrize('t', DET_TRANSFORMS, ids=lambda t: t['type'])
def test_det_geometric_transforms_keep_boxes_aligned(det_scope, t, x_channels):
    import mmrgbir.det  # noqa: F401
    from mmdet.registry import TRANSFORMS
    from mmdet.structures.bbox import HorizontalBoxes
    for seed in range(3):
        np.random.seed(seed)
        res = _results(x_channels)
        res['gt_bboxes'] = HorizontalBoxes(res['gt_bboxes'])
        out = TRANSFORMS.build(copy.deepcopy(t))(res)
        # mmdet's RandomAffine does not warp semantic maps (detection has none)
        assert_aligned(out, 3 + x_channels, x_channels,
                       check_mask=t['type'] != 'RandomAffine')
        box = out['gt_bboxes'].tensor.numpy()[0]
        np.testing.assert_allclose(box, _box_from_marker(out['img']), atol=3)


def test_rgbx_pad_pads_every_channel(det_scope):
    import mmrgbir.det  # noqa: F401
    from mmdet.registry import TRANSFORMS
    res = _results(x_channels=3)
    out = TRANSFORMS.build(dict(type='RGBXPad', size=(96, 96), pad_val=dict(img=7)))(res)
    assert out['img'].shape == (96, 96, 6) and out['pad_shape'] == (96, 96, 6)
    assert (out['img'][64:, :, :] == 7).all() and (out['img'][:, 80:, :] == 7).all()


@pytest.mark.parametrize('x_channels', [1, 2, 3])
def test_rgbx_pad_fills_rgb_and_x_alike(det_scope, x_channels):
    """cv2 reads a number as (v, 0, 0, 0) and repeats a 3-value colour into X; RGBXPad
    gives every channel the number, or each channel its own value."""
    import mmrgbir.det  # noqa: F401
    from mmdet.registry import TRANSFORMS
    c = 3 + x_channels
    res = _results(x_channels=3)
    res['img'] = res['img'][..., :c]
    res['modality_layout'] = make_layout(x_channels)
    for pad_val, fill in [(114, [114] * c), (114.0, [114] * c),
                          (tuple(range(10, 10 + c)), list(range(10, 10 + c)))]:
        out = TRANSFORMS.build(dict(type='RGBXPad', size=(96, 72),
                                    pad_val=dict(img=pad_val)))(dict(res))
        assert out['img'].shape == (72, 96, c)
        assert out['img'][-1, -1].tolist() == fill and out['img'][0, 90].tolist() == fill
        np.testing.assert_array_equal(out['img'][:64, :80], res['img'])
    with pytest.raises(ValueError, match=r'has 3 values but the stacked image has'):
        TRANSFORMS.build(dict(type='RGBXPad', size=(96, 72),
                              pad_val=dict(img=(1, 2, 3))))(dict(res))


def test_rgb_only_touches_rgb_only(seg_scope):
    from mmseg.registry import TRANSFORMS
    res = _results(x_channels=3)
    x_before = res['img'][..., 3:].copy()
    rgb_before = res['img'][..., :3].copy()
    t = TRANSFORMS.build(dict(type='RGBOnly', transforms=[
        dict(type='PhotoMetricDistortion', brightness_delta=60, contrast_range=(0.2, 0.3))]))
    np.random.seed(0)
    out = t(res)
    assert out['img'].shape == (64, 80, 6)
    np.testing.assert_array_equal(out['img'][..., 3:], x_before)
    assert not np.array_equal(out['img'][..., :3], rgb_before)


def test_x_only_touches_x_only(seg_scope):
    from mmseg.registry import TRANSFORMS
    res = _results()
    rgb_before = res['img'][..., :3].copy()
    x_before = res['img'][..., 3].astype(np.float64)
    t = TRANSFORMS.build(dict(type='XOnly', transforms=[dict(type='AdjustGamma', gamma=2.0)]))
    out = t(res)
    np.testing.assert_array_equal(out['img'][..., :3], rgb_before)
    # the 8-bit gamma table, v -> floor(255 * sqrt(v / 255)): 250 -> 252
    np.testing.assert_array_equal(out['img'][..., 3], np.floor(255 * np.sqrt(x_before / 255)))
    assert out['img'][..., 3].max() == 252


def test_rgb_only_rejects_geometric_transforms(seg_scope):
    from mmseg.registry import TRANSFORMS
    with pytest.raises(ValueError, match='RGBOnly cannot wrap Resize'):
        TRANSFORMS.build(dict(type='RGBOnly', transforms=[
            dict(type='Resize', scale=(40, 30), keep_ratio=False)]))

    def halve(results):  # a custom transform that the name check cannot know
        results['img'] = results['img'][::2, ::2]
        return results

    t = TRANSFORMS.build(dict(type='RGBOnly', transforms=[halve]))
    with pytest.raises(ValueError, match='changed the image size'):
        t(_results())


@pytest.mark.parametrize('bad', [
    dict(type='PhotoMetricDistortion'), dict(type='Mosaic', img_scale=(64, 64)),
    dict(type='Pad', size=(64, 64)), dict(type='Resize', scale=(8, 8), interpolation='area'),
    dict(type='LoadImageFromFile')])
def test_pipeline_check_rejects_stock_limits(bad):
    with pytest.raises(ValueError, match=bad['type']):
        check_rgbx_pipeline([dict(type='LoadRGBXImageFromFile'), bad], 'X')


def test_pipeline_check_accepts_wrapped_photometric():
    check_rgbx_pipeline([dict(type='LoadRGBXImageFromFile'),
                         dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')])])


def test_pack_detects_dropped_channels(seg_scope):
    from mmseg.registry import TRANSFORMS
    res = _results()
    res['img'] = res['img'][..., :3]  # what stock PhotoMetricDistortion does to 4 channels
    with pytest.raises(ValueError, match='has 3 channels but its modality layout records 4'):
        TRANSFORMS.build(dict(type='PackRGBXSegInputs'))(res)


def test_pack_keeps_layout_in_metainfo(seg_scope):
    from mmseg.registry import TRANSFORMS
    res = _results()
    res['x_path'] = 'x.png'
    out = TRANSFORMS.build(dict(type='PackRGBXSegInputs'))(res)
    assert out['inputs'].shape == (4, 64, 80)
    assert out['data_samples'].metainfo['modality_layout']['x'] == (3, 4)
    assert out['data_samples'].metainfo['x_path'] == 'x.png'


def test_full_train_pipeline_compose(seg_scope, tmp_path):
    from mmseg.registry import TRANSFORMS  # noqa: F401
    pipeline = Compose([
        dict(type='RandomResize', scale=(80, 64), ratio_range=(0.5, 2.0), keep_ratio=True),
        dict(type='RandomCrop', crop_size=(48, 60)),
        dict(type='RandomFlip', prob=0.5),
        dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    ])
    for seed in range(5):
        np.random.seed(seed)
        out = pipeline(_results(x_channels=3))
        assert_aligned(out, 6, 3)


def test_pipeline_check_looks_inside_wrappers(seg_scope):
    from mmcv.transforms import RandomApply
    from mmseg.registry import TRANSFORMS
    hidden = [dict(type='RandomApply', transforms=[dict(type='PhotoMetricDistortion')])]
    with pytest.raises(ValueError, match='PhotoMetricDistortion'):
        check_rgbx_pipeline(hidden)
    with pytest.raises(ValueError, match='PhotoMetricDistortion'):
        check_rgbx_pipeline(Compose(hidden))
    with pytest.raises(ValueError, match='Mosaic'):
        check_rgbx_pipeline([dict(type='RandomChoice', transforms=[
            [dict(type='RandomFlip', prob=0.5)], [dict(type='Mosaic', img_scale=(8, 8))]])])
    ok = RandomApply([TRANSFORMS.build(dict(type='RGBOnly', transforms=[
        dict(type='PhotoMetricDistortion')]))])
    check_rgbx_pipeline([ok])
