# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""IV-tuning's weight converters: mmdet Swin (DINO) -> IVTuningSwin, EVA02 -> IVTuningViT.

Source state dicts are built in the source layouts (mmdet's Swin names and shapes;
BAAI's EVA02 names), converted with the command-line tools, loaded strictly and
compared with the source model's outputs or with tensors computed here by hand.
"""
import hashlib
import os.path as osp
import re

import pytest
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.models import swin_transformer as timm_swin

from mmrgbir.models.backbones.ivtuning_swin import IVTuningSwin
from mmrgbir.models.backbones.ivtuning_vit import IVTuningViT
from mmrgbir.models.converters.eva import eva_key
from mmrgbir.models.converters.swin import (mmdet_merge_to_timm, mmdet_swin_key,
                                            timm_merge_to_mmdet)
from mmrgbir.models.utils.weight_conversion import DROP
from converter_testing import run_model_converter as cli

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SWIN_CLI = osp.join(REPO, 'tools/model_converters/swin2mmrgbir.py')
EVA_CLI = osp.join(REPO, 'tools/model_converters/eva2mmrgbir.py')

# a tiny Swin with two blocks per stage (so every stage has a shifted block)
TINY_SWIN = dict(embed_dim=16, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8), window_size=4)
TINY_EVA = dict(embed_dim=32, depth=2, num_heads=2)


def perturb_(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g))


def zero_adapters_(model):
    """Prompts and adapters add exactly 0: the backbone is its frozen model."""
    with torch.no_grad():
        model.initial_prompt.expand.weight.zero_()
        model.initial_prompt.expand.bias.zero_()
        for adapters in (model.attn_adapters, model.mlp_adapters):
            for m in adapters.modules():
                if hasattr(m, 'feature') and hasattr(m, 'prompt'):
                    m.feature.up.weight.zero_()
                    m.feature.up.bias.zero_()
                    m.prompt.affine_out.scale.zero_()
                    m.prompt.affine_out.shift.zero_()


def rgbx(h, w, seed=1):
    return torch.randn(2, 4, h, w, generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------ Swin (mmdet)
def test_patch_merging_channel_order_against_unfold():
    """mmdet's merging (nn.Unfold of 2x2 neighbourhoods -> LN -> Linear) computed here
    from its definition equals timm's PatchMerging with the reordered tensors."""
    torch.manual_seed(0)
    C = 6
    x = torch.randn(2, 8, 10, C)   # (B, H, W, C)
    norm = nn.LayerNorm(4 * C)
    red = nn.Linear(4 * C, 2 * C, bias=False)
    perturb_(norm, seed=1)
    with torch.no_grad():
        red.weight.copy_(torch.randn_like(red.weight))
        unfolded = F.unfold(x.permute(0, 3, 1, 2), kernel_size=2, stride=2)  # (B, 4C, L)
        ref = red(norm(unfolded.transpose(1, 2))).reshape(2, 4, 5, 2 * C)
    merge = timm_swin.PatchMerging(C)
    merge.load_state_dict({'norm.weight': mmdet_merge_to_timm(norm.weight.detach()),
                           'norm.bias': mmdet_merge_to_timm(norm.bias.detach()),
                           'reduction.weight': mmdet_merge_to_timm(red.weight.detach())})
    with torch.no_grad():
        torch.testing.assert_close(merge(x), ref, rtol=1e-5, atol=1e-6)
    # channel 1 of sub-grid (row 1, col 0) is mmdet column 1 * 4 + 2 = 6 and timm
    # column 1 * C + 1 = 7 (x1 = rows 1::2, cols 0::2)
    w = torch.arange(4 * C, dtype=torch.float32)[None]
    assert mmdet_merge_to_timm(w)[0, 1 * C + 1] == 1 * 4 + 2
    assert torch.equal(timm_merge_to_mmdet(mmdet_merge_to_timm(w)), w)


def test_mmdet_key_map():
    assert mmdet_swin_key('patch_embed.projection.weight') == 'swin.patch_embed.proj.weight'
    assert mmdet_swin_key('stages.2.downsample.reduction.weight') == \
        'swin.layers.3.downsample.reduction.weight'
    assert mmdet_swin_key('stages.0.blocks.1.ffn.layers.0.0.bias') == \
        'swin.layers.0.blocks.1.mlp.fc1.bias'
    assert mmdet_swin_key('stages.0.blocks.1.attn.w_msa.relative_position_index') is DROP
    assert mmdet_swin_key('norm3.weight') == 'out_norms.3.weight'
    assert mmdet_swin_key('stages.0.blocks.0.attn.something') is None


def _mmdet_swin():
    swin_mod = pytest.importorskip('mmdet.models.backbones.swin')
    torch.manual_seed(0)
    ref = swin_mod.SwinTransformer(
        embed_dims=TINY_SWIN['embed_dim'], depths=TINY_SWIN['depths'],
        num_heads=TINY_SWIN['num_heads'], window_size=TINY_SWIN['window_size'],
        out_indices=(0, 1, 2, 3), pretrain_img_size=64)
    ref.eval()   # (mmdet's train() returns None)
    perturb_(ref, seed=2)   # LayerNorms (incl. norm0..3) != (1, 0), tables != 0
    return ref


def _write_detector(ref, path, drop=None):
    sd = {'backbone.' + k: v for k, v in ref.state_dict().items()}
    sd['neck.convs.0.conv.weight'] = torch.full((8, 16, 1, 1), 0.5)   # kept as it is
    if drop:
        del sd[drop]
    torch.save({'state_dict': sd, 'meta': {}}, path)


def _tiny_swin(**kwargs):
    return IVTuningSwin(model_name='swin_tiny_patch4_window7_224', img_size=64,
                        **TINY_SWIN, **kwargs)


@pytest.mark.parametrize('hw', [(128, 128), (96, 160)])
def test_mmdet_dino_swin_converts_to_the_same_function(tmp_path, hw):
    """An mmdet Swin with trained-looking weights, saved as a detector checkpoint,
    converted by the CLI and loaded through ``pretrained``: IVTuningSwin (adapters
    zeroed) gives mmdet's outputs, output norms included -- also where stage grids
    are not multiples of the window (96 x 160: 6 x 10 and 3 x 5 with window 4)."""
    ref = _mmdet_swin()
    src, dst = tmp_path / 'dino.pth', tmp_path / 'dino_mmrgbir.pth'
    _write_detector(ref, src)
    assert cli(SWIN_CLI, [str(src), str(dst), '--model-name',
                          'swin_tiny_patch4_window7_224', '--img-size', '64',
                          '--model-kwargs', '{"embed_dim": 16, "depths": [2, 2, 2, 2], '
                          '"num_heads": [1, 2, 4, 8], "window_size": 4}']) == 0
    out = torch.load(dst, map_location='cpu', weights_only=True)['state_dict']
    assert torch.equal(out['neck.convs.0.conv.weight'], torch.full((8, 16, 1, 1), 0.5))
    torch.testing.assert_close(out['backbone.out_norms.2.weight'], ref.norm2.weight,
                               rtol=0, atol=0)

    model = _tiny_swin(pretrained=str(dst))
    model.init_weights()
    zero_adapters_(model)
    model.eval()
    x = rgbx(*hw)
    with torch.no_grad():
        expected = ref(x[:, :3])
        ours = model(x)
    for o, e in zip(ours, expected):
        torch.testing.assert_close(o, e, rtol=1e-4, atol=1e-5)
    # the output norms are frozen, the IR patch embedding trains
    assert not any(p.requires_grad for p in model.out_norms.parameters())
    assert all(p.requires_grad for p in model.patch_embed_ir.parameters())
    if hw == (96, 160):
        # timm's own windows (shifted before padding) compute something else here,
        # even with the same windows and shifts (construction grid 64 x 64 > window):
        # the official mode is needed
        timm_mode = IVTuningSwin(model_name='swin_tiny_patch4_window7_224', img_size=256,
                                 window_mode='timm', pretrained=str(dst), **TINY_SWIN)
        timm_mode.init_weights()
        zero_adapters_(timm_mode)
        with torch.no_grad():
            differs = timm_mode.eval()(x)[3]
        assert (differs - expected[3]).abs().max() > 1e-3


def test_mmdet_swin_backbone_only_file(tmp_path):
    """A backbone-only mmdet Swin file (no ``backbone.`` prefix) gives ``swin.*`` /
    ``out_norms.*`` keys, which the backbone loads to the same function."""
    ref = _mmdet_swin()
    src, dst = tmp_path / 'swin.pth', tmp_path / 'swin_mmrgbir.pth'
    torch.save(ref.state_dict(), src)
    assert cli(SWIN_CLI, [str(src), str(dst), '--model-name',
                          'swin_tiny_patch4_window7_224', '--img-size', '64',
                          '--model-kwargs', '{"embed_dim": 16, "depths": [2, 2, 2, 2], '
                          '"num_heads": [1, 2, 4, 8], "window_size": 4}']) == 0
    sd = torch.load(dst, map_location='cpu', weights_only=True)['state_dict']
    assert all(k.startswith(('swin.', 'out_norms.')) for k in sd)
    model = _tiny_swin(pretrained=str(dst))
    model.init_weights()
    zero_adapters_(model)
    x = rgbx(64, 96)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x)[2], ref(x[:, :3])[2], rtol=1e-4,
                                   atol=1e-5)


