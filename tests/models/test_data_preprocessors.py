# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
import numpy as np
import pytest
import torch


def _inputs(h=20, w=24, x_channels=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (3 + x_channels, h, w), generator=g).to(torch.uint8)


MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


def _expected(img, x_mean, x_std):
    img = img.float()
    rgb = img[[2, 1, 0]]  # BGR -> RGB on the RGB part only
    rgb = (rgb - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)
    x = (img[3:] - torch.tensor(x_mean).view(-1, 1, 1)) / torch.tensor(x_std).view(-1, 1, 1)
    return torch.cat([rgb, x])


@pytest.mark.parametrize('x_channels', [1, 3])
def test_seg_preprocessor_per_modality(seg_scope, x_channels):
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    from mmrgbir.models.data_preprocessors import RGBXSegDataPreProcessor
    # distinct per-channel statistics: a reordered or shared X statistic would show
    x_mean, x_std = [100.0, 50.0, 20.0][:x_channels], [40.0, 20.0, 10.0][:x_channels]
    pre = RGBXSegDataPreProcessor(MEAN, STD, x_mean, x_std, bgr_to_rgb=True,
                                  size=(32, 32), pad_val=0, seg_pad_val=255)
    imgs = [_inputs(20, 24, x_channels, s) for s in range(2)]
    samples = []
    for _ in imgs:
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.zeros(1, 20, 24, dtype=torch.long))
        samples.append(s)
    out = pre(dict(inputs=imgs, data_samples=samples), training=True)
    assert out['inputs'].shape == (2, 3 + x_channels, 32, 32)
    for i, img in enumerate(imgs):
        torch.testing.assert_close(out['inputs'][i, :, :20, :24], _expected(img, x_mean, x_std))
    assert (out['inputs'][:, :, 20:] == 0).all()  # padded after normalisation, like stock
    assert (out['data_samples'][0].gt_sem_seg.data[:, 20:] == 255).all()
    # inference without padding keeps the size (stock slide / whole inference work)
    test = pre(dict(inputs=imgs, data_samples=samples), training=False)
    assert test['inputs'].shape == (2, 3 + x_channels, 20, 24)


def test_seg_preprocessor_matches_stock_on_rgb(seg_scope):
    """The RGB part is normalised exactly like the stock 3-channel preprocessor."""
    from mmseg.models.data_preprocessor import SegDataPreProcessor
    from mmrgbir.models.data_preprocessors import RGBXSegDataPreProcessor
    imgs = [_inputs()]
    ours = RGBXSegDataPreProcessor(MEAN, STD, [0.], [1.], bgr_to_rgb=True)
    stock = SegDataPreProcessor(mean=MEAN, std=STD, bgr_to_rgb=True)
    a = ours(dict(inputs=imgs), training=False)['inputs']
    b = stock(dict(inputs=[imgs[0][:3]]), training=False)['inputs']
    torch.testing.assert_close(a[:, :3], b)
    torch.testing.assert_close(a[:, 3:], imgs[0][3:].float()[None])


def test_channel_count_mismatch_names_the_keys(seg_scope):
    from mmrgbir.models.data_preprocessors import RGBXSegDataPreProcessor
    pre = RGBXSegDataPreProcessor(MEAN, STD, [1., 2., 3.], [1., 1., 1.])
    with pytest.raises(ValueError, match=r'\(4, 20, 24\).*6 channels.*x_mean'):
        pre(dict(inputs=[_inputs()]), training=False)
    with pytest.raises(ValueError, match='x_mean and x_std are required'):
        RGBXSegDataPreProcessor(MEAN, STD, None, None)
    with pytest.raises(ValueError, match='same, non-zero length'):
        RGBXSegDataPreProcessor(MEAN, STD, [1., 2.], [1.])


@pytest.mark.parametrize('x_channels', [1, 3])
def test_det_preprocessor_keeps_every_channel(det_scope, x_channels):
    from mmdet.structures import DetDataSample
    from mmrgbir.models.data_preprocessors.det_data_preprocessor import \
        RGBXDetDataPreprocessor
    x_mean, x_std = [90.0, 30.0, 160.0][:x_channels], [60.0, 15.0, 5.0][:x_channels]
    pre = RGBXDetDataPreprocessor(MEAN, STD, x_mean, x_std, bgr_to_rgb=True,
                                  pad_size_divisor=32)
    imgs = [_inputs(20, 24, x_channels, s) for s in range(2)]
    samples = [DetDataSample(metainfo=dict(img_shape=(20, 24))) for _ in imgs]
    out = pre(dict(inputs=imgs, data_samples=samples), training=False)
    assert out['inputs'].shape == (2, 3 + x_channels, 32, 32)
    for i, img in enumerate(imgs):
        torch.testing.assert_close(out['inputs'][i, :, :20, :24], _expected(img, x_mean, x_std))
    assert out['data_samples'][0].batch_input_shape == (32, 32)


