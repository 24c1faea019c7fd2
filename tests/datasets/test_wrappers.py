# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""RGBOnly / XOnly on uint8, 16-bit-X (float32) and float-X stacks: the wrapped
transforms see their modality in the dtype they were written for, the other modality
is written back bit-exactly, and geometric transforms are refused."""
import numpy as np
import pytest

from mmrgbir.structures import make_layout

# two saturated BGR colours and a grey, in the top rows / bottom row of a 3 x 4 image
COLOURS = np.array([[200, 60, 30], [10, 220, 140], [90, 90, 90]], np.uint8)
X_VALUES = {'uint8': [200, 17, 3], 'uint16': [60000, 1234, 7], 'float32': [0.123456, 9.5, 1e-3]}


def stack(x_dtype: str, x_channels: int = 1) -> dict:
    """A 3 x 4 stack: RGB rows of COLOURS; X channel c holds X_VALUES / (c + 1)."""
    rgb = np.repeat(COLOURS[:, None, :], 4, axis=1)  # (3, 4, 3)
    x = np.array(X_VALUES[x_dtype], np.float64)[:, None, None] / np.arange(
        1, x_channels + 1)[None, None, :]
    if x_dtype != 'float32':
        x = np.floor(x)
    x = np.broadcast_to(x, (3, 4, x_channels)).astype(x_dtype)
    dtype = np.uint8 if x_dtype == 'uint8' else np.float32  # what the loader makes
    img = np.concatenate([rgb.astype(dtype), x.astype(dtype)], axis=2)
    label = np.arange(12, dtype=np.uint8).reshape(3, 4)
    return dict(img=img, img_shape=(3, 4), ori_shape=(3, 4), gt_seg_map=label,
                seg_fields=['gt_seg_map'], img_path='p.png',
                modality_layout=make_layout(x_channels, 'thermal', x_dtype))


class Probe:
    """Records the dtype and values it is given; adds ``delta`` in float64."""

    def __init__(self, delta=0):
        self.delta = delta
        self.seen = []

    def __call__(self, results):
        self.seen.append(results['img'].copy())
        if self.delta:
            results['img'] = results['img'].astype(np.float64) + self.delta
        return results


IDENTITY_PMD = dict(type='PhotoMetricDistortion', brightness_delta=0, contrast_range=(1, 1),
                    saturation_range=(1.0, 1.0), hue_delta=0)


# the coin flips of PhotoMetricDistortion.transform, in call order: brightness, mode
# (1: contrast first), [contrast], saturation, hue, [contrast]
EVERY_STEP = (1, 1, 1, 1, 1)
HSV_ONLY = (0, 0, 1, 1, 0)  # brightness / contrast (which cast to uint8) skipped


def fake_random(flips):
    """Stands in for numpy.random in mmseg's transforms module: the coin flips are
    ``flips``, every range gives its middle (the identity for IDENTITY_PMD)."""
    flips = list(flips)

    class _Random:

        @staticmethod
        def randint(low, high=None):
            return flips.pop(0) if high is None else (low + high) // 2

        @staticmethod
        def uniform(low, high):
            return (low + high) / 2

    return _Random


@pytest.mark.parametrize('flips', [EVERY_STEP, HSV_ONLY], ids=['every_step', 'hsv_only'])
@pytest.mark.parametrize('x_dtype', ['uint8', 'uint16', 'float32'])
@pytest.mark.parametrize('x_channels', [1, 3])
def test_identity_photometric_distortion_keeps_colours_and_x(seg_scope, monkeypatch,
                                                             x_dtype, x_channels, flips):
    import mmseg.datasets.transforms.transforms as mmseg_transforms
    from mmseg.registry import TRANSFORMS
    # brightness +0, contrast x1, saturation x1 and hue +0
    monkeypatch.setattr(mmseg_transforms, 'random', fake_random(flips))
    wrapper = TRANSFORMS.build(dict(type='RGBOnly', transforms=[IDENTITY_PMD]))
    res = stack(x_dtype, x_channels)
    before = res['img'].copy()
    out = wrapper(res)
    img = out['img']
    assert img.dtype == before.dtype and img.shape == before.shape
    # X bit-identical: 60000 stays 60000, 0.123456 stays 0.123456
    np.testing.assert_array_equal(img[..., 3:], before[..., 3:])
    np.testing.assert_array_equal(out['gt_seg_map'], np.arange(12).reshape(3, 4))
    # the same steps on the plain uint8 RGB image, as mmseg is meant to be used
    monkeypatch.setattr(mmseg_transforms, 'random', fake_random(flips))
    reference = TRANSFORMS.build(IDENTITY_PMD)
    expected = reference(dict(img=np.repeat(COLOURS[:, None, :], 4, axis=1)))['img']
    np.testing.assert_array_equal(img[..., :3], expected.astype(img.dtype))
    # and, independently of mmseg: the colours stay (the uint8 HSV round trip moves
    # a channel by at most 3) -- on float data saturation x1 turned them grey and
    # hue +0 rotated them
    rgb = img[..., :3].astype(np.int64)
    assert np.abs(rgb - COLOURS[:, None, :].astype(np.int64)).max() <= 3, rgb[:, 0]
    assert rgb[0, 0].max() - rgb[0, 0].min() >= 160


def test_stock_photometric_distortion_on_float_rgb_is_what_rgb_only_prevents(
        seg_scope, monkeypatch):
    """The defect itself: mmseg's 8-bit HSV steps on float RGB turn (200, 60, 30) grey."""
    import mmseg.datasets.transforms.transforms as mmseg_transforms
    from mmseg.registry import TRANSFORMS
    monkeypatch.setattr(mmseg_transforms, 'random', fake_random(HSV_ONLY))
    img = np.repeat(COLOURS[:, None, :], 4, axis=1).astype(np.float32)
    out = TRANSFORMS.build(IDENTITY_PMD)(dict(img=img))['img']
    assert np.ptp(out[0, 0].astype(np.int64)) < 160  # no longer the saturated colour


