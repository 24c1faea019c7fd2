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
    cfg = dict(TINY, allow_random_frozen=True)   # random frozen ViT on purpose
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
    # the published configuration (ViT-B/16, 1024, x_channels=1)
    model = UniRGBIRViT(allow_random_frozen=True)
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
    cfg = dict(type='UniRGBIRViT', allow_random_frozen=True, **TINY)
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


# ---------------------------------------------------------------------------------------
# 7. Official-run recipe pieces: frozen weights required, rel-pos tables from zero,
#    SyncBN feature pool, MFNet loss normalisation, FLIR test settings
# ---------------------------------------------------------------------------------------
def test_build_refuses_a_random_frozen_vit(tmp_path):
    from mmrgbir.models.utils.frozen_weights import RandomFrozenWeightsError
    cfg = dict(TINY)
    with pytest.raises(RandomFrozenWeightsError,
                       match=r'UniRGBIRViT: the frozen backbone has no weights.*'
                             r'vitdet2mmrgbir.py model_final_df306f.pkl'):
        UniRGBIRViT(**cfg)
    with pytest.raises(RandomFrozenWeightsError, match=r"vit.pth' does not exist.*"
                                                       r'vitdet2mmrgbir.py'):
        UniRGBIRViT(pretrained=str(tmp_path / 'vit.pth'), **cfg)
    assert UniRGBIRViT(allow_random_frozen='checkpoint', **cfg).allow_random_frozen == \
        'checkpoint'


def _converted_vit_file(tmp_path, with_rel_pos: bool):
    """A 'mmrgbir'-format file: the tensors of a random tiny ViT with distinct values."""
    src = tiny(pretrain_img_size=32).vit
    torch.manual_seed(11)
    with torch.no_grad():
        for p in src.parameters():
            p.normal_(std=0.1)
    state = {k: v.clone() for k, v in src.state_dict().items()
             if with_rel_pos or 'rel_pos' not in k}
    path = tmp_path / f'vit_{with_rel_pos}.pth'
    torch.save({'state_dict': state, 'meta': {}}, path)
    return path, state


def test_rel_pos_tables_absent_from_the_file_start_at_zero(tmp_path):
    path, state = _converted_vit_file(tmp_path, with_rel_pos=False)
    model = tiny(pretrained=str(path), pretrained_format='mmrgbir')
    with torch.no_grad():   # whatever the tables held before, e.g. a re-run init
        for blk in model.vit.blocks:
            blk.attn.rel_pos_h.fill_(0.25)
            blk.attn.rel_pos_w.fill_(-0.5)
    model.init_weights()
    own = model.vit.state_dict()
    assert all(torch.equal(own[k], v) for k, v in state.items())
    for blk in model.vit.blocks:
        assert torch.count_nonzero(blk.attn.rel_pos_h) == 0
        assert torch.count_nonzero(blk.attn.rel_pos_w) == 0
        assert blk.attn.rel_pos_h.requires_grad and blk.attn.rel_pos_w.requires_grad
        assert not blk.attn.qkv.weight.requires_grad
    # tables in the file are loaded, not zeroed
    path2, state2 = _converted_vit_file(tmp_path, with_rel_pos=True)
    model2 = tiny(pretrained=str(path2), pretrained_format='mmrgbir')
    model2.init_weights()
    assert torch.equal(model2.vit.blocks[1].attn.rel_pos_w,
                       state2['blocks.1.attn.rel_pos_w'])
    assert torch.count_nonzero(model2.vit.blocks[1].attn.rel_pos_w) > 0


