# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Property-based tests of the RGB-X loader and transforms: hypothesis on random image
sizes, dtypes and channel counts (small images, few examples), and a sweep over every
transform of every shipped config on coordinate-coded stacks."""
import functools
import glob
import json
import os.path as osp
import tempfile

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mmcv.transforms import Compose, RandomFlip, Resize
from mmseg.datasets.transforms import PackSegInputs, PhotoMetricDistortion, RandomCrop

from rgbx_testing import REPO
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
@given(h=sizes, w=sizes, x_channels=x_channel_counts, dtype=x_dtypes, seed=seeds)
def test_rgb_only_never_changes_x_and_x_only_never_changes_rgb(h, w, x_channels, dtype,
                                                               seed):
    np.random.seed(seed % 2**32)
    s = random_stack(h, w, x_channels, dtype, seed)
    before = s['img'].copy()
    pmd = PhotoMetricDistortion()
    out = RGBOnly(transforms=[pmd])(s)
    assert out['img'].shape == before.shape and out['img'].dtype == before.dtype
    np.testing.assert_array_equal(out['img'][..., 3:], before[..., 3:])
    # RGB as the stock transform gives it on the plain uint8 RGB image
    np.random.seed(seed % 2**32)
    expected = pmd(dict(img=before[..., :3].astype(np.uint8)))['img']
    np.testing.assert_array_equal(out['img'][..., :3], expected.astype(before.dtype))
    top = 65535 if dtype == np.uint16 else 255
    s = random_stack(h, w, x_channels, dtype, seed)
    out = XOnly(transforms=[_Invert(top)])(s)
    np.testing.assert_array_equal(out['img'][..., :3], before[..., :3])
    np.testing.assert_array_equal(out['img'][..., 3:], top - before[..., 3:])


class _Invert:
    """A photometric transform on whatever channels it is given."""

    def __init__(self, top=255):
        self.top = top

    def __call__(self, results):
        results['img'] = self.top - results['img']
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


# ------------------------------------------------------------------------------------
# Every transform of every shipped config (train / val / test pipelines and TTA), on
# uint8, 16-bit-X and float-X stacks with 1 and 3 X channels: RGB, X, labels and boxes
# stay aligned, and nothing outside the transform's documented change moves.
#
# The pixel's source coordinates are encoded into the stack: RGB (BGR order) holds
# (8 x, 10 y, 200), X channel j holds a_j x + b_j y + c_j in the X dtype's range, the
# label is the 4 x 4 block id. Any linear resampling (weights summing to 1) keeps X an
# affine function of the RGB-decoded coordinates, so a geometric transform that moves
# RGB and X together keeps ``X == a x' + b y' + c`` with x', y' read back from RGB,
# and one that moves a single modality breaks it by several pixels.
# ------------------------------------------------------------------------------------
H, W, BLOCK = 24, 32, 4
BOX = (8, 4, 20, 16)  # x1, y1, x2, y2 (pixel edges) of a box in the source image
X_COEFFS = {  # per X channel: (a, b, c), X = a x + b y + c
    'uint8': [(5, 3, 10), (3, 6, 20), (2, 7, 30)],
    'uint16': [(750, 1250, 5000), (1250, 500, 7500), (500, 1750, 2500)],
    'float32': [(5 / 64, 3 / 64, 0.25), (3 / 64, 6 / 64, 0.5), (2 / 64, 7 / 64, 0.125)],
}
MAX_SIZE = 128  # size arguments above this are scaled down (keeps the test fast)
LOADERS = {'LoadRGBXImageFromFile', 'LoadStackedRGBXImageFromFile',
           'LoadMultiModalImageFromFile', 'LoadAnnotations', 'LoadSODAnnotations'}
GEOMETRIC_KINDS = {'Resize', 'RandomResize', 'RandomChoiceResize', 'RandomCrop',
                   'RandomFlip', 'RGBXPad', 'RandomChoice', 'RandomRotate',
                   'RGBXRandomResize'}
#: transforms that resize X with nearest neighbour: X sampled where the labels are
X_NEAREST = {'RGBXRandomResize'}


def coded_stack(x_dtype, x_channels, det=False):
    """The coordinate-coded stack as the loader makes it (float32 unless all 8-bit)."""
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    rgb = np.stack([8 * xs, 10 * ys, np.full_like(xs, 200)], axis=2)
    x = np.stack([a * xs + b * ys + c for a, b, c in X_COEFFS[x_dtype][:x_channels]], 2)
    dtype = np.uint8 if x_dtype == 'uint8' else np.float32
    img = np.concatenate([rgb, x.astype(x_dtype)], axis=2).astype(dtype)
    label = ((xs // BLOCK) + (W // BLOCK) * (ys // BLOCK)).astype(np.uint8)
    res = dict(img=img, img_shape=(H, W), ori_shape=(H, W), img_path='coded.png',
               gt_seg_map=label, seg_fields=['gt_seg_map'], reduce_zero_label=False,
               modality_layout=make_layout(x_channels, 'thermal', x_dtype))
    if det:
        from mmdet.structures.bbox import HorizontalBoxes
        res.update(gt_bboxes=HorizontalBoxes(np.array([BOX], np.float32)),
                   gt_bboxes_labels=np.array([0]), gt_ignore_flags=np.array([False]),
                   img_id=0)
    return res


def _scaled(cfg):
    """``cfg`` with size arguments (scale, scales, crop_size, size) at most MAX_SIZE."""
    def shrink(v):
        if isinstance(v, (list, tuple)) and v and all(isinstance(i, (int, float)) for i in v):
            k = max(max(v) / MAX_SIZE, 1)
            return tuple(max(int(round(i / k)), 1) for i in v)
        if isinstance(v, (list, tuple)):
            return [shrink(i) for i in v]
        return v

    if isinstance(cfg, list):
        return [_scaled(c) for c in cfg]
    if not isinstance(cfg, dict):
        return cfg
    return {k: shrink(v) if k in ('scale', 'scales', 'crop_size', 'size') else _scaled(v)
            for k, v in cfg.items()}


def _dataset_pipelines(cfg):
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = (cfg.get(loader) or {}).get('dataset')
        while isinstance(ds, dict):
            if ds.get('pipeline'):
                yield loader, ds['pipeline']
            ds = ds.get('dataset')
    if cfg.get('tta_pipeline'):
        yield 'tta_pipeline', cfg['tta_pipeline']


@functools.lru_cache(maxsize=None)
def shipped():
    """(configs, transforms): every leaf config, and every distinct transform of their
    pipelines as (scope, config, first config path); TTA lists are expanded."""
    import mmengine.config.utils as config_utils
    from mmengine.config import Config
    load = config_utils.load  # a "pkg::" base reads ~100 model-index yamls each time
    config_utils.load = functools.lru_cache(maxsize=None)(load)
    try:
        configs = {}
        for path in sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                                     recursive=True)):
            if '_base_' not in path.split(osp.sep):
                configs[osp.relpath(path, REPO)] = Config.fromfile(path)
    finally:
        config_utils.load = load
    transforms = {}
    for rel, cfg in configs.items():
        scope = cfg.get('default_scope', 'mmseg')
        for _, pipeline in _dataset_pipelines(cfg):
            for t in pipeline:
                t = t.to_dict() if hasattr(t, 'to_dict') else dict(t)
                inner = ([i for branch in t['transforms'] for i in branch]
                         if t['type'] == 'TestTimeAug' else [t])
                for i in inner:
                    i = i.to_dict() if hasattr(i, 'to_dict') else dict(i)
                    if i['type'] in LOADERS:
                        continue  # read files: test_loading.py / the round trip above
                    key = (scope, json.dumps(_scaled(i), sort_keys=True, default=repr))
                    transforms.setdefault(key, rel)
    return configs, transforms


def test_every_shipped_config_passes_the_pipeline_check():
    from mmrgbir.datasets.pipeline_check import check_rgbx_dataset, check_rgbx_pipeline
    configs, transforms = shipped()
    assert len(configs) > 30 and len(transforms) > 30
    for rel, cfg in configs.items():
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            if cfg.get(loader):
                check_rgbx_dataset(cfg[loader]['dataset'].to_dict(), f'{rel} {loader}')
        if cfg.get('tta_pipeline'):
            check_rgbx_pipeline(cfg['tta_pipeline'], f'{rel} tta_pipeline')


def _decode(img):
    """Source coordinates read back from RGB, and where they are valid (no fill)."""
    img = img.astype(np.float64)
    return img[..., 0] / 8, img[..., 1] / 10, np.abs(img[..., 2] - 200) <= 0.5


def _assert_geometry(out, x_dtype, x_channels, where, x_nearest=False):
    img = out['img']
    assert img.shape[2] == 3 + x_channels, f'{where}: channels dropped'
    assert tuple(out['img_shape'][:2]) == img.shape[:2], where
    xs, ys, valid = _decode(img)
    assert valid.sum() >= 0.3 * min(valid.size, H * W), f'{where}: image lost'
    for j, (a, b, c) in enumerate(X_COEFFS[x_dtype][:x_channels]):
        expected = a * xs + b * ys + c
        # half a source pixel, plus the 8-bit rounding of RGB and X
        tol = 0.5 * min(a, b) + (a / 16 + b / 20 + 0.5 if x_dtype == 'uint8' else 0.01)
        if x_nearest:  # a nearest sample is within one source pixel in x and in y
            tol = a + b + (0.5 if x_dtype == 'uint8' else 0.01)
        err = np.abs(img[..., 3 + j].astype(np.float64) - expected)[valid]
        assert err.max() <= tol, (f'{where}: X channel {j} is not where RGB is (off by '
                                  f'{err.max() / min(a, b):.1f} px)')
    label = out['gt_seg_map']
    assert label.shape == img.shape[:2], f'{where}: label size'
    ok = np.zeros(label.shape, bool)
    for dx in (-1, 0, 1):  # nearest (labels) and bilinear (images) round differently
        for dy in (-1, 0, 1):
            bx = np.clip(np.floor(xs + dx), 0, W - 1) // BLOCK
            by = np.clip(np.floor(ys + dy), 0, H - 1) // BLOCK
            ok |= label == bx + (W // BLOCK) * by
    check = valid & (label != 255)
    assert ok[check].all(), (f'{where}: labels not where RGB is at '
                             f'{(~ok & check).sum()} pixels')
    if 'gt_bboxes' in out and len(out['gt_bboxes']):
        box = np.asarray(out['gt_bboxes'].tensor)[0]
        inside = valid & (xs >= BOX[0] + 0.5) & (xs <= BOX[2] - 1.5) & \
            (ys >= BOX[1] + 0.5) & (ys <= BOX[3] - 1.5)
        rows, cols = np.nonzero(inside)
        px = max(img.shape[1] / W, img.shape[0] / H, 1)  # output pixels per source pixel
        expected = [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
        np.testing.assert_allclose(box, expected, atol=2 * px + 1, err_msg=where)


def _assert_only_rgb_changed(before, out, where, scope):
    img = out['img']
    assert img.shape == before['img'].shape, where
    np.testing.assert_array_equal(img[..., 3:], before['img'][..., 3:], err_msg=where)
    np.testing.assert_array_equal(out['gt_seg_map'], before['gt_seg_map'], err_msg=where)
    rgb = img[..., :3]
    assert np.isfinite(rgb).all(), where
    if scope == 'mmseg':
        # mmseg's photometric transforms stay 8-bit; mmdet's PhotoMetricDistortion
        # works in float and does not clip (as on plain RGB images)
        assert rgb.min() >= 0 and rgb.max() <= 255, f'{where}: RGB left the 8-bit range'
    if 'gt_bboxes' in before:
        np.testing.assert_array_equal(np.asarray(out['gt_bboxes'].tensor),
                                      np.asarray(before['gt_bboxes'].tensor), err_msg=where)


def _assert_dropout(before, out, where, scope):
    img, ref = out['img'], before['img']
    rgb_kept = np.array_equal(img[..., :3], ref[..., :3])
    x_kept = np.array_equal(img[..., 3:], ref[..., 3:])
    assert rgb_kept or x_kept, f'{where}: both modalities changed'
    assert rgb_kept or (img[..., :3] == 0).all(), where
    assert x_kept or (img[..., 3:] == 0).all(), where
    np.testing.assert_array_equal(out['gt_seg_map'], before['gt_seg_map'], err_msg=where)


def _assert_only_x_moved(before, out, where, scope):
    """RandomXMisalignment warps X (border 0); XOnly's photometric transforms keep
    X within its range (RGB2Gray: a weighted mean of the channels)."""
    img, ref = out['img'], before['img']
    assert img.shape == ref.shape, where
    np.testing.assert_array_equal(img[..., :3], ref[..., :3], err_msg=where)
    np.testing.assert_array_equal(out['gt_seg_map'], before['gt_seg_map'], err_msg=where)
    x, x0 = img[..., 3:], ref[..., 3:]
    lo, hi = min(float(x0.min()), 0.0), float(x0.max())  # border 0 blends in
    assert ((x >= lo - 1e-3) & (x <= hi + 1e-3)).all(), where


def _assert_unchanged_image(before, out, where, scope):
    np.testing.assert_array_equal(out['img'], before['img'], err_msg=where)


def _assert_packed(before, out, where, scope):
    inputs = out['inputs'].numpy()
    np.testing.assert_array_equal(inputs, before['img'].transpose(2, 0, 1), err_msg=where)


CHECKS = {
    'RGBOnly': _assert_only_rgb_changed, 'RandomModalityDropout': _assert_dropout,
    'RandomXMisalignment': _assert_only_x_moved, 'XOnly': _assert_only_x_moved,
    'FilterAnnotations': _assert_unchanged_image, 'PackRGBXSegInputs': _assert_packed,
    'PackRGBXDetInputs': _assert_packed,
}


@pytest.mark.parametrize('x_channels', [1, 3])
@pytest.mark.parametrize('x_dtype', ['uint8', 'uint16', 'float32'])
def test_every_shipped_transform_keeps_modalities_aligned(x_dtype, x_channels):
    import copy

    from mmengine.registry import TRANSFORMS, DefaultScope
    _, transforms = shipped()
    tested = set()
    for (scope, text), rel in sorted(transforms.items()):
        cfg = json.loads(text)
        name = cfg['type']
        if scope == 'mmdet':
            pytest.importorskip('mmdet', reason='detection transforms need mmdet')
            import mmrgbir.det  # noqa: F401
        if 'RGB2Gray' in text and x_channels != 3:
            continue  # 3 weights: for a 3-channel X (VT5000's thermal)
        # the config's probabilities, and the transform forced to happen
        with DefaultScope.overwrite_default_scope(scope):
            t = TRANSFORMS.build(_tuples(copy.deepcopy(cfg)))
            forced = TRANSFORMS.build(_tuples(dict(copy.deepcopy(cfg), prob=1.0))) \
                if 0 < cfg.get('prob', 1) < 1 else t
        # photometric ones are cheap: more draws, so that every branch of e.g.
        # PhotoMetricDistortion (brightness skipped, then HSV on the input) runs
        runs = [(0, t), (1, t), (2, forced)] + [(s, t) for s in range(
            3, 12 if name in ('RGBOnly', 'XOnly') else 3)]
        for seed, transform in runs:
            where = f'{name} of {rel} ({scope}; {x_dtype} X x{x_channels}, seed {seed}): {text}'
            np.random.seed(seed)
            before = coded_stack(x_dtype, x_channels, det=scope == 'mmdet')
            with DefaultScope.overwrite_default_scope(scope):
                out = transform(copy.deepcopy(before))
            if name == 'RGBOnly':  # RGB as on the all-8-bit stack: X's dtype does not matter
                np.random.seed(seed)
                with DefaultScope.overwrite_default_scope(scope):
                    ref = transform(coded_stack('uint8', x_channels, det=scope == 'mmdet'))
                np.testing.assert_array_equal(out['img'][..., :3],
                                              ref['img'][..., :3].astype(out['img'].dtype),
                                              err_msg=where)
            if name in GEOMETRIC_KINDS:
                _assert_geometry(out, x_dtype, x_channels, where, name in X_NEAREST)
            elif name in CHECKS:
                CHECKS[name](before, out, where, scope)
            else:
                raise AssertionError(f'{where}: add this transform to GEOMETRIC_KINDS or '
                                     f'CHECKS with what it may change')
        tested.add(name)
    assert {'Resize', 'RandomResize', 'RandomCrop', 'RandomFlip', 'RGBOnly',
            'PackRGBXSegInputs'} <= tested


def _tuples(cfg):
    """json turned tuples into lists: sizes and ranges back to tuples."""
    if isinstance(cfg, dict):
        return {k: _tuples(v) for k, v in cfg.items()}
    if isinstance(cfg, list):
        if cfg and all(isinstance(i, (int, float)) for i in cfg):
            return tuple(cfg)
        return [_tuples(i) for i in cfg]
    return cfg