def test_swin_missing_frozen_key_is_an_error(tmp_path, capsys):
    ref = _mmdet_swin()
    src, dst = tmp_path / 'dino.pth', tmp_path / 'out.pth'
    _write_detector(ref, src, drop='backbone.norm1.bias')
    rc = cli(SWIN_CLI, [str(src), str(dst), '--model-name', 'swin_tiny_patch4_window7_224',
                        '--img-size', '64', '--model-kwargs',
                        '{"embed_dim": 16, "depths": [2, 2, 2, 2], '
                        '"num_heads": [1, 2, 4, 8], "window_size": 4}'])
    assert rc == 1 and not dst.exists()
    assert 'out_norms.1.bias' in capsys.readouterr().err


def test_swin_file_for_another_window_is_refused(tmp_path):
    ref = _mmdet_swin()                        # window 4
    src, dst = tmp_path / 'dino.pth', tmp_path / 'out.pth'
    _write_detector(ref, src)
    assert cli(SWIN_CLI, [str(src), str(dst), '--model-name',
                          'swin_tiny_patch4_window7_224', '--img-size', '64',
                          '--model-kwargs', '{"embed_dim": 16, "depths": [2, 2, 2, 2], '
                          '"num_heads": [1, 2, 4, 8], "window_size": 4}']) == 0
    model = IVTuningSwin(model_name='swin_tiny_patch4_window7_224', img_size=64,
                         pretrained=str(dst), **dict(TINY_SWIN, window_size=2))
    with pytest.raises(KeyError, match=r'relative_position_bias_table: file \(49, 1\) vs '
                                       r'model \(9, 1\).*same Swin'):
        model.init_weights()


