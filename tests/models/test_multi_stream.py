# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""MultiStreamBackbone and the N-stream fusion necks."""
import pytest
import torch
import torch.nn as nn

from mmrgbir.models.backbones import DualStreamBackbone, MultiStreamBackbone
from mmrgbir.models.necks import AddFusion, CMNeXtFusion, ConcatFusion, SelfQueryHub
from mmrgbir.registry import MODELS

STREAM = dict(type='ResNetV1c', depth=18, in_channels=3, num_stages=4, out_indices=(0, 1, 2, 3),
              stem_channels=8, base_channels=8, norm_cfg=dict(type='BN'), norm_eval=False)
CHANNELS = [8, 16, 32, 64]


def distinct_input():
    torch.manual_seed(0)
    return torch.cat([torch.randn(2, 3, 32, 32), 2 + torch.randn(2, 1, 32, 32),
                      -3 + torch.randn(2, 1, 32, 32)], dim=1)


def test_streams_see_their_own_channels(seg_scope):
    """With AddFusion the output is the sum of each stream run on its own part,
    computed here stream by stream (a wrong split or order changes it)."""
    model = MultiStreamBackbone(STREAM, modalities=('rgb', 'thermal', 'depth'),
                                channels=(3, 1, 1), fusion=dict(type='AddFusion')).eval()
    inputs = distinct_input()
    out = model(inputs)
    rgb = model.streams['rgb'](inputs[:, :3])
    th = model.streams['thermal'](inputs[:, 3:4].expand(-1, 3, -1, -1))
    de = model.streams['depth'](inputs[:, 4:5].expand(-1, 3, -1, -1))
    for lvl, (o, a, b, c) in enumerate(zip(out, rgb, th, de)):
        assert o.shape == (2, CHANNELS[lvl], 8 // 2 ** lvl, 8 // 2 ** lvl)  # strides 4-32
        torch.testing.assert_close(o, a + b + c)
    # swapping thermal and depth in the input changes the output
    swapped = inputs[:, [0, 1, 2, 4, 3]]
    assert not torch.allclose(model(swapped)[0], out[0])


def test_errors_and_freezing(seg_scope):
    with pytest.raises(ValueError, match=r'expected \(B, 5, H, W\)'):
        MultiStreamBackbone(STREAM, modalities=('rgb', 'thermal', 'depth'),
                            channels=(3, 1, 1))(torch.zeros(1, 4, 32, 32))
    with pytest.raises(KeyError, match="frozen names \\['sonar'\\]"):
        MultiStreamBackbone(STREAM, modalities=('rgb', 'depth'), channels=(3, 1),
                            frozen=('sonar',))
    with pytest.raises(ValueError, match='unique'):
        MultiStreamBackbone(STREAM, modalities=('rgb', 'rgb'), channels=(3, 3))
    model = MultiStreamBackbone(STREAM, modalities=('rgb', 'thermal', 'depth'),
                                channels=(3, 1, 1), frozen=('rgb',))
    assert not any(p.requires_grad for p in model.streams['rgb'].parameters())
    assert all(p.requires_grad for p in model.streams['depth'].parameters())
    model.train()
    first_bn = {name: next(m for m in stream.modules() if isinstance(m, nn.BatchNorm2d))
                for name, stream in model.streams.items()}
    assert not first_bn['rgb'].training and first_bn['depth'].training
    shared = MultiStreamBackbone(STREAM, modalities=('rgb', 'thermal', 'depth'),
                                 channels=(3, 1, 1), share_weights=True)
    assert shared.streams['rgb'] is shared.streams['depth']


def test_two_stream_fusions_are_unchanged_and_take_n_streams():
    torch.manual_seed(1)
    a, b, c = ([torch.randn(2, ch, 4, 4) for ch in (4, 8)] for _ in range(3))
    add = AddFusion()
    assert all(torch.equal(o, x + y) for o, x, y in zip(add(a, b), a, b))
    assert all(torch.equal(o, x + y + z) for o, x, y, z in zip(add(a, b, c), a, b, c))
    cat3 = ConcatFusion([4, 8], num_streams=3).eval()
    out = cat3(a, b, c)
    expected = cat3.convs[0](torch.cat([a[0], b[0], c[0]], 1))
    assert torch.equal(out[0], expected) and out[1].shape == (2, 8, 4, 4)
    with pytest.raises(ValueError, match='built for 3 streams'):
        cat3(a, b)
    with pytest.raises(ValueError, match='at least two streams'):
        add(a)


def test_self_query_hub_weights_sum_to_one():
    torch.manual_seed(2)
    hub = SelfQueryHub(8).eval()
    f = torch.randn(2, 8, 5, 5)
    # identical auxiliary maps: the softmax weights sum to 1, so the hub is that map
    # (before the mixer), whatever the number of modalities
    one, three = hub([f]), hub([f, f, f])
    torch.testing.assert_close(one, three)
    torch.testing.assert_close(one, f + hub.mix(f))
    g = torch.randn(2, 8, 5, 5)
    torch.testing.assert_close(hub([f, g]), hub([g, f]))  # order does not matter
    # by hand: per-pixel softmax of the scores over the two maps
    s = torch.stack([hub.score(f), hub.score(g)], 1).softmax(1)
    mixed = s[:, 0] * f + s[:, 1] * g
    torch.testing.assert_close(hub([f, g]), mixed + hub.mix(mixed))


def test_cmnext_fusion_in_a_model(seg_scope):
    fusion = CMNeXtFusion(CHANNELS)
    model = MultiStreamBackbone(STREAM, modalities=('rgb', 'thermal', 'depth'),
                                channels=(3, 1, 1),
                                fusion=dict(type='CMNeXtFusion', in_channels=CHANNELS))
    outs = model(distinct_input())
    assert [tuple(o.shape) for o in outs] == [(2, c, 8 // 2 ** i, 8 // 2 ** i)
                                              for i, c in enumerate(CHANNELS)]
    sum(o.mean() for o in outs).backward()
    assert all(p.grad is not None for p in model.fusion.hubs.parameters())
    assert isinstance(fusion, CMNeXtFusion)
    # the two-modality backbone still calls fusion(rgb, x)
    dual = DualStreamBackbone(STREAM, fusion=dict(type='AddFusion'), x_channels=1)
    assert len(dual(distinct_input()[:, :4])) == 4
    assert MODELS.get('MultiStreamBackbone') is MultiStreamBackbone
