# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""SOD losses (soft IoU, SSIM) and the class-weighted CE: known values, mmseg interface."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmrgbir.models.losses.class_weighted_ce import ClassWeightedCrossEntropyLoss
from mmrgbir.models.losses.soft_iou_loss import SoftIoULoss
from mmrgbir.models.losses.ssim_loss import SSIMLoss, gaussian_window, ssim_map

BIG = 30.0  # a logit whose sigmoid is 1 - 1e-13


def _mask(n=2, h=24, w=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    label = (torch.rand(n, h, w, generator=g) > 0.6).long()
    label[:, 4:10, 5:12] = 1
    return label


def _perfect_logits(label, channels):
    if channels == 1:
        return (label.float() * 2 - 1)[:, None] * BIG
    return torch.stack([(1 - label.float()) * BIG, label.float() * BIG], dim=1)


@pytest.mark.parametrize('channels', [1, 2])
def test_perfect_prediction_costs_nothing(channels):
    label = _mask()
    logits = _perfect_logits(label, channels)
    assert SoftIoULoss()(logits, label).item() == pytest.approx(0.0, abs=1e-6)
    assert SSIMLoss()(logits, label).item() == pytest.approx(0.0, abs=1e-6)


def test_soft_iou_hand_computed():
    # one 1x4 image: p = (0.5, 0.5, 1, 0) on g = (1, 0, 1, 1)
    p = torch.tensor([0.5, 0.5, 1.0, 0.0])
    logits = torch.logit(p.clamp(1e-7, 1 - 1e-7)).view(1, 1, 1, 4)
    label = torch.tensor([1, 0, 1, 1]).view(1, 1, 4)
    inter = 0.5 + 1.0                      # sum p * g
    union = 2.0 + 3.0 - inter              # sum p + sum g - inter
    expected = 1 - inter / union           # 1 - 1.5 / 3.5
    assert SoftIoULoss()(logits, label).item() == pytest.approx(expected, abs=1e-5)
    # the ignored pixel leaves both sums; loss_weight scales
    label_ign = torch.tensor([1, 255, 1, 1]).view(1, 1, 4)
    expected_ign = 1 - 1.5 / (1.5 + 3.0 - 1.5)
    loss = SoftIoULoss(loss_weight=2.0)(logits, label_ign, ignore_index=255)
    assert loss.item() == pytest.approx(2 * expected_ign, abs=1e-5)


def test_one_and_two_channel_logits_agree():
    label = _mask(seed=1)
    z = torch.randn(2, 1, 24, 20)
    two = torch.cat([torch.zeros_like(z), z], dim=1)  # softmax fg = sigmoid(z)
    for loss in (SoftIoULoss(), SSIMLoss()):
        assert loss(z, label).item() == pytest.approx(loss(two, label).item(), abs=1e-6)


def test_reductions_and_empty_images():
    label = torch.zeros(2, 8, 8, dtype=torch.long)
    logits = torch.full((2, 1, 8, 8), -BIG)  # empty prediction on an empty mask
    assert SoftIoULoss()(logits, label).item() == pytest.approx(0.0, abs=1e-5)
    per_image = SoftIoULoss(reduction='none')(torch.randn(2, 1, 8, 8), _mask(2, 8, 8))
    assert per_image.shape == (2, )
    total = SoftIoULoss(reduction='sum')(torch.randn(2, 1, 8, 8), _mask(2, 8, 8))
    assert total.dim() == 0
    # an all-ignored image costs nothing
    ign = torch.full((1, 8, 8), 255, dtype=torch.long)
    assert SSIMLoss()(torch.randn(1, 1, 8, 8), ign).item() == 0.0
    assert SoftIoULoss()(torch.randn(1, 1, 8, 8), ign).item() == pytest.approx(0.0)
    with pytest.raises(ValueError, match='reduction'):
        SoftIoULoss(reduction='avg')
    with pytest.raises(ValueError, match='labels in'):
        SoftIoULoss()(torch.randn(1, 1, 4, 4), torch.full((1, 4, 4), 3))
    with pytest.raises(ValueError, match='logits'):
        SSIMLoss()(torch.randn(1, 3, 4, 4), torch.zeros(1, 4, 4, dtype=torch.long))


def test_ssim_identical_maps_is_one_and_constant_maps_closed_form():
    x = torch.rand(2, 16, 16)
    assert torch.allclose(ssim_map(x, x), torch.ones(2, 16, 16), atol=1e-5)
    # constant a vs constant b: away from the zero-padded border
    # SSIM = (2ab + C1) / (a^2 + b^2 + C1) (both variances 0)
    a, b, c1 = 0.8, 0.3, 0.01 ** 2
    m = ssim_map(torch.full((1, 32, 32), a, dtype=torch.float64),
                 torch.full((1, 32, 32), b, dtype=torch.float64))
    assert m[0, 16, 16].item() == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1),
                                                rel=1e-5)