def test_det_preprocessor_built_lazily_from_root_registry(det_scope):
    from mmdet.registry import MODELS
    pre = MODELS.build(dict(type='RGBXDetDataPreprocessor', mean=MEAN, std=STD,
                            x_mean=[0.], x_std=[1.]))
    assert type(pre).__name__ == 'RGBXDetDataPreprocessor'


def test_one_pixel_by_hand(seg_scope):
    """Values worked out by hand: stored B, G, R = 10, 20, 30 and X = 200, 100, 50."""
    from mmrgbir.models.data_preprocessors import RGBXSegDataPreProcessor
    pre = RGBXSegDataPreProcessor(mean=[1., 2., 3.], std=[1., 2., 4.],
                                  x_mean=[100., 50., 10.], x_std=[50., 25., 5.])
    img = torch.tensor([10, 20, 30, 200, 100, 50], dtype=torch.uint8).view(6, 1, 1)
    out = pre(dict(inputs=[img]), training=False)['inputs'].flatten().tolist()
    # R = (30 - 1) / 1, G = (20 - 2) / 2, B = (10 - 3) / 4; X = (200-100)/50, (100-50)/25,
    # (50-10)/5
    assert out == pytest.approx([29.0, 9.0, 1.75, 2.0, 2.0, 8.0])


# ---------------------------------------------- statistics in the tensor order (VT5000)


def _write_x_rgb(path, r, g, b):
    """A 3-channel X file written by PIL with the given R, G, B planes."""
    import os
    from PIL import Image
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.stack([r, g, b], axis=2).astype(np.uint8)).save(path)


def _load_and_normalise(pairs, pre, load=None):
    from mmrgbir.datasets.transforms import LoadRGBXImageFromFile, PackRGBXSegInputs
    load, pack = load or LoadRGBXImageFromFile(x_channels=3), PackRGBXSegInputs()
    packed = [pack(load(dict(img_path=r, x_path=x))) for r, x in pairs]
    out = pre(dict(inputs=[p['inputs'] for p in packed],
                   data_samples=[p['data_samples'] for p in packed]), training=False)
    return out['inputs']  # (B, 6, H, W)


def test_statistics_tool_gives_zero_mean_through_loader_and_preprocessor(seg_scope,
                                                                         tmp_path):
    """modality_stats -> RGBXSegDataPreProcessor: every channel ~ mean 0, std 1, and the
    X statistics are the file's R, G, B statistics in that order (computed here with
    numpy from the arrays written, not by the code under test)."""
    import os
    from PIL import Image
    from rgbx_testing import load_tool
    from mmrgbir.models.data_preprocessors import RGBXSegDataPreProcessor
    rng = np.random.default_rng(0)
    planes, pairs = [], []
    for i in range(2):
        r = rng.integers(150, 250, (24, 32))   # distinct ranges per channel
        g = rng.integers(60, 120, (24, 32))
        b = rng.integers(0, 40, (24, 32))
        rgb = rng.integers(0, 256, (24, 32, 3)).astype(np.uint8)
        rgb_path, x_path = str(tmp_path / 'rgb' / f'{i}.png'), str(tmp_path / 'x' / f'{i}.png')
        os.makedirs(tmp_path / 'rgb', exist_ok=True)
        Image.fromarray(rgb).save(rgb_path)
        _write_x_rgb(x_path, r, g, b)
        planes.append((rgb, np.stack([r, g, b], axis=2)))
        pairs.append((rgb_path, x_path))
    stats = load_tool('tools/analysis/modality_stats.py').main(
        ['--rgb-dir', str(tmp_path / 'rgb'), '--x-dir', str(tmp_path / 'x')])
    all_rgb = np.concatenate([p[0].reshape(-1, 3) for p in planes]).astype(np.float64)
    all_x = np.concatenate([p[1].reshape(-1, 3) for p in planes]).astype(np.float64)
    np.testing.assert_allclose(stats['x_mean'], all_x.mean(0), atol=1e-3)  # R, G, B
    np.testing.assert_allclose(stats['x_std'], all_x.std(0), atol=1e-3)
    np.testing.assert_allclose(stats['mean'], all_rgb.mean(0), atol=1e-3)
    assert stats['x_mean'][0] > 150 > stats['x_mean'][1] > 60 > stats['x_mean'][2]
    pre = RGBXSegDataPreProcessor(stats['mean'], stats['std'], stats['x_mean'],
                                  stats['x_std'], bgr_to_rgb=True)
    out = _load_and_normalise(pairs, pre)
    per_channel = out.transpose(0, 1).reshape(6, -1)
    torch.testing.assert_close(per_channel.mean(1), torch.zeros(6), atol=1e-3, rtol=0)
    torch.testing.assert_close(per_channel.std(1, unbiased=False), torch.ones(6),
                               atol=1e-3, rtol=0)


def _vt5000_configs():
    """Every full (not tiny) config trained on VT5000."""
    import glob
    import os.path as osp
    from rgbx_testing import REPO
    # (IV-tuning's SOD recipe turns the thermal file to grey and divides by 255, as
    # the official run does: no per-channel statistics)
    found = sorted(osp.relpath(p, REPO) for p in glob.glob(
        osp.join(REPO, 'configs', '*', '*vt5000*.py')) if '/ivtuning/' not in p)
    assert len(found) >= 3, found  # UniRGB-IR, IV-tuning, the fusion baseline
    return found


