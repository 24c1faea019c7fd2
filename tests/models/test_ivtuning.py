# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""IV-tuning: published parameter counts, freezing, non-square grids, weight formats."""
import re

import pytest
import timm
import torch
import torch.nn.functional as F

from mmrgbir.models.adapters.ivtuning_prompts import (FeatureAdapter,
                                                      InitialPromptGenerator,
                                                      PromptAdapter,
                                                      PromptedBlockAdapter)
from mmrgbir.models.adapters.simam import SimAM
from mmrgbir.models.adapters.split_fuse_enhancer import SplitFuseEnhancer
from mmrgbir.models.backbones.ivtuning_swin import IVTuningSwin, timm_swin_to_ours
from mmrgbir.models.backbones.ivtuning_vit import IVTuningViT, timm_vit_to_ours
from mmrgbir.models.utils.param_report import count_parameters, parameter_table
from mmrgbir.models.utils.pretrained import load_pretrained

# Tiny variants of the published architectures (same block types, small widths).
TINY_TIMM = {
    # EVA02-L's block (separate q/k/v, SwiGLU with its norm, RoPE) at width 32
    'eva02': dict(model_name='eva02_large_patch14_224', img_size=64, patch_size=16,
                  embed_dim=32, depth=4, num_heads=2),
    'vit': dict(model_name='vit_tiny_patch16_224', img_size=64, embed_dim=32, depth=4,
                num_heads=2),
    'swin': dict(model_name='swin_tiny_patch4_window7_224', img_size=64, embed_dim=16,
                 depths=(1, 1, 2, 1), num_heads=(1, 2, 4, 8), window_size=4),
}


def tiny(flavour, **kwargs):
    """A tiny backbone; without ``pretrained`` its frozen part stays random on purpose."""
    torch.manual_seed(0)
    if 'pretrained' not in kwargs:
        kwargs.setdefault('allow_random_frozen', True)
    if flavour == 'swin':
        return IVTuningSwin(**TINY_TIMM['swin'], **kwargs)
    return IVTuningViT(**TINY_TIMM[flavour], out_indices=(0, 1, 2, 3), **kwargs)


def plain_timm(flavour, **kwargs):
    """The frozen foundation model alone, as timm builds it."""
    cfg = dict(TINY_TIMM[flavour])
    return timm.create_model(cfg.pop('model_name'), pretrained=False, **cfg, **kwargs)