def test_swin_mmdet_file_as_pretrained_is_refused(tmp_path):
    ref = _mmdet_swin()
    src = tmp_path / 'dino.pth'
    _write_detector(ref, src)
    model = _tiny_swin(pretrained=str(src))
    with pytest.raises(KeyError, match='swin2mmrgbir.py'):
        model.init_weights()


def test_swin_output_is_never_overwritten(tmp_path, capsys):
    dst = tmp_path / 'out.pth'
    dst.write_bytes(b'user data')
    (tmp_path / 'whatever.pth').write_bytes(b'a source')
    assert cli(SWIN_CLI, [str(tmp_path / 'whatever.pth'), str(dst)]) == 2
    assert dst.read_bytes() == b'user data'
    assert '--overwrite' in capsys.readouterr().err


# ------------------------------------------------------------------- EVA02
def _timm_to_original_eva(sd):
    """timm Eva names -> BAAI's EVA02 names, with the MIM head, RoPE tables and
    attention sub-LayerNorms (which the official IV-tuning EVA02 does not use) that
    EVA02 checkpoints may carry."""
    out = {}
    for k, v in sd.items():
        k = (k.replace('attn.q_proj.bias', 'attn.q_bias').replace('attn.v_proj.bias',
                                                                   'attn.v_bias')
             .replace('mlp.fc1_g.', 'mlp.w1.').replace('mlp.fc1_x.', 'mlp.w2.')
             .replace('mlp.norm.', 'mlp.ffn_ln.').replace('mlp.fc2.', 'mlp.w3.'))
        out[k] = v
    dim = sd['cls_token'].shape[-1]
    out.update({'mask_token': torch.zeros(1, 1, dim), 'norm.weight': torch.ones(dim),
                'norm.bias': torch.zeros(dim), 'lm_head.weight': torch.zeros(8, dim),
                'lm_head.bias': torch.zeros(8), 'rope.freqs_cos': torch.zeros(16, 8)})
    for i in range(TINY_EVA['depth']):
        out[f'blocks.{i}.attn.inner_attn_ln.weight'] = torch.full((dim, ), 3.0)
        out[f'blocks.{i}.attn.inner_attn_ln.bias'] = torch.full((dim, ), 1.0)
    return out


def _timm_eva(patch_size, img_size, seed=3):
    torch.manual_seed(0)
    m = timm.create_model('eva02_large_patch14_224', pretrained=False, num_classes=0,
                          patch_size=patch_size, img_size=img_size, **TINY_EVA)
    perturb_(m, seed=seed)
    return m


