# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
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
    x_mean, x_std = [100.0] * x_channels, [40.0] * x_channels
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
    x_mean, x_std = [90.0] * x_channels, [60.0] * x_channels
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