def test_pool_norm_cfg_syncbn_same_keys_and_outputs():
    from mmengine.model import revert_sync_batchnorm
    bn = tiny(out_mode='seg')
    sync = tiny(out_mode='seg', pool_norm_cfg=dict(type='SyncBN'))
    norms = [m for m in sync.feature_pool.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert len(norms) == 9 and all(isinstance(m, nn.SyncBatchNorm) for m in norms)
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in bn.modules())
    assert list(bn.state_dict()) == list(sync.state_dict())   # official SyncBN keys load
    with torch.no_grad():   # non-trivial statistics and an active injection
        for m in bn.feature_pool.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
        for inj in bn.injectors:
            inj.gamma.fill_(0.3)
    sync.load_state_dict(bn.state_dict())
    x = torch.randn(1, 4, 64, 64)
    with torch.no_grad():
        # eval: running statistics on either; SyncBN reverted to BN as the Runner does
        for a, b in zip(bn.eval()(x), revert_sync_batchnorm(sync).eval()(x)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_vit_norm_eps_option():
    assert tiny().vit.blocks[0].norm1.eps == 1e-6
    model = tiny(vit_norm_eps=1e-5)
    assert {m.eps for m in model.vit.modules() if isinstance(m, nn.LayerNorm)} == {1e-5}


def test_mfnet_loss_normalised_by_pixel_count_as_official():
    import math
    from mmrgbir.models.losses.class_weighted_ce import ClassWeightedCrossEntropyLoss
    # 2 classes, weights 1 and 3; four pixels: zero logits (CE = ln 2) labelled 0, 1, 1
    # and one ignored pixel; a fifth pixel with logits (2, 0) labelled 0:
    # CE = ln(1 + e^-2)
    logits = torch.zeros(1, 2, 1, 5)
    logits[0, 0, 0, 4] = 2.0
    label = torch.tensor([[[0, 1, 1, 255, 0]]])
    ln2, ce5 = math.log(2.0), math.log(1 + math.exp(-2.0))
    weighted_sum = 1 * ln2 + 3 * ln2 + 3 * ln2 + 1 * ce5
    expected = {'pixels': weighted_sum / 5,            # official: every pixel counts
                'valid_pixels': weighted_sum / 4,
                'weights': weighted_sum / (1 + 3 + 3 + 1)}
    for mode, value in expected.items():
        loss = ClassWeightedCrossEntropyLoss(class_weight=[1.0, 3.0], avg_mode=mode,
                                             loss_weight=0.4)(logits, label)
        assert loss.item() == pytest.approx(0.4 * value, rel=1e-6), mode
    with pytest.raises(ValueError, match='avg_mode must be one of'):
        ClassWeightedCrossEntropyLoss(avg_mode='mean')


def test_published_recipe_settings_in_the_configs():
    import os.path as osp
    from mmengine.config import Config
    root = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                    'configs', 'unirgbir')
    flir = Config.fromfile(osp.join(
        root, 'unirgbir-vit-b16_simple-fpn_cascade-rcnn_8xb1-lsj-100e_flir-aligned-1024.py'))
    test_cfg = flir.model.test_cfg
    assert (test_cfg.rpn.nms_pre, test_cfg.rpn.max_per_img,
            test_cfg.rpn.nms.iou_threshold) == (2000, 2000, 0.8)
    assert (test_cfg.rcnn.max_per_img, test_cfg.rcnn.score_thr,
            test_cfg.rcnn.nms.iou_threshold) == (2000, 0.05, 0.5)
    assert flir.model.backbone.vit_norm_eps == 1e-5
    mfnet = Config.fromfile(
        osp.join(root, 'unirgbir-vit-b16_setr-mla_2xb2-80k_mfnet-768x768.py'))
    assert mfnet.model.decode_head.loss_decode.avg_mode == 'pixels'
    assert {h.loss_decode.avg_mode for h in mfnet.model.auxiliary_head} == {'pixels'}
    vt = Config.fromfile(
        osp.join(root, 'unirgbir-vit-b16_setr-mla_8xb8-20k_vt5000-416x416.py'))
    for cfg in (flir, mfnet, vt):   # multi-GPU recipes: SyncBN pool, converted ViTDet file
        bb = cfg.model.backbone
        assert bb.pool_norm_cfg == dict(type='SyncBN')
        assert (bb.pretrained, bb.pretrained_format) == (
            'checkpoints/vitdet_vit-b16_coco_norelpos.pth', 'mmrgbir')
        assert not bb.get('allow_random_frozen', False)
    for name in ('msrs-person_unirgbir-tiny_setr-mla_4iter.py',
                 'msrs-person-sod_unirgbir-tiny_setr-mla_4iter.py',
                 'llvip_unirgbir-tiny_simple-fpn_cascade-rcnn_4iter.py'):
        bb = Config.fromfile(osp.join(root, 'tiny', name)).model.backbone
        assert (bb.pool_norm_cfg, bb.pretrained, bb.allow_random_frozen) == (
            dict(type='BN'), None, True)


def test_coco_metric_map50_reads_more_than_100_detections_per_image(tmp_path):
    """Why the FLIR config keeps 2,000 detections: CocoMetric's mAP_50 (FLIR's headline
    number) counts up to proposal_nums[2] = 1,000 detections per image and class; its
    mAP counts 100."""
    import json
    pytest.importorskip('mmdet')
    from mmdet.evaluation import CocoMetric
    ann = dict(images=[dict(id=1, width=200, height=200, file_name='a.png')],
               categories=[dict(id=1, name='person')],
               annotations=[dict(id=1, image_id=1, category_id=1, bbox=[10, 10, 20, 20],
                                 area=400, iscrowd=0)])
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(ann))
    metric = CocoMetric(ann_file=str(path), metric='bbox')
    metric.dataset_meta = dict(classes=('person', ))
    # 150 confident false positives, the true box ranked 151st
    boxes = [[100 + i % 10 * 9, 100 + i // 10 * 6, 105 + i % 10 * 9, 104 + i // 10 * 6]
             for i in range(150)] + [[10, 10, 30, 30]]
    scores = torch.linspace(0.99, 0.5, 150).tolist() + [0.4]
    pred = dict(bboxes=torch.tensor(boxes, dtype=torch.float32),
                scores=torch.tensor(scores), labels=torch.zeros(151, dtype=torch.long))
    metric.process({}, [dict(img_id=1, ori_shape=(200, 200), pred_instances=pred)])
    res = metric.compute_metrics(metric.results)
    assert res['bbox_mAP'] == 0.0            # the true box is past the 100th detection
    assert res['bbox_mAP_50'] > 0.0          # ... but within the 1,000 mAP_50 reads