@pytest.mark.parametrize('x_dtype', ['uint16', 'float32'])
def test_rgb_only_gives_uint8_and_writes_back_exactly(seg_scope, x_dtype):
    from mmrgbir.datasets.transforms import RGBOnly
    probe = Probe(delta=1)
    res = stack(x_dtype)
    before = res['img'].copy()
    out = RGBOnly(transforms=[probe])(res)
    assert probe.seen[0].dtype == np.uint8
    np.testing.assert_array_equal(probe.seen[0], COLOURS[:, None, :].repeat(4, axis=1))
    assert out['img'].dtype == np.float32
    np.testing.assert_array_equal(out['img'][..., :3], before[..., :3] + 1)
    np.testing.assert_array_equal(out['img'][..., 3:], before[..., 3:])
    if x_dtype == 'uint16':
        assert out['img'][0, 0, 3] == 60000


def test_rgb_only_rounds_interpolated_float_rgb(seg_scope):
    """After a bilinear resize of a float stack RGB is fractional: it is rounded
    to the nearest 8-bit value, as the same resize does on a uint8 stack."""
    from mmrgbir.datasets.transforms import RGBOnly
    probe = Probe()
    res = stack('uint16')
    res['img'][0, 0, :3] = [100.4, 100.6, 254.5]
    RGBOnly(transforms=[probe])(res)
    assert probe.seen[0][0, 0].tolist() == [100, 101, 254]  # rint: half to even


@pytest.mark.parametrize('bad', [-3.0, 300.0, np.nan, np.inf])
def test_rgb_only_rejects_rgb_that_is_not_8_bit(seg_scope, bad):
    from mmseg.registry import TRANSFORMS
    res = stack('uint16')
    res['img'][1, 2, 1] = bad  # e.g. after Normalize / Rerange / bicubic overshoot
    t = TRANSFORMS.build(dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]))
    with pytest.raises(ValueError, match=r'RGBOnly\(PhotoMetricDistortion\).*RGB part.*'
                                         r'8-bit values 0\.\.255.*data preprocessor'):
        t(res)