def perturb_(module, seed=0):
    """Make every tensor non-trivial (LayerNorm weights != 1, biases != 0, ...)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g))


def zero_adapters_(model):
    """Zero the last layer of MP-alpha and of every MP-beta branch: the prompts and
    adapters then add exactly 0 (feature adapter: x + 0; prompt adapter: gelu(0))."""
    with torch.no_grad():
        model.initial_prompt.expand.weight.zero_()
        model.initial_prompt.expand.bias.zero_()
        for m in model.modules():
            if isinstance(m, PromptedBlockAdapter):
                m.feature.up.weight.zero_()
                m.feature.up.bias.zero_()
                m.prompt.affine_out.scale.zero_()
                m.prompt.affine_out.shift.zero_()


def rgbx(h, w, x_channels=1, batch=2, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 3 + x_channels, h, w, generator=g)


# --------------------------------------------------------------------------- parts
def test_simam_matches_its_energy_formula():
    x = torch.randn(2, 5, 4, 6)
    mu = x.mean(dim=(2, 3), keepdim=True)
    var = x.var(dim=(2, 3), keepdim=True, unbiased=True)
    expected = x * torch.sigmoid((x - mu) ** 2 / (4 * (var + 1e-4)) + 0.5)
    simam = SimAM()
    assert sum(p.numel() for p in simam.parameters()) == 0
    assert simam.eps_lambda == 1e-4
    torch.testing.assert_close(simam(x), expected)


def test_split_fuse_enhancer_structure():
    sfe = SplitFuseEnhancer(64)  # r = 4: depthwise 3x3 on 16 channels
    assert sfe.split_conv.in_channels == sfe.split_conv.groups == 16
    # dw 16*9+16, two 1x1 64x64 with bias, BN 2*64
    assert count_parameters(sfe)[1] == 160 + 2 * (64 * 64 + 64) + 128 == 8608
    x = torch.randn(2, 64, 3, 5)
    assert sfe(x).shape == x.shape
    # only the first C/4 channels see their neighbours: with the fuse branch zeroed,
    # the other channels are exactly 2x (pass-through + residual)
    with torch.no_grad():
        sfe.fuse_out.weight.zero_()
        sfe.fuse_out.bias.zero_()
    y = sfe(x)
    torch.testing.assert_close(y[:, 16:], 2 * x[:, 16:])
    with pytest.raises(ValueError):
        SplitFuseEnhancer(3, ratio=4)


def test_block_adapter_parameter_formula():
    # feature adapter 133C + 8672, prompt adapter 23C + 8 (see the published count)
    for c in (192, 768, 1024):
        assert count_parameters(FeatureAdapter(c))[1] == 133 * c + 8672
        assert count_parameters(PromptAdapter(c))[1] == 23 * c + 8
        assert count_parameters(PromptedBlockAdapter(c))[1] == 156 * c + 8680
    # MP-alpha: shared LN 2C, two 1x1 C->8, SFE(8) = 180, 1x1 8->C
    assert count_parameters(InitialPromptGenerator(1024))[1] == 27844


# ------------------------------------------------------------ published counts
EVA02_L_FROZEN = 304_237_504  # timm eva02_large_patch14_224, patch 16, img 512, no head


@pytest.mark.parametrize('cls, published, frozen_expected, components', [
    # IR patch embed 3*16*16*1024+1024, MP-alpha, 24 blocks x 2 MP-beta (156*1024+8680)
    (IVTuningViT, 8.90e6, EVA02_L_FROZEN, 787_456 + 27_844 + 48 * 168_424),
    # IR patch embed (conv 3*4*4*192+192 + LN 384), MP-alpha at C=192,
    # 2 MP-beta in each of the 2/2/18/2 blocks of widths 192/384/768/1536
    # frozen: Swin-L + mmdet's four affine output norms (2 * (192 + 384 + 768 + 1536))
    (IVTuningSwin, 6.06e6, 195_195_444 + 5_760,
     9_792 + 5_380 + 2 * sum(d * (156 * c + 8680)
                             for d, c in zip((2, 2, 18, 2), (192, 384, 768, 1536)))),
])
def test_published_trainable_parameter_counts(cls, published, frozen_expected, components):
    with torch.device('meta'):  # full size, no memory, no forward
        model = cls(allow_random_frozen=True)
    trainable, total = count_parameters(model)
    frozen = total - trainable
    print(f'\n{cls.__name__} ({model.model_name}):\n{parameter_table(model, depth=1)}\n'
          f'trainable {trainable:,} = {100 * trainable / frozen:.3f} % of the frozen '
          f'backbone ({frozen:,}); published {published / 1e6:.2f} M')
    assert trainable == components
    assert abs(trainable - published) / published < 0.01
    assert frozen == frozen_expected
    # what trains: exactly the IR patch embedding, MP-alpha and the MP-beta adapters
    for name, p in model.named_parameters():
        assert p.requires_grad == bool(re.match(
            r'(patch_embed_ir|initial_prompt|attn_adapters|mlp_adapters)\.', name)), name
    if cls is IVTuningViT:
        # EVA02-L: 304.24 M is the published full fine-tuning count; 8.90 M = 2.93 %
        assert round(frozen / 1e6, 2) == 304.24
        assert round(100 * trainable / frozen, 2) == 2.93
        assert len(model.attn_adapters) == len(model.mlp_adapters) == 24


def test_patch14_eva02_would_not_match_the_published_count():
    with torch.device('meta'):
        model = IVTuningViT(img_size=448, patch_size=14, allow_random_frozen=True)
    trainable, _ = count_parameters(model)
    assert trainable == 603_136 + 27_844 + 48 * 168_424  # 8.72 M: 2 % short of 8.90 M
    assert abs(trainable - 8.90e6) / 8.90e6 > 0.01


# ------------------------------------------------------------------- freezing
@pytest.mark.parametrize('flavour', ['eva02', 'vit', 'swin'])
def test_frozen_weights_bit_identical_and_every_adapter_trained(flavour):
    model = tiny(flavour)
    model.train()
    base = model.swin if flavour == 'swin' else model.vit
    frozen_before = {k: v.clone() for k, v in base.state_dict().items()}
    trainable_before = {n: p.detach().clone() for n, p in model.named_parameters()
                        if p.requires_grad}
    assert trainable_before and all(not p.requires_grad for p in base.parameters())
    # like mmengine's optimizer wrapper: every parameter goes to the optimizer
    optim = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05)
    for step in range(2):
        optim.zero_grad()
        outs = model(rgbx(64, 96, seed=step))
        loss = sum((o ** 2).mean() for o in outs)
        loss.backward()
        if step == 0:
            for n, p in model.named_parameters():
                if p.requires_grad:
                    assert p.grad is not None and p.grad.abs().sum() > 0, n
                else:
                    assert p.grad is None, n
        optim.step()
    for k, v in base.state_dict().items():
        assert torch.equal(v, frozen_before[k]), k
    changed = [n for n, p in model.named_parameters()
               if p.requires_grad and not torch.equal(p, trainable_before[n])]
    assert len(changed) == len(trainable_before)


def test_trainable_override():
    model = tiny('vit', trainable=[r'mlp_adapters\..+'])
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names and all(n.startswith('mlp_adapters.') for n in names)
    with pytest.raises(ValueError, match='match no parameter'):
        tiny('vit', trainable=[r'no_such_module\..+'])


# ------------------------------------------------------------ non-square inputs
@pytest.mark.parametrize('flavour', ['eva02', 'vit', 'swin'])
@pytest.mark.parametrize('hw', [(64, 96), (96, 64)])
def test_non_square_output_shapes(flavour, hw):
    model = tiny(flavour).eval()
    h, w = hw
    with torch.no_grad():
        outs = model(rgbx(h, w))
    if flavour == 'swin':
        chans = [16, 32, 64, 128]
    else:
        chans = [32] * 4
    assert [tuple(o.shape) for o in outs] == [
        (2, c, h // s, w // s) for c, s in zip(chans, (4, 8, 16, 32))]


@pytest.mark.parametrize('flavour', ['eva02', 'vit', 'swin'])
@pytest.mark.parametrize('hw', [(64, 96), (96, 64), (48, 80)])
def test_zeroed_adapters_reproduce_plain_timm_on_non_square_inputs(flavour, hw):
    """Reshape, position-embedding / RoPE resampling and token order against timm."""
    # Swin: timm's own windows (window_mode='official' follows mmdet, see
    # tests/tools/test_model_converters_ivtuning.py)
    kwargs = dict(out_norm=False, window_mode='timm') if flavour == 'swin' else {}
    model = tiny(flavour, **kwargs).eval()
    perturb_(model)
    zero_adapters_(model)
    base = model.swin if flavour == 'swin' else model.vit
    plain = plain_timm(flavour, num_classes=0, dynamic_img_size=True).eval()
    result = plain.load_state_dict(base.state_dict(), strict=False)
    assert not result.unexpected_keys
    assert all(k.startswith(('fc_norm', 'norm.', 'head')) for k in result.missing_keys)
    x = rgbx(*hw)
    with torch.no_grad():
        ours = model(x)
        ref = plain.forward_intermediates(x[:, :3], indices=[0, 1, 2, 3], norm=False,
                                          intermediates_only=True)
    assert len(ours) == len(ref) == 4
    for o, r in zip(ours, ref):
        if o.shape[-2:] != r.shape[-2:]:  # ViT maps are resized from the 1/16 grid
            r = F.interpolate(r, size=o.shape[-2:], mode='bilinear', align_corners=False)
        torch.testing.assert_close(o, r, rtol=1e-4, atol=1e-5)


def test_swin_out_norms_are_frozen_affine_layer_norms():
    """mmdet's norm0..norm3: LayerNorm(eps 1e-5) with weight and bias, frozen."""
    model = tiny('swin').eval()
    assert list(model.out_norms) == ['0', '1', '2', '3']
    assert not any(p.requires_grad for p in model.out_norms.parameters())
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for p in model.out_norms.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    raw_model = tiny('swin', out_norm=False).eval()
    assert raw_model.out_norms is None
    raw_model.load_state_dict(model.state_dict(), strict=False)
    x = rgbx(64, 96)
    with torch.no_grad():
        normed, raw = model(x), raw_model(x)
    for i, (a, b) in enumerate(zip(normed, raw)):
        w, bias = model.out_norms[str(i)].weight, model.out_norms[str(i)].bias
        expected = F.layer_norm(b.permute(0, 2, 3, 1), b.shape[1:2], w, bias, 1e-5)
        torch.testing.assert_close(a, expected.permute(0, 3, 1, 2))