def _eva_cli(src, dst, *extra):
    return cli(EVA_CLI, [str(src), str(dst), '--model-kwargs',
                         '{"embed_dim": 32, "depth": 2, "num_heads": 2}', *extra])


def test_eva_key_map():
    assert eva_key('blocks.3.attn.q_bias') == 'blocks.3.attn.q_proj.bias'
    assert eva_key('blocks.3.mlp.w2.weight') == 'blocks.3.mlp.fc1_x.weight'
    assert eva_key('blocks.3.attn.inner_attn_ln.bias') is DROP
    assert eva_key('lm_head.weight') is DROP and eva_key('norm.bias') is DROP
    assert eva_key('blocks.0.attn.rope.freqs_sin') is DROP
    assert eva_key('blocks.0.attn.qkv.weight') is None


def test_eva02_p14_file_is_resampled_as_eva_did(tmp_path):
    """A patch-14 EVA02 in BAAI's layout: the kernel becomes EVA's bicubic 16 x 16
    resampling (computed here), everything else is copied; IVTuningViT loads it
    strictly and, adapters zeroed, equals timm's Eva holding the same tensors."""
    p14 = _timm_eva(14, 56)            # grid 4 x 4
    src, dst = tmp_path / 'eva02_p14.pt', tmp_path / 'eva02_p16.pth'
    torch.save({'module': _timm_to_original_eva(p14.state_dict())}, src)
    assert _eva_cli(src, dst) == 0
    out = torch.load(dst, map_location='cpu', weights_only=True)
    sd, meta = out['state_dict'], out['meta']
    assert meta['source_patch_size'] == 14 and meta['resampled_patch_embed']
    expected_kernel = F.interpolate(p14.patch_embed.proj.weight.detach(), size=(16, 16),
                                    mode='bicubic', align_corners=False)
    torch.testing.assert_close(sd['patch_embed.proj.weight'], expected_kernel,
                               rtol=0, atol=0)
    ref_sd = p14.state_dict()
    for k, v in sd.items():
        if k != 'patch_embed.proj.weight':
            assert torch.equal(v, ref_sd[k]), k
    assert not any(k.startswith(('lm_head', 'mask_token', 'norm.', 'rope')) for k in sd)
    assert not any('inner_attn_ln' in k or 'attn.norm' in k for k in sd)

    # the same tensors in a patch-16 timm Eva at the same grid (img 64)
    p16 = timm.create_model('eva02_large_patch14_224', pretrained=False, num_classes=0,
                            patch_size=16, img_size=64, dynamic_img_size=True,
                            **TINY_EVA).eval()
    p16.load_state_dict(sd, strict=False)
    model = IVTuningViT(img_size=64, out_indices=(0, 1), out_strides=(16, 16),
                        pretrained=str(dst), **TINY_EVA)
    model.init_weights()
    zero_adapters_(model)
    x = rgbx(64, 96)
    with torch.no_grad():
        ours = model.eval()(x)
        expected = p16.forward_intermediates(x[:, :3], indices=[0, 1], norm=False,
                                             intermediates_only=True)
    for o, e in zip(ours, expected):
        torch.testing.assert_close(o, e, rtol=1e-4, atol=1e-5)


def test_eva02_p14to16_file_is_taken_as_it_is(tmp_path):
    p16 = _timm_eva(16, 224)           # the release's layout: 16 x 16 kernel, 14 x 14 grid
    src, dst = tmp_path / 'eva02_L_pt_m38m_p14to16.pt', tmp_path / 'out.pth'
    torch.save({'module': _timm_to_original_eva(p16.state_dict())}, src)
    assert _eva_cli(src, dst) == 0
    out = torch.load(dst, map_location='cpu', weights_only=True)
    assert not out['meta']['resampled_patch_embed'] and out['meta']['pos_embed_grid'] == 14
    assert out['meta']['source_sha256'] == hashlib.sha256(src.read_bytes()).hexdigest()
    ref_sd = p16.state_dict()
    # everything but the classification-only norms (dropped on purpose)
    assert set(out['state_dict']) == {k for k in ref_sd
                                      if not k.startswith(('fc_norm.', 'norm.'))}
    for k, v in out['state_dict'].items():
        assert torch.equal(v, ref_sd[k]), k