def test_rgb_only_rejects_16_bit_rgb(seg_scope):
    from mmrgbir.datasets.transforms import RGBOnly
    res = stack('uint8')
    res['img'] = res['img'].astype(np.uint16) * 257  # a 16-bit stacked RGBA file
    with pytest.raises(ValueError, match='RGB part has dtype uint16'):
        RGBOnly(transforms=[Probe()])(res)


@pytest.mark.parametrize('t', [dict(type='CLAHE'), dict(type='AdjustGamma', gamma=2.0)],
                         ids=lambda t: t['type'])
@pytest.mark.parametrize('x_dtype', ['uint16', 'float32'])
def test_x_only_refuses_8_bit_transforms_on_wide_x(seg_scope, t, x_dtype):
    from mmseg.registry import TRANSFORMS
    res = stack(x_dtype)
    wrapper = TRANSFORMS.build(dict(type='XOnly', transforms=[t]))
    with pytest.raises(ValueError, match=rf'{t["type"]}.*8-bit.*X is {x_dtype}.*truncated'):
        wrapper(res)


def test_x_only_adjust_gamma_on_8_bit_x(seg_scope):
    """On an 8-bit X (uint8 stack, and float32 stack from to_float32) AdjustGamma
    is the 8-bit look-up table; RGB and labels are untouched."""
    from mmseg.registry import TRANSFORMS
    wrapper = TRANSFORMS.build(dict(type='XOnly', transforms=[
        dict(type='AdjustGamma', gamma=2.0)]))
    for dtype in (np.uint8, np.float32):
        res = stack('uint8', x_channels=3)
        res['img'] = res['img'].astype(dtype)
        before = res['img'].copy()
        out = wrapper(res)
        x = before[..., 3:].astype(np.float64)
        expected = np.floor((x / 255.0) ** 0.5 * 255)  # gamma 2: v -> 255 * sqrt(v / 255)
        np.testing.assert_array_equal(out['img'][..., 3:], expected.astype(dtype))
        assert out['img'][0, 0, 3] == 225  # 200 -> 225.83 -> 225
        np.testing.assert_array_equal(out['img'][..., :3], before[..., :3])
        assert out['img'].dtype == dtype


def test_x_only_hands_16_bit_x_as_exact_float(seg_scope):
    from mmrgbir.datasets.transforms import XOnly
    probe = Probe(delta=-1000)
    res = stack('uint16', x_channels=3)
    before = res['img'].copy()
    out = XOnly(transforms=[probe])(res)
    assert probe.seen[0].dtype == np.float32
    assert probe.seen[0][0, 0].tolist() == [60000, 30000, 20000]
    np.testing.assert_array_equal(out['img'][..., 3:], before[..., 3:] - 1000)
    np.testing.assert_array_equal(out['img'][..., :3], before[..., :3])


GEOMETRIC = [dict(type='RandomFlip', prob=1.0), dict(type='RandomRotate', prob=1.0, degree=10),
             dict(type='RandomCrop', crop_size=(2, 2)), dict(type='Resize', scale=(8, 6)),
             dict(type='RandomResize', scale=(8, 6), ratio_range=(0.5, 2.0)),
             dict(type='RandomApply', transforms=[dict(type='RandomFlip', prob=1.0)]),
             dict(type='RandomModalityDropout'), dict(type='RGBOnly', transforms=[])]


