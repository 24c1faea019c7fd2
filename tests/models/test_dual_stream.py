# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
import pytest
import torch

STREAM = dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
              out_indices=(0, 1, 2, 3), norm_cfg=dict(type='BN'))
CH = [8, 16, 32, 64]


def _feats(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(2, c, 16 // 2 ** i, 20 // 2 ** i, generator=g) for i, c in enumerate(CH)]


@pytest.mark.parametrize('cfg', [dict(type='AddFusion'), dict(type='ConcatFusion', in_channels=CH),
                                 dict(type='CMXFusion', in_channels=CH, num_heads=[1, 1, 2, 2])])
def test_fusion_necks_keep_shapes(seg_scope, cfg):
    from mmrgbir.registry import MODELS
    neck = MODELS.build(cfg)
    rgb, x = _feats(0), _feats(1)
    for t in rgb:
        t.requires_grad_(True)
    out = neck(rgb, x)
    assert [o.shape for o in out] == [r.shape for r in rgb]
    if cfg['type'] == 'AddFusion':
        for o, r, xx in zip(out, rgb, x):
            torch.testing.assert_close(o, r + xx)
    out[-1].sum().backward()  # differentiable end to end
    with pytest.raises(ValueError, match='level 0'):
        neck(rgb, [t[:, :, :-1] for t in x])


def test_cmx_rectification_mixes_both_streams(seg_scope):
    from mmrgbir.models.necks import CrossModalRectification
    rect = CrossModalRectification(8)
    rgb, x = torch.randn(1, 8, 4, 5), torch.randn(1, 8, 4, 5)
    r1, x1 = rect(rgb, x)
    r2, _ = rect(rgb, x * 2)
    assert not torch.allclose(r1, r2), 'the RGB output must depend on X'
    assert r1.shape == rgb.shape and x1.shape == x.shape


def test_dual_stream_separate_shared_frozen(seg_scope):
    from mmrgbir.models.backbones import DualStreamBackbone
    inp = torch.randn(2, 4, 64, 64)
    sep = DualStreamBackbone(STREAM, fusion=dict(type='ConcatFusion', in_channels=CH),
                             x_channels=1)
    shared = DualStreamBackbone(STREAM, share_weights=True, x_channels=1)
    assert shared.x_backbone is shared.rgb_backbone
    n_sep = sum(p.numel() for p in sep.rgb_backbone.parameters())
    assert sum(p.numel() for p in shared.parameters()) == n_sep
    outs = sep(inp)
    assert [o.shape[1] for o in outs] == CH and outs[0].shape[-2:] == (16, 16)
    frozen = DualStreamBackbone(STREAM, freeze_rgb=True, x_channels=1)
    frozen.train()
    assert all(not p.requires_grad for p in frozen.rgb_backbone.parameters())
    assert all(p.requires_grad for p in frozen.x_backbone.parameters())
    bn = frozen.rgb_backbone.stem[1]
    assert not bn.training and frozen.x_backbone.stem[1].training
    before = bn.running_mean.clone()
    frozen(inp)
    torch.testing.assert_close(bn.running_mean, before)  # frozen statistics stay frozen
    with pytest.raises(ValueError, match='expected 3 \\+ 1 channels'):
        sep(torch.randn(1, 6, 64, 64))


def test_single_modality_baselines_see_one_modality(seg_scope):
    from mmrgbir.models.backbones import SingleModalityBackbone
    torch.manual_seed(0)
    rgb_only = SingleModalityBackbone(STREAM, modality='rgb').eval()
    x_only = SingleModalityBackbone(STREAM, modality='x').eval()
    inp = torch.randn(1, 4, 32, 32)
    changed_x = inp.clone()
    changed_x[:, 3] += 5
    changed_rgb = inp.clone()
    changed_rgb[:, :3] += 5
    torch.testing.assert_close(rgb_only(inp)[-1], rgb_only(changed_x)[-1])
    torch.testing.assert_close(x_only(inp)[-1], x_only(changed_rgb)[-1])
    assert not torch.allclose(x_only(inp)[-1], x_only(changed_x)[-1])


def test_early_fusion_through_config(seg_scope):
    """Early fusion needs no wrapper: X channels go into the stock first layer."""
    from mmrgbir.registry import MODELS
    net = MODELS.build(dict(STREAM, in_channels=4))
    assert net(torch.randn(2, 4, 32, 32))[0].shape[1] == 8