def test_eva02_position_embedding_resampled_like_the_official_loader(tmp_path):
    """Grid 14 (the release) -> 24 (the official SOD model, 384 / 16): bicubic,
    align_corners=False, no anti-aliasing -- not timm's anti-aliased resampling."""
    p16 = _timm_eva(16, 224)
    src, dst = tmp_path / 'p14to16.pt', tmp_path / 'out.pth'
    torch.save({'module': _timm_to_original_eva(p16.state_dict())}, src)
    assert _eva_cli(src, dst) == 0
    model = IVTuningViT(img_size=384, out_indices=(0, 1), out_strides=(16, 16),
                        pretrained=str(dst), **TINY_EVA)
    model.init_weights()
    pe = p16.pos_embed.detach()
    grid = pe[:, 1:].reshape(1, 14, 14, -1).permute(0, 3, 1, 2)
    by_hand = F.interpolate(grid, size=(24, 24), mode='bicubic', align_corners=False)
    expected = torch.cat([pe[:, :1], by_hand.permute(0, 2, 3, 1).reshape(1, 576, -1)], 1)
    torch.testing.assert_close(model.vit.pos_embed, expected, rtol=0, atol=1e-6)
    timm_way = timm.layers.resample_abs_pos_embed(pe, (24, 24), num_prefix_tokens=1)
    assert (timm_way - expected).abs().max() > 1e-4


def test_eva02_patch_size_mismatch_in_pretrained_is_refused(tmp_path):
    p14 = _timm_eva(14, 56)
    path = tmp_path / 'p14_timm.pth'
    torch.save(p14.state_dict(), path)
    model = IVTuningViT(img_size=64, out_indices=(0, 1), out_strides=(16, 16),
                        pretrained=str(path), **TINY_EVA)
    with pytest.raises(ValueError, match='eva2mmrgbir.py'):
        model.init_weights()


def test_eva02_missing_key_is_an_error(tmp_path, capsys):
    sd = _timm_to_original_eva(_timm_eva(16, 224).state_dict())
    del sd['blocks.1.attn.k_proj.weight']
    src, dst = tmp_path / 'eva.pt', tmp_path / 'out.pth'
    torch.save({'module': sd}, src)
    assert _eva_cli(src, dst) == 1 and not dst.exists()
    assert 'blocks.1.attn.k_proj.weight' in capsys.readouterr().err


def test_converted_dino_checkpoint_fits_the_m3fd_detector_for_load_from(tmp_path):
    """The tiny M3FD-recipe DINO (IVTuningSwin) against an mmdet DINO of the same
    config with mmdet's Swin: after conversion every key of the mmdet checkpoint has
    a place in our detector (nothing unexpected), and only the IV-tuning parts are
    missing (they are trained from scratch, as in the official run)."""
    pytest.importorskip('mmdet.models.backbones.swin')
    import copy

    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner.checkpoint import _load_checkpoint_to_model

    import mmrgbir  # noqa: F401
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/ivtuning/tiny/llvip_ivtuning-swin-tiny_dino_1ep.py'))
    ours = MODELS.build(copy.deepcopy(cfg.model))
    bb = cfg.model.backbone
    mmdet_cfg = copy.deepcopy(cfg.model)
    mmdet_cfg.backbone = dict(type='SwinTransformer', embed_dims=bb.embed_dim,
                              depths=list(bb.depths), num_heads=list(bb.num_heads),
                              window_size=bb.window_size, out_indices=(0, 1, 2, 3))
    mmdet_cfg.data_preprocessor = dict(type='DetDataPreprocessor')
    official = MODELS.build(mmdet_cfg)
    src, dst = tmp_path / 'dino.pth', tmp_path / 'dino_mmrgbir.pth'
    torch.save({'state_dict': official.state_dict()}, src)
    assert cli(SWIN_CLI, [str(src), str(dst), '--model-name', bb.model_name,
                          '--img-size', str(bb.img_size), '--model-kwargs',
                          '{"embed_dim": 16, "depths": [1, 1, 2, 1], '
                          '"num_heads": [1, 2, 4, 8], "window_size": 4}']) == 0
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    own = ours.state_dict()
    unexpected = [k for k in ckpt['state_dict'] if k not in own]
    missing = [k for k in own if k not in ckpt['state_dict']]
    assert not unexpected
    assert missing and all(re.match(r'backbone\.(patch_embed_ir|initial_prompt|'
                                    r'attn_adapters|mlp_adapters)\.', k) for k in missing)
    _load_checkpoint_to_model(ours, ckpt, strict=False)
    assert torch.equal(ours.backbone.out_norms['3'].weight, official.backbone.norm3.weight)
    assert torch.equal(ours.neck.convs[0].conv.weight, official.neck.convs[0].conv.weight)