@pytest.mark.parametrize('wrapper', ['RGBOnly', 'XOnly'])
def test_wrappers_refuse_normalisation(seg_scope, wrapper):
    from mmseg.registry import TRANSFORMS
    for t in (dict(type='Normalize', mean=[0, 0, 0], std=[1, 1, 1]), dict(type='Rerange')):
        with pytest.raises(ValueError, match=rf'{wrapper} cannot wrap {t["type"]}.*'
                                             r'data preprocessor'):
            TRANSFORMS.build(dict(type=wrapper, transforms=[t]))


@pytest.mark.parametrize('wrapper', ['RGBOnly', 'XOnly'])
@pytest.mark.parametrize('t', GEOMETRIC, ids=lambda t: t['type'])
def test_wrappers_refuse_geometric_transforms_when_built(seg_scope, wrapper, t):
    from mmseg.registry import TRANSFORMS
    inner = t['transforms'][0]['type'] if t['type'] == 'RandomApply' else t['type']
    with pytest.raises(ValueError, match=rf'{wrapper} cannot wrap {inner}.*outside'):
        TRANSFORMS.build(dict(type=wrapper, transforms=[t]))


class _FlipImageAndLabel:
    """A custom geometric transform that the name check cannot know."""

    def __call__(self, results):
        results['img'] = results['img'][:, ::-1].copy()
        results['gt_seg_map'] = results['gt_seg_map'][:, ::-1].copy()
        return results


class _SetsHomography:

    def __call__(self, results):
        results['homography_matrix'] = np.eye(3)
        return results


@pytest.mark.parametrize('custom,key', [(_FlipImageAndLabel, 'gt_seg_map'),
                                        (_SetsHomography, 'homography_matrix')])
def test_wrappers_catch_custom_geometric_transforms_at_run_time(seg_scope, custom, key):
    from mmrgbir.datasets.transforms import RGBOnly, XOnly
    for wrapper in (RGBOnly, XOnly):
        with pytest.raises(ValueError, match=rf'changed results\["{key}"\].*geometric'):
            wrapper(transforms=[custom()])(stack('uint16'))


def test_wrappers_allow_changes_of_nothing_geometric(seg_scope):
    """The run-time guard does not fire on a photometric transform after a stacked
    RandomFlip set the flip keys (they exist before and are left alone)."""
    from mmseg.registry import TRANSFORMS
    pipe = [TRANSFORMS.build(dict(type='RandomFlip', prob=1.0)),
            TRANSFORMS.build(dict(type='RGBOnly', transforms=[dict(
                type='PhotoMetricDistortion', brightness_delta=60)]))]
    res = stack('uint16')
    x = res['img'][..., 3].copy()
    for t in pipe:
        res = t(res)
    np.testing.assert_array_equal(res['img'][..., 3], x[:, ::-1])
    np.testing.assert_array_equal(res['gt_seg_map'], np.arange(12).reshape(3, 4)[:, ::-1])


def test_wrappers_refuse_channel_changing_settings(seg_scope):
    from mmseg.registry import TRANSFORMS
    with pytest.raises(ValueError, match='RandomGrayscale would return 1 channel; set '
                                         'keep_channels=True'):
        TRANSFORMS.build(dict(type='RGBOnly', transforms=[dict(type='RandomGrayscale')]))
    with pytest.raises(ValueError, match='RGB2Gray would change the channel count'):
        TRANSFORMS.build(dict(type='RGBOnly', transforms=[dict(type='RGB2Gray',
                                                               out_channels=1)]))
    # grey RGB with the channel count kept: 3 equal channels, X untouched
    t = TRANSFORMS.build(dict(type='RGBOnly', transforms=[
        dict(type='RandomGrayscale', prob=1.0, keep_channels=True)]))
    res = stack('uint16')
    x = res['img'][..., 3].copy()
    out = t(res)
    grey = np.floor(COLOURS.astype(np.float64).mean(axis=1))  # equal weights, then uint8
    np.testing.assert_array_equal(out['img'][:, 0, :3], np.repeat(grey[:, None], 3, axis=1))
    np.testing.assert_array_equal(out['img'][..., 3], x)