VT5000_CONFIGS = _vt5000_configs()
#: the published VT5000 thermal statistics, by colour channel of the files
VT5000_THERMAL = dict(R=(192.21, 61.55), G=(92.03, 68.76), B=(87.13, 53.08))


@pytest.mark.parametrize('config', VT5000_CONFIGS)
def test_vt5000_config_statistics_match_the_tensor_order(seg_scope, tmp_path, config):
    """A thermal file whose R, G, B planes have the published means / stds (two levels
    mean +- std per plane) comes out of the config's loader + preprocessor with
    per-channel mean ~0 and std ~1; listing the statistics B, G, R gives |mean| > 1."""
    import os.path as osp
    from mmengine.config import Config
    from mmseg.registry import MODELS
    from PIL import Image
    from rgbx_testing import REPO
    import mmrgbir  # noqa: F401
    cfg = Config.fromfile(osp.join(REPO, config))
    loaders = []

    def find(node):  # every LoadRGBXImageFromFile of the config (wrapped datasets too)
        if isinstance(node, dict):
            if node.get('type') == 'LoadRGBXImageFromFile':
                loaders.append(node)
            for v in node.values():
                find(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                find(v)

    find(cfg.to_dict())
    assert loaders and all(t.get('x_channels') == 3 for t in loaders)
    pre = MODELS.build(cfg.model.data_preprocessor)
    h, w = 8, 10
    top = np.arange(h * w).reshape(h, w) % 2 == 0  # half the pixels at mean + std
    planes = [np.where(top, m + s, m - s).round() for m, s in VT5000_THERMAL.values()]
    x_path = str(tmp_path / 'T' / 'a.png')
    _write_x_rgb(x_path, *planes)
    rgb_path = str(tmp_path / 'RGB' / 'a.png')
    import os
    os.makedirs(osp.dirname(rgb_path))
    Image.fromarray(np.full((h, w, 3), 120, np.uint8)).save(rgb_path)
    from mmrgbir.registry import TRANSFORMS
    out = _load_and_normalise([(rgb_path, x_path)], pre, TRANSFORMS.build(loaders[0]))
    out = out[0, 3:].reshape(3, -1)
    torch.testing.assert_close(out.mean(1), torch.zeros(3), atol=0.02, rtol=0)
    torch.testing.assert_close(out.std(1, unbiased=False), torch.ones(3), atol=0.02, rtol=0)


# ------------------------------------------------ stock preprocessors on stacked input


def _stacked_samples(sample_cls, n=2):
    from mmrgbir.structures import make_layout
    return [sample_cls(metainfo=dict(img_path=f'rgb/{i}.png', img_shape=(20, 24),
                                     ori_shape=(20, 24),
                                     modality_layout=make_layout(1, 'thermal')))
            for i in range(n)]


def test_stock_seg_preprocessor_on_stacked_input_raises(seg_scope):
    from mmseg.models.data_preprocessor import SegDataPreProcessor
    from mmseg.structures import SegDataSample
    import mmrgbir  # noqa: F401  (installs the check)
    stock = SegDataPreProcessor(mean=MEAN + [110.], std=STD + [50.], bgr_to_rgb=True)
    imgs = [_inputs(), _inputs(seed=1)]
    with pytest.raises(TypeError, match=r'SegDataPreProcessor received stacked RGB-X images '
                                        r'\(3 RGB \+ 1 thermal.*rgb/0\.png.*skips bgr_to_rgb'
                                        r'.*type="RGBXSegDataPreProcessor"'):
        stock(dict(inputs=imgs, data_samples=_stacked_samples(SegDataSample)), False)
    # not stacked RGB-X (no modality layout): the stock preprocessor is left alone
    plain = [SegDataSample(metainfo=dict(img_shape=(20, 24))) for _ in imgs]
    assert stock(dict(inputs=imgs, data_samples=plain), False)['inputs'].shape == (2, 4, 20, 24)
    # ours is let through
    from mmrgbir.models.data_preprocessors import RGBXSegDataPreProcessor
    ours = RGBXSegDataPreProcessor(MEAN, STD, [110.], [50.])
    ours(dict(inputs=imgs, data_samples=_stacked_samples(SegDataSample)), False)


def test_stock_det_preprocessor_on_stacked_input_raises(det_scope):
    from mmdet.models.data_preprocessors import DetDataPreprocessor
    from mmdet.structures import DetDataSample
    import mmrgbir  # noqa: F401
    # (mmdet asserts a mean of 1 or 3 values: with RGB statistics on a 4-channel input
    # it would fail in broadcasting, and without statistics pass the raw values on)
    stock = DetDataPreprocessor(mean=MEAN, std=STD, bgr_to_rgb=True)
    with pytest.raises(TypeError, match='type="RGBXDetDataPreprocessor"'):
        stock(dict(inputs=[_inputs()], data_samples=_stacked_samples(DetDataSample, 1)), False)