def _changed_positions(f, tokens, hw, pos):
    """Grid positions whose output changes when the token at ``pos`` changes."""
    h, w = hw
    moved = tokens.clone()
    # not a constant: a LayerNorm would remove it
    moved[:, pos[0] * w + pos[1]] += 5.0 * torch.randn(tokens.shape[-1])
    with torch.no_grad():
        delta = (f(moved) - f(tokens)).abs().sum(dim=(0, 2)).reshape(h, w)
    return {tuple(p) for p in (delta > 1e-6).nonzero().tolist()}


def _neighbourhood(hw, pos):
    return {(i, j) for i in range(pos[0] - 1, pos[0] + 2) for j in range(pos[1] - 1, pos[1] + 2)
            if 0 <= i < hw[0] and 0 <= j < hw[1]}


@pytest.mark.parametrize('hw, pos', [((4, 6), (1, 4)), ((6, 4), (4, 1)), ((3, 7), (2, 6))])
def test_adapters_see_the_grid_row_major(hw, pos):
    """The 3x3 depthwise conv of the SFE is the only spatial operation of the feature
    adapter (eval mode): a change of one token must reach exactly its 3x3
    neighbourhood on the (H, W) grid. A (W, H) reshape moves it elsewhere."""
    torch.manual_seed(0)
    c = 16
    tokens = torch.randn(2, hw[0] * hw[1], c)
    adapter = FeatureAdapter(c).eval()
    assert _changed_positions(lambda t: adapter(t, hw), tokens, hw, pos) == \
        _neighbourhood(hw, pos)
    # MP-alpha, RGB path (the IR path is SimAM: global statistics by design)
    prompt = InitialPromptGenerator(c).eval()
    ir = torch.randn_like(tokens)
    assert _changed_positions(lambda t: prompt(t, ir, hw), tokens, hw, pos) == \
        _neighbourhood(hw, pos)


