# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""UniRGB-IR: published parameter counts, identity at init, frozen weights, deformable
attention against mmcv, pretrained formats, input checks, use from mmseg."""
import re
from functools import partial

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmrgbir.models.adapters.ms_deform_attn import (MSDeformAttn, level_start_index,
                                                    multi_scale_deformable_attn_pytorch)
from mmrgbir.models.backbones.unirgbir_vit import UniRGBIRViT
from mmrgbir.models.utils.param_report import count_parameters, parameter_table

# Published figures (methods.md, section 1)
PUBLISHED_ADAPTER = 8.90e6
PUBLISHED_FROZEN_VIT = 85.8e6
REL_POS_AT_1024 = 92_672   # timm samvit_base_patch16 at img_size 1024, 12 blocks

# A tiny variant that still has windowed blocks with padding (window 3 on a 4x6 grid),
# global blocks, four injections, three gates and a resized position embedding.
TINY = dict(img_size=64, embed_dim=64, depth=4, num_heads=2, window_size=3,
            global_attn_indexes=(1, 3), interaction_indexes=(0, 1, 2, 3),
            pretrain_img_size=32, pool_channels=8, drop_path_rate=0.0)


def tiny(**kwargs) -> UniRGBIRViT:
    torch.manual_seed(0)
    cfg = dict(TINY)
    cfg.update(kwargs)
    return UniRGBIRViT(**cfg)


def frozen_vit_forward_features(model: UniRGBIRViT, rgb: torch.Tensor):
    """The frozen ViT alone, as stage outputs (B, C, h, w)."""
    x = model.vit.embed(rgb)
    outs = []
    for begin, end in model.stage_ranges:
        for blk in model.vit.blocks[begin:end]:
            x = blk(x)
        outs.append(x.permute(0, 3, 1, 2))
    return outs


# ---------------------------------------------------------------------------------------
# 1. Published parameter counts
# ---------------------------------------------------------------------------------------
def test_full_size_parameter_counts():
    model = UniRGBIRViT()   # the published configuration (ViT-B/16, 1024, x_channels=1)
    counts = model.parameter_counts()
    trainable, total = count_parameters(model)
    frozen = total - trainable
    print('\n' + parameter_table(model, depth=1))
    print(f'adapter (MFP + SFI + gates) = {counts["adapter"]:,} '
          f'(MFP {counts["feature_pool"]:,}, SFI {counts["injectors"]:,}, '
          f'gates {counts["gates"]:,}); rel-pos tables = {counts["rel_pos"]:,}; '
          f'trainable = {trainable:,}; frozen ViT = {frozen:,}; total = {total:,}')

    # The published 8.90 M is the adapter alone: MFP + 4 SFI + 3 gates = 8,904,400.
    # Counting the trainable rel-pos tables too gives 8,997,072 (9.00 M), 1.1 % off.
    assert abs(counts['adapter'] - PUBLISHED_ADAPTER) / PUBLISHED_ADAPTER < 0.005
    assert counts['adapter'] == 8_904_400
    assert counts['rel_pos'] == REL_POS_AT_1024
    assert trainable == counts['adapter'] + counts['rel_pos']
    assert abs(frozen - PUBLISHED_FROZEN_VIT) / PUBLISHED_FROZEN_VIT < 0.005
    assert frozen == counts['vit_frozen'] == 85_795_584

    # the trainable set is exactly the adapter plus the rel-pos tables
    for name, p in model.named_parameters():
        expected = (not name.startswith('vit.')) or bool(
            re.fullmatch(r'vit\.blocks\.\d+\.attn\.rel_pos_[hw]', name))
        assert p.requires_grad == expected, name
    assert model.vit.blocks[2].attn.rel_pos_h.shape == (127, 64)   # global, 1024 / 16
    assert model.vit.blocks[0].attn.rel_pos_h.shape == (27, 64)    # windowed, 14
    assert model.vit.pos_embed.shape == (1, 14, 14, 768)            # pretraining grid


# ---------------------------------------------------------------------------------------
# 2. Identity at initialisation
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize('train_mode', [False, True])
def test_identity_at_init(train_mode):
    model = tiny(out_mode='seg')
    model.train(train_mode)
    torch.manual_seed(1)
    x = torch.randn(2, 4, 64, 96)
    with torch.no_grad():
        outs = model(x)
        ref = frozen_vit_forward_features(model, x[:, :3])
        final = model.vit(x[:, :3])
    assert len(outs) == 4
    for out, r in zip(outs, ref):
        assert torch.equal(out, r)
    assert torch.equal(outs[-1], final)
    model.out_mode = 'det'
    with torch.no_grad():
        (det, ) = model(x)
    assert torch.equal(det, final)


# ---------------------------------------------------------------------------------------
# 3. Optimizer steps: frozen tensors untouched, every trainable tensor learns
# ---------------------------------------------------------------------------------------
def test_frozen_bit_identical_and_trainable_get_gradients():
    # no stochastic depth here: a dropped branch would (rightly) give a zero gradient
    model = tiny(out_mode='seg', drop_path_rate=0.0)
    model.train()
    frozen = {n: p.detach().clone() for n, p in model.named_parameters()
              if not p.requires_grad}
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert frozen and trainable
    # every parameter goes to the optimizer, with weight decay and momentum: the
    # frozen ones must stay put because they never get a gradient
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-2)
    torch.manual_seed(2)
    x = torch.randn(2, 4, 64, 64)
    targets = [torch.randn(2, 64, 4, 4) for _ in range(4)]

    def step():
        opt.zero_grad(set_to_none=True)
        loss = sum(F.mse_loss(o, t) for o, t in zip(model(x), targets))
        loss.backward()
        grads = {n: (None if p.grad is None else p.grad.detach().clone())
                 for n, p in trainable.items()}
        opt.step()
        return grads

    # step 1: gamma == 0 cuts the gradient to everything behind it; only the gammas
    # and the ViT's rel-pos tables (in the frozen path) get a gradient
    grads = step()
    for name, g in grads.items():
        assert g is not None, name
        learns_at_init = name.endswith('.gamma') or 'rel_pos' in name
        assert bool(g.abs().sum() > 0) == learns_at_init, name
    for p in model.parameters():
        if not p.requires_grad:
            assert p.grad is None
    # step 2: gamma != 0, so everything gets a gradient except the query norms: the
    # query reaches the output only through the offset / attention-weight layers
    # whose weights start at zero (Deformable-DETR init) and moved only in step 2
    grads = step()
    zero = sorted(n for n, g in grads.items() if g is None or not bool(g.abs().sum() > 0))
    assert zero == sorted(n for n in trainable if '.query_norm.' in n)
    # step 3: every trainable tensor gets a non-zero gradient
    grads = step()
    zero = [n for n, g in grads.items() if g is None or not bool(g.abs().sum() > 0)]
    assert not zero, f'no gradient for {zero}'
    for name, p in model.named_parameters():
        if name in frozen:
            assert torch.equal(p, frozen[name]), name
    assert all(not bool((p == 0).all()) for n, p in trainable.items()
               if n.endswith('.gamma'))


@pytest.mark.parametrize('with_cp', [False, True])
def test_recomputation_changes_nothing(with_cp):
    """adapter_with_cp / with_cp only trade memory for compute: after three SGD steps
    (stochastic depth on) the outputs, gradients, weights and BatchNorm statistics
    equal those of the model that stores every activation."""
    def train(model):
        model.train()
        opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                              lr=0.05, momentum=0.9)
        torch.manual_seed(3)
        x = torch.randn(2, 4, 64, 64)
        record = []
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            outs = model(x)
            sum(o.square().mean() for o in outs).backward()
            record.append([o.detach() for o in outs])
            opt.step()
        grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
        return record, grads, model.state_dict()

    plain = train(tiny(out_mode='seg', drop_path_rate=0.3, adapter_with_cp=False))
    cp = train(tiny(out_mode='seg', drop_path_rate=0.3, adapter_with_cp=True,
                    with_cp=with_cp))
    for a, b in zip(plain[0], cp[0]):
        for x, y in zip(a, b):
            torch.testing.assert_close(x, y, rtol=0, atol=1e-6)
    assert plain[1].keys() == cp[1].keys() and len(plain[1]) > 0
    for name in plain[1]:
        torch.testing.assert_close(plain[1][name], cp[1][name], rtol=1e-5, atol=1e-6,
                                   msg=name)
    bn_keys = [k for k in plain[2] if 'running_' in k or 'num_batches_tracked' in k]
    assert bn_keys
    for key in plain[2]:
        torch.testing.assert_close(plain[2][key], cp[2][key], rtol=1e-5, atol=1e-6,
                                   msg=key)
    assert int(cp[2][bn_keys[-1].rsplit('.', 1)[0] + '.num_batches_tracked']) == 3


def test_deform_attn_core_recomputation_keeps_gradients():
    torch.manual_seed(0)
    attn = MSDeformAttn(d_model=32, n_levels=2, n_heads=2, n_points=2)
    nn.init.normal_(attn.sampling_offsets.weight, std=0.1)
    shapes = torch.tensor([[6, 8], [3, 4]])
    query, value = torch.randn(2, 12, 32), torch.randn(2, 60, 32)
    ref = torch.rand(2, 12, 1, 2)
    grads = []
    for recompute in (False, True):
        attn.checkpoint_core = recompute
        attn.zero_grad(set_to_none=True)
        q = query.clone().requires_grad_()
        out = attn(q, ref, value, shapes, level_start_index(shapes))
        out.square().sum().backward()
        grads.append([out.detach(), q.grad] + [p.grad for p in attn.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_drop_path_active_on_frozen_blocks_in_training():
    model = tiny(drop_path_rate=0.3)
    assert model.vit.blocks[-1].drop_path.p == pytest.approx(0.3)
    x = torch.randn(8, 4, 64, 64)
    with torch.no_grad():
        model.eval()
        assert torch.equal(model(x)[0], model(x)[0])
        model.train()
        torch.manual_seed(0)
        a = model(x)[0]
        torch.manual_seed(1)
        b = model(x)[0]
    assert not torch.equal(a, b)


# ---------------------------------------------------------------------------------------
# 4. Deformable attention against mmcv
# ---------------------------------------------------------------------------------------
def test_deform_attn_core_matches_mmcv_reference():
    from mmcv.ops.multi_scale_deform_attn import \
        multi_scale_deformable_attn_pytorch as mmcv_ref
    torch.manual_seed(3)
    shapes = torch.tensor([[8, 12], [4, 6], [2, 3]])
    batch, heads, head_dim, nq, points = 2, 4, 8, 17, 4
    value = torch.randn(batch, int(shapes.prod(1).sum()), heads, head_dim)
    # some locations fall outside [0, 1] (zero padding must agree too)
    loc = torch.rand(batch, nq, heads, 3, points, 2) * 1.4 - 0.2
    weights = torch.rand(batch, nq, heads, 3 * points).softmax(-1).view(
        batch, nq, heads, 3, points)
    ours = multi_scale_deformable_attn_pytorch(value, shapes, loc, weights)
    ref = mmcv_ref(value, shapes, loc, weights)
    assert ours.shape == (batch, nq, heads * head_dim)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)


def test_msdeformattn_module_matches_mmcv_module():
    """With ratio 1 our module has mmcv's parameter shapes and names: same init, same output
    (mmcv adds the query as a residual, ours does not)."""
    from mmcv.ops import MultiScaleDeformableAttention
    torch.manual_seed(4)
    ours = MSDeformAttn(d_model=64, n_levels=3, n_heads=4, n_points=4, ratio=1.0)
    theirs = MultiScaleDeformableAttention(embed_dims=64, num_heads=4, num_levels=3,
                                           num_points=4, dropout=0.0, batch_first=True)
    theirs.init_weights()
    torch.testing.assert_close(ours.sampling_offsets.bias, theirs.sampling_offsets.bias)
    assert not ours.sampling_offsets.weight.any() and not ours.attention_weights.weight.any()
    # random weights everywhere, then the same forward
    for p in ours.parameters():
        nn.init.normal_(p, std=0.1)
    theirs.load_state_dict(ours.state_dict())
    shapes = torch.tensor([[8, 12], [4, 6], [2, 3]])
    starts = level_start_index(shapes)
    assert starts.tolist() == [0, 96, 120]
    query = torch.randn(2, 24, 64)
    value = torch.randn(2, int(shapes.prod(1).sum()), 64)
    ref_points = torch.rand(2, 24, 3, 2)
    out = ours(query, ref_points, value, shapes, starts)
    with torch.no_grad():
        expected = theirs(query, value=value, reference_points=ref_points,
                          spatial_shapes=shapes, level_start_index=starts) - query
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    # one reference point per query is broadcast over the levels
    out1 = ours(query, ref_points[:, :, :1], value, shapes, starts)
    out3 = ours(query, ref_points[:, :, :1].expand(-1, -1, 3, -1), value, shapes, starts)
    torch.testing.assert_close(out1, out3)


def test_msdeformattn_published_shapes():
    m = MSDeformAttn()   # d_model 768, 3 levels, 12 heads, 4 points, ratio 0.5
    assert m.sampling_offsets.weight.shape == (288, 768)
    assert m.attention_weights.weight.shape == (144, 768)
    assert m.value_proj.weight.shape == (384, 768)
    assert m.output_proj.weight.shape == (768, 384)
    with pytest.raises(ValueError, match='divisible'):
        MSDeformAttn(d_model=64, n_heads=3)


# ---------------------------------------------------------------------------------------
# 5. Pretrained formats (round trips through files)
# ---------------------------------------------------------------------------------------
def _assert_vit_matches(model, expected: dict):
    own = model.vit.state_dict()
    for key, value in expected.items():
        assert torch.equal(own[key], value), key


def test_pretrained_timm_samvit_round_trip(tmp_path):
    from timm.models.vision_transformer_sam import VisionTransformerSAM
    torch.manual_seed(5)
    sam = VisionTransformerSAM(img_size=64, patch_size=16, embed_dim=64, depth=4,
                               num_heads=2, window_size=3, global_attn_indexes=(1, 3),
                               use_rel_pos=True, neck_chans=32,
                               norm_layer=partial(nn.LayerNorm, eps=1e-6)).eval()
    with torch.no_grad():
        for name, p in sam.named_parameters():
            if 'rel_pos' in name or 'pos_embed' in name:
                p.normal_(std=0.1)   # zero by default: make the load observable
    path = tmp_path / 'samvit_tiny.pth'
    torch.save(sam.state_dict(), path)

    # pos grid kept at SAM's 4x4 (pretrain_img_size == img_size): nothing resized
    model = tiny(pretrain_img_size=64, pretrained=str(path),
                 pretrained_format='timm_samvit')
    model.init_weights()
    sd = sam.state_dict()
    _assert_vit_matches(model, {k: v for k, v in sd.items()
                                if not k.startswith(('neck.', 'head.'))})
    x = torch.randn(2, 3, 64, 64)
    model.eval()
    with torch.no_grad():
        theirs = sam.blocks(sam.patch_embed(x) + sam.pos_embed).permute(0, 3, 1, 2)
        ours = model.vit(x)
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5)
    # loading keeps the trainable set
    assert model.vit.blocks[0].attn.rel_pos_h.requires_grad
    assert not model.vit.blocks[0].attn.qkv.weight.requires_grad

    # the same file into the default 14x14-style grid (here 2x2): bicubic resize
    small = tiny(pretrained=str(path), pretrained_format='timm_samvit')
    small.init_weights()
    expected = F.interpolate(sam.pos_embed.detach().permute(0, 3, 1, 2), size=(2, 2),
                             mode='bicubic', align_corners=False).permute(0, 2, 3, 1)
    torch.testing.assert_close(small.vit.pos_embed.detach(), expected)

    # SAM's original layout (image_encoder. prefix, mlp.lin1/lin2) maps to the same
    sam_orig = {('image_encoder.' + k).replace('.mlp.fc', '.mlp.lin'): v
                for k, v in sd.items()}
    sam_orig['mask_decoder.dummy'] = torch.zeros(1)
    path2 = tmp_path / 'sam_original.pth'
    torch.save(sam_orig, path2)
    model2 = tiny(pretrain_img_size=64, pretrained=str(path2),
                  pretrained_format='timm_samvit')
    model2.init_weights()
    _assert_vit_matches(model2, {k: v for k, v in sd.items()
                                 if not k.startswith(('neck.', 'head.'))})


@pytest.mark.parametrize('layout', ['mae', 'mmdet', 'detectron2'])
def test_pretrained_vitdet_round_trip(tmp_path, layout):
    from timm.models.vision_transformer import VisionTransformer
    torch.manual_seed(6)
    # MAE-style encoder (timm ViT names, class token, 4x4 grid + cls = 17 positions)
    mae = VisionTransformer(img_size=64, patch_size=16, embed_dim=64, depth=4,
                            num_heads=2, class_token=True, num_classes=0,
                            norm_layer=partial(nn.LayerNorm, eps=1e-6))
    sd = mae.state_dict()
    if layout == 'mae':
        ckpt = {'model': sd}
    else:
        prefix = 'backbone.' if layout == 'mmdet' else 'backbone.net.'
        ckpt = {prefix + k: v for k, v in sd.items()}
        ckpt['neck.lateral.weight'] = torch.zeros(1)       # detector parts: dropped
        ckpt['roi_head.bbox_head.fc.weight'] = torch.zeros(1)
        # a trained ViTDet has rel-pos tables: windowed (2*3-1) and global (2*4-1) rows
        ckpt[prefix + 'blocks.0.attn.rel_pos_h'] = torch.randn(5, 32)
        ckpt[prefix + 'blocks.1.attn.rel_pos_w'] = torch.randn(7, 32)
    path = tmp_path / f'{layout}.pth'
    torch.save(ckpt, path)

    model = tiny(pretrain_img_size=64, pretrained=str(path), pretrained_format='vitdet')
    model.init_weights()
    expected = {k: v for k, v in sd.items()
                if k.startswith(('blocks.', 'patch_embed.proj.'))
                and '.ls' not in k}
    expected['pos_embed'] = sd['pos_embed'][:, 1:].reshape(1, 4, 4, 64)
    if layout != 'mae':
        expected['blocks.0.attn.rel_pos_h'] = ckpt[prefix + 'blocks.0.attn.rel_pos_h']
        expected['blocks.1.attn.rel_pos_w'] = ckpt[prefix + 'blocks.1.attn.rel_pos_w']
    _assert_vit_matches(model, expected)
    assert not model.vit.pos_embed.requires_grad


def test_pretrained_vitdet_outputs_match_plain_vit(tmp_path):
    """All-global blocks with zero rel-pos tables are a plain ViT: same features as timm."""
    from timm.models.vision_transformer import VisionTransformer
    torch.manual_seed(7)
    vit = VisionTransformer(img_size=64, patch_size=16, embed_dim=64, depth=4,
                            num_heads=2, class_token=False, global_pool='avg',
                            num_classes=0, norm_layer=partial(nn.LayerNorm, eps=1e-6)).eval()
    path = tmp_path / 'plain.pth'
    torch.save(vit.state_dict(), path)
    model = tiny(pretrain_img_size=64, global_attn_indexes=(0, 1, 2, 3),
                 pretrained=str(path)).eval()
    model.init_weights()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        theirs = vit.blocks(vit._pos_embed(vit.patch_embed(x)))
        ours = model.vit(x).flatten(2).transpose(1, 2)
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5)


def test_pretrained_missing_file_and_bad_format(tmp_path):
    model = tiny(pretrained=str(tmp_path / 'does_not_exist.pth'))
    with pytest.raises(FileNotFoundError):
        model.init_weights()
    with pytest.raises(ValueError, match='pretrained_format'):
        tiny(pretrained_format='nope')


# ---------------------------------------------------------------------------------------
# 6. Input shapes and channel checks
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize('x_channels', [1, 3])
def test_non_square_inputs_and_channel_check(x_channels):
    model = tiny(x_channels=x_channels, out_mode='seg').eval()
    x = torch.randn(1, 3 + x_channels, 64, 96)
    with torch.no_grad():
        outs = model(x)
    assert [tuple(o.shape) for o in outs] == [(1, 64, 4, 6)] * 4
    model.out_mode = 'det'
    with torch.no_grad():
        outs = model(x)
    assert [tuple(o.shape) for o in outs] == [(1, 64, 4, 6)]
    wrong = 3 + (3 if x_channels == 1 else 1)
    with pytest.raises(ValueError, match=f'expects \\(B, {3 + x_channels}, H, W\\)'):
        model(torch.randn(1, wrong, 64, 96))


def test_trainable_override():
    model = tiny(trainable=[r'injectors\..*'])
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names and all(n.startswith('injectors.') for n in names)
    with pytest.raises(ValueError, match='match no parameter'):
        tiny(trainable=[r'no_such_module\..*'])


# ---------------------------------------------------------------------------------------
# Inside mmseg: built from the mmseg registry, output feeds a stock neck
# ---------------------------------------------------------------------------------------
def test_built_from_mmseg_registry_with_mla_neck(seg_scope):
    from mmseg.registry import MODELS as SEG_MODELS
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)  # scope: seg_scope fixture
    cfg = dict(type='UniRGBIRViT', **TINY)
    seg = SEG_MODELS.build(dict(cfg, out_mode='seg')).eval()
    det = SEG_MODELS.build(dict(cfg, out_mode='det')).eval()
    assert isinstance(seg, UniRGBIRViT)
    neck = SEG_MODELS.build(dict(type='MLANeck', in_channels=[64] * 4, out_channels=16,
                                 norm_cfg=dict(type='BN', requires_grad=True)))
    x = torch.randn(2, 4, 64, 96)
    with torch.no_grad():
        feats = seg(x)
        mla = neck(feats)
        (final, ) = det(x)
    assert [tuple(f.shape) for f in feats] == [(2, 64, 4, 6)] * 4
    assert [tuple(f.shape) for f in mla] == [(2, 16, 4, 6)] * 4
    assert tuple(final.shape) == (2, 64, 4, 6)