def test_ssim_center_pixel_matches_numpy():
    rng = np.random.default_rng(0)
    x, y = rng.random((11, 11)), rng.random((11, 11))
    w = gaussian_window(11, 1.5, torch.float64)[0, 0].numpy()
    assert w.sum() == pytest.approx(1.0)
    mx, my = (w * x).sum(), (w * y).sum()
    vx, vy = (w * x * x).sum() - mx ** 2, (w * y * y).sum() - my ** 2
    cxy = (w * x * y).sum() - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    expected = (2 * mx * my + c1) * (2 * cxy + c2) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    got = ssim_map(torch.from_numpy(x)[None], torch.from_numpy(y)[None])[0, 5, 5].item()
    assert got == pytest.approx(expected, rel=1e-9)


def test_losses_have_gradients_and_mmseg_names():
    label = _mask()
    logits = torch.randn(2, 1, 24, 20, requires_grad=True)
    for loss, name in ((SoftIoULoss(), 'loss_iou'), (SSIMLoss(), 'loss_ssim')):
        assert loss.loss_name == name
        value = loss(logits, label, weight=None, ignore_index=255)
        grad, = torch.autograd.grad(value, logits)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    assert SoftIoULoss(loss_name='loss_iou_aux').loss_name == 'loss_iou_aux'


def test_in_an_mmseg_decode_head():
    """Registered names build in a stock head's loss_decode list (BCE + IoU + SSIM)."""
    import mmrgbir  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    init_default_scope('mmseg')
    head = MODELS.build(dict(
        type='FCNHead', in_channels=8, channels=8, num_convs=1, num_classes=2,
        out_channels=1, threshold=0.5,
        loss_decode=[dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                     dict(type='SoftIoULoss', loss_weight=1.0),
                     dict(type='SSIMLoss', loss_weight=1.0)]))
    samples = []
    for lab in _mask(2, 16, 16):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=lab[None])
        samples.append(s)
    losses = head.loss([torch.randn(2, 8, 4, 4)], samples, train_cfg=None)
    assert {'loss_ce', 'loss_iou', 'loss_ssim'} <= set(losses)
    assert all(torch.isfinite(losses[k]) for k in ('loss_ce', 'loss_iou', 'loss_ssim'))


def test_class_weighted_ce_matches_pytorch_with_ignored_pixels():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 4, 6, 6, generator=g)
    label = torch.randint(0, 4, (2, 6, 6), generator=g)
    label[0, :2] = 255
    w = [1.0, 2.0, 0.5, 4.0]
    ref = F.cross_entropy(logits, label, weight=torch.tensor(w), ignore_index=255)
    loss = ClassWeightedCrossEntropyLoss(class_weight=w, loss_name='loss_ce')
    assert loss(logits, label, ignore_index=255).item() == pytest.approx(ref.item(), rel=1e-6)
    # hand form: sum w_y * CE / sum w_y over the valid pixels
    valid = label != 255
    ce = F.cross_entropy(logits, label.clamp(max=3), reduction='none')
    wy = torch.tensor(w)[label.clamp(max=3)]
    manual = (ce * wy)[valid].sum() / wy[valid].sum()
    assert ref.item() == pytest.approx(manual.item(), rel=1e-6)
    # a per-pixel weight of ones changes nothing
    ones = torch.ones(2, 6, 6)
    assert loss(logits, label, weight=ones).item() == pytest.approx(ref.item(), rel=1e-6)
    with pytest.raises(ValueError, match='class weights'):
        ClassWeightedCrossEntropyLoss(class_weight=[1.0, 2.0])(logits, label)
    assert math.isfinite(ClassWeightedCrossEntropyLoss()(logits, label).item())