@pytest.mark.parametrize('flavour', ['eva02', 'swin'])
def test_backbone_passes_the_grid_as_height_width(flavour):
    model = tiny(flavour).eval()
    seen = []
    for m in model.modules():
        if isinstance(m, (PromptedBlockAdapter, InitialPromptGenerator)):
            m.register_forward_pre_hook(lambda mod, args: seen.append(tuple(args[-1])))
    with torch.no_grad():
        model(rgbx(64, 96))
    expected = {(4, 6)} if flavour != 'swin' else {(16, 24), (8, 12), (4, 6), (2, 3)}
    assert set(seen) == expected


# --------------------------------------------------------------- weight formats
def _eva_timm_to_original(sd):
    """timm EVA02 names -> the original EVA02 (BAAI) names."""
    out = {'mask_token': torch.zeros(1, 1, sd['pos_embed'].shape[-1])}
    for k, v in sd.items():
        k = (k.replace('attn.q_proj.bias', 'attn.q_bias')
             .replace('attn.v_proj.bias', 'attn.v_bias')
             .replace('mlp.fc1_g', 'mlp.w1').replace('mlp.fc1_x', 'mlp.w2')
             .replace('mlp.norm', 'mlp.ffn_ln').replace('mlp.fc2', 'mlp.w3'))
        out[k] = v
    return out


def _swin_timm_to_microsoft(sd):
    """timm Swin names -> the original Microsoft names (patch merging at stage end)."""
    out = {}
    for k, v in sd.items():
        m = re.match(r'layers\.(\d+)\.downsample\.(.*)', k)
        if m:
            k = f'layers.{int(m.group(1)) - 1}.downsample.{m.group(2)}'
        out[k.replace('head.fc.', 'head.')] = v
    return out


@pytest.mark.parametrize('flavour, fmt', [('eva02', 'timm'), ('eva02', 'original'),
                                          ('vit', 'timm'), ('swin', 'timm'),
                                          ('swin', 'microsoft')])
def test_pretrained_round_trip(tmp_path, flavour, fmt):
    # with its classification head, as released (dynamic size: no parameter change)
    ref = plain_timm(flavour, dynamic_img_size=True)
    perturb_(ref, seed=3)
    sd = ref.state_dict()
    if fmt == 'original':
        sd = _eva_timm_to_original(sd)
    elif fmt == 'microsoft':
        sd = _swin_timm_to_microsoft(sd)
    path = tmp_path / 'foundation.pth'
    torch.save({'model': sd}, path)

    # Swin: timm's windows, as the reference (the weights are the point here)
    kwargs = dict(window_mode='timm') if flavour == 'swin' else {}
    model = tiny(flavour, pretrained=str(path), ir_patch_embed_init='copy_rgb', **kwargs)
    model.init_weights()
    base = model.swin if flavour == 'swin' else model.vit
    ref_sd = ref.state_dict()
    for k, v in base.state_dict().items():
        torch.testing.assert_close(v, ref_sd[k], rtol=0, atol=0, msg=k)
    # ir_patch_embed_init='copy_rgb': a copy of the pretrained RGB patch embedding
    for k, v in model.patch_embed_ir.state_dict().items():
        assert torch.equal(v, ref_sd['patch_embed.' + k]), k
    # the default (official): PyTorch's default initialisation, not the RGB weights
    official = tiny(flavour, pretrained=str(path), **kwargs)
    official.init_weights()
    conv = official.patch_embed_ir.proj
    bound = 1 / (conv.weight[0].numel() ** 0.5)   # Kaiming-uniform(a=sqrt(5)) bound
    assert conv.weight.abs().max() <= bound and conv.weight.std() > bound / 3
    assert not torch.equal(conv.weight, ref_sd['patch_embed.proj.weight'])
    if flavour == 'swin':
        assert torch.equal(official.patch_embed_ir.norm.weight, torch.ones(16))
        # a timm / Microsoft file has no output norms: they stay at 1, 0
        assert all(torch.equal(n.weight, torch.ones_like(n.weight)) and
                   torch.equal(n.bias, torch.zeros_like(n.bias))
                   for n in official.out_norms.values())
    assert all(not p.requires_grad for p in base.parameters())
    assert all(p.requires_grad for p in model.patch_embed_ir.parameters())
    # every frozen tensor is covered: strict loading through the key map succeeds
    key_map = timm_swin_to_ours if flavour == 'swin' else timm_vit_to_ours
    prefix = 'swin.' if flavour == 'swin' else 'vit.'
    report = load_pretrained(model, str(path), prefix=prefix, strict=True,
                             key_map=lambda s: key_map(s, model=base))
    assert not report.missing and not report.mismatched
    # and with zeroed adapters the backbone computes the pretrained model's features
    zero_adapters_(model)
    model.eval()
    x = rgbx(64, 96)
    ref.eval()
    with torch.no_grad():
        ours = model(x)
        expected = ref.forward_intermediates(x[:, :3], indices=[0, 1, 2, 3], norm=False,
                                             intermediates_only=True)
    i = 2 if flavour != 'swin' else 3  # a map at the native grid
    if flavour == 'swin':   # output norms at (1, 0)
        expected = [F.layer_norm(e.permute(0, 2, 3, 1), e.shape[1:2]).permute(0, 3, 1, 2)
                    for e in expected]
    torch.testing.assert_close(ours[i], expected[i], rtol=1e-4, atol=1e-5)


def test_patch14_eva02_checkpoint_is_refused_with_the_converter_named(tmp_path):
    cfg = dict(TINY_TIMM['eva02'])
    ref = timm.create_model(cfg.pop('model_name'), pretrained=False,
                            **dict(cfg, patch_size=14, img_size=56))  # grid 4x4
    path = tmp_path / 'eva02_p14.pth'
    torch.save(ref.state_dict(), path)
    model = tiny('eva02', pretrained=str(path))  # patch 16, img 64: grid 4x4
    with pytest.raises(ValueError, match=r'\(14, 14\) patches.*eva2mmrgbir\.py'):
        model.init_weights()


@pytest.mark.parametrize('flavour', ['vit', 'eva02', 'swin'])
def test_random_frozen_backbone_is_refused_at_build_time(flavour, tmp_path):
    from mmrgbir.models.utils.frozen_weights import RandomFrozenWeightsError
    converter = 'swin2mmrgbir.py' if flavour == 'swin' else \
        'eva2mmrgbir.py' if flavour == 'eva02' else 'timm-format'
    with pytest.raises(RandomFrozenWeightsError,
                       match=rf'pretrained=None(.|\n)*{converter}'):
        tiny(flavour, allow_random_frozen=False)
    missing = str(tmp_path / 'missing.pth')
    with pytest.raises(RandomFrozenWeightsError, match='missing.pth.*does not exist'):
        tiny(flavour, pretrained=missing)
    with pytest.raises(ValueError, match='allow_random_frozen must be'):
        tiny(flavour, allow_random_frozen='yes')
    assert tiny(flavour, allow_random_frozen='checkpoint').allow_random_frozen == \
        'checkpoint'
    assert tiny(flavour).allow_random_frozen is True


# ------------------------------------------------------------------- inputs
@pytest.mark.parametrize('flavour', ['vit', 'swin'])
def test_wrong_channel_count_is_a_clear_error(flavour):
    model = tiny(flavour).eval()
    with pytest.raises(ValueError, match=r'\(B, 4, H, W\).*x_channels=1'):
        model(rgbx(64, 64, x_channels=3))
    with pytest.raises(ValueError, match=r'\(B, 4, H, W\)'):
        model(torch.randn(2, 3, 64, 64))
    model3 = tiny(flavour, x_channels=3).eval()
    with torch.no_grad():
        assert len(model3(rgbx(64, 64, x_channels=3))) == 4
    with pytest.raises(ValueError, match=r'\(B, 6, H, W\).*x_channels=3'):
        model3(rgbx(64, 64, x_channels=1))
    with pytest.raises(ValueError, match='x_channels must be 1 or 3'):
        tiny(flavour, x_channels=2)


def test_one_channel_x_is_repeated():
    model = tiny('vit').eval()
    x1 = rgbx(64, 64)
    x3 = torch.cat([x1[:, :3], x1[:, 3:].expand(-1, 3, -1, -1)], dim=1)
    model3 = tiny('vit', x_channels=3).eval()
    model3.load_state_dict(model.state_dict())
    with torch.no_grad():
        for a, b in zip(model(x1), model3(x3)):
            torch.testing.assert_close(a, b)


def test_registered_and_buildable():
    from mmrgbir.registry import MODELS
    cfg = dict(type='IVTuningViT', **TINY_TIMM['vit'], out_indices=(0, 1, 2, 3),
               allow_random_frozen=True)
    assert isinstance(MODELS.build(cfg), IVTuningViT)
    assert isinstance(MODELS.build(dict(type='IVTuningSwin', **TINY_TIMM['swin'],
                                        allow_random_frozen=True)), IVTuningSwin)


def test_gradient_checkpointing_gives_the_same_outputs_and_gradients():
    torch.manual_seed(0)
    model = tiny('eva02').eval()  # eval: no dropout, BN statistics fixed
    x = rgbx(64, 96)
    grads = []
    for with_cp in (False, True):
        model.with_cp = with_cp
        model.zero_grad()
        outs = model(x)
        sum(o.sum() for o in outs).backward()
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()
                      if p.requires_grad})
    for n in grads[0]:
        torch.testing.assert_close(grads[0][n], grads[1][n], rtol=1e-4, atol=1e-6)
