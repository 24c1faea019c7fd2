# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""DPLNet: parameter counts, LayerNorm epsilons, equivalence with mmseg's MiT, weight
formats, the frozen-weights refusal, freezing, the official decode head."""
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.backbones import MixVisionTransformer
from mmseg.models.decode_heads import SegformerHead

from mmrgbir.models.adapters.multimodal_feature_adapter import MultimodalFeatureAdapter
from mmrgbir.models.adapters.multimodal_prompt_generator import MultimodalPromptGenerator
from mmrgbir.models.backbones.dplnet_mit import MIT_SETTINGS, DPLNetMiT, detect_mit_format
from mmrgbir.models.decode_heads.dplnet_head import DPLNetHead
from mmrgbir.models.utils.frozen_weights import RandomFrozenWeightsError
from mmrgbir.models.utils.param_report import count_parameters

B5_WIDTHS = [64, 128, 320, 512]


# tiny tensors: one intra-op thread is as fast and does not stall on a busy CPU
pytestmark = pytest.mark.usefixtures('one_thread')


#: mmseg's MiT uses one LayerNorm epsilon (1e-6) everywhere; ours follows the official
#: code (1e-5 in the patch embeddings and spatial-reduction norms) unless told otherwise
MMSEG_EPS = dict(patch_norm_eps=1e-6, sr_norm_eps=1e-6)


def random_mit(**kwargs):
    """A DPLNetMiT whose frozen MiT stays random on purpose (no weights in unit tests)."""
    return DPLNetMiT(allow_random_frozen=True, **kwargs)


def mmseg_mit(arch, **kwargs):
    """mmseg 1.2.2's MixVisionTransformer with the settings of ``arch``."""
    s = MIT_SETTINGS[arch]
    return MixVisionTransformer(
        in_channels=3, embed_dims=s['embed_dims'][0], num_stages=4,
        num_layers=list(s['depths']), num_heads=list(s['num_heads']),
        patch_sizes=[7, 3, 3, 3], strides=[4, 2, 2, 2], sr_ratios=list(s['sr_ratios']),
        mlp_ratio=4, qkv_bias=True, drop_path_rate=0.1,
        norm_cfg=dict(type='LN', eps=1e-6), **kwargs)


def dplnet_head(in_channels, channels, num_classes, **kwargs):
    return DPLNetHead(in_channels=list(in_channels), in_index=[0, 1, 2, 3], channels=channels,
                      num_classes=num_classes, dropout_ratio=0.5,
                      norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
                      **kwargs)


def segformer_head(in_channels, channels, num_classes):
    return SegformerHead(in_channels=list(in_channels), in_index=[0, 1, 2, 3],
                         channels=channels, num_classes=num_classes, dropout_ratio=0.1,
                         norm_cfg=dict(type='BN', requires_grad=True), align_corners=False)


def perturb_(module, seed=0):
    """Make every tensor of a randomly built model non-trivial (LN weights != 1 etc.)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))


def zero_prompt_outputs_(model):
    """Zero the last projections of every MPG and MFA: the prompts then add nothing."""
    with torch.no_grad():
        for mpg in model.prompt_generators:
            mpg.out_proj.weight.zero_()
            mpg.out_proj.bias.zero_()
        for block in model.blocks():
            block.attn.feature_adapter.out_proj.weight.zero_()
            block.attn.feature_adapter.out_proj.bias.zero_()


def mmseg_to_nvidia_names(state_dict):
    """Write mmseg MiT weights with NVIDIA SegFormer names (written independently of the
    key maps under test, from the two published layouts)."""
    out = {}
    for k, v in state_dict.items():
        s, rest = re.fullmatch(r'layers\.(\d+)\.(.+)', k).groups()
        s = int(s) + 1
        if rest.startswith('0.'):                       # PatchEmbed
            rest = rest[2:].replace('projection.', 'proj.')
            out[f'patch_embed{s}.{rest}'] = v
        elif rest.startswith('2.'):                     # stage norm
            out[f'norm{s}.{rest[2:]}'] = v
        else:                                           # blocks
            j, sub = re.fullmatch(r'1\.(\d+)\.(.+)', rest).groups()
            pre = f'block{s}.{j}.'
            if sub.startswith('attn.attn.in_proj_'):
                kind = sub.rsplit('_', 1)[1]
                c = v.shape[0] // 3
                out[pre + f'attn.q.{kind}'] = v[:c].clone()
                out[pre + f'attn.kv.{kind}'] = v[c:].clone()
                continue
            sub = (sub.replace('attn.attn.out_proj.', 'attn.proj.')
                   .replace('ffn.layers.0.', 'mlp.fc1.')
                   .replace('ffn.layers.1.', 'mlp.dwconv.dwconv.')
                   .replace('ffn.layers.4.', 'mlp.fc2.'))
            if sub in ('mlp.fc1.weight', 'mlp.fc2.weight'):
                v = v[:, :, 0, 0].clone()
            out[pre + sub] = v
    return out


def rgbx(b=2, h=64, w=64, x_channels=1, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, 3 + x_channels, h, w, generator=g)


# ----------------------------------------------------------------------------- counts
def test_b5_parameter_counts():
    torch.manual_seed(0)
    ours = random_mit()   # published defaults: arch b5, 30 x 32 prompt tokens
    ref = mmseg_mit('b5')
    _, ref_total = count_parameters(ref)
    learnable, total = count_parameters(ours)
    frozen = total - learnable
    assert frozen == ref_total == 81_443_008, (frozen, ref_total)

    # The prompts, from their definitions (MPG: conv + LN patch embedding and
    # W1, W2: C->C/4, W3: C/4->C; MFA: LN(32), 32->2C, three C->C/32, C/32->C).
    kernels, in_ch, expected = [7, 3, 3, 3], [3, 64, 128, 320], 30 * 32
    for k, cin, c, depth in zip(kernels, in_ch, B5_WIDTHS, (3, 6, 40, 3)):
        mpg = (k * k * cin * c + c) + 2 * c + 2 * (c * c // 4 + c // 4) + (c // 4 * c + c)
        mfa = 2 * 32 + (32 * 2 * c + 2 * c) + 3 * (c * c // 32 + c // 32) + (c // 32 * c + c)
        expected += mpg + depth * mfa
    assert learnable == expected == 3_874_394
    assert abs(learnable / 3.87e6 - 1) < 0.005            # published: prompts 3.87 M

    # The official head on NYUDv2, from its definition: per-level Linear C_i -> 768,
    # fusion conv 3072 -> 768 without bias + BN(768), classifier 768 -> 150,
    # projection 150 -> 41 (40 classes + void).
    head = dplnet_head(B5_WIDTHS, 768, 40, extra_void_class=True)
    head_expected = (sum(c * 768 + 768 for c in B5_WIDTHS) + 4 * 768 * 768 + 2 * 768
                     + (768 * 150 + 150) + (150 * 41 + 41))
    assert count_parameters(head) == (head_expected, head_expected) == (3_271_877,) * 2
    model = nn.ModuleDict(dict(backbone=ours, decode_head=head))
    l41, t41 = count_parameters(model)
    # What the official code counts for its NYUDv2 model (DPLNet.py __main__, run on
    # the official modules: 7,146,271 learnable; its total 91,854,965 also holds the
    # frozen, unused ADE20K head copy inside its MiT, 3,265,686): the README's
    # "7.15 M of 88.58 M".
    assert (l41, t41) == (7_146_271, 88_589_279)
    # mmseg's stock SegformerHead (768, 40 classes) would have 3.18 M instead.
    assert count_parameters(segformer_head(B5_WIDTHS, 768, 40))[1] == 3_184_168
    print(f'\nfrozen MiT-B5 {frozen:,}; prompts {learnable:,}; DPLNetHead (41 outputs) '
          f'{head_expected:,}; learnable {l41:,} of {t41:,}')


def test_trainable_names_are_the_prompts():
    model = random_mit(arch='b0')
    for name, p in model.named_parameters():
        is_prompt = (name == 'prompt_tokens' or name.startswith('prompt_generators.')
                     or '.attn.feature_adapter.' in name)
        assert p.requires_grad == is_prompt, name
    assert len(model.blocks()) == 8 and model.prompt_tokens.shape == (30, 32)
    only_tokens = random_mit(arch='b0', trainable=[r'prompt_tokens'])
    assert [n for n, p in only_tokens.named_parameters() if p.requires_grad] == ['prompt_tokens']


# ----------------------------------------------------------------------- the adapters
def test_feature_adapter_matches_its_definition():
    torch.manual_seed(0)
    c, heads, n, b = 64, 2, 7, 2
    mfa = MultimodalFeatureAdapter(c, heads)
    perturb_(mfa)
    q, tokens = torch.randn(b, n, c), torch.randn(30, 32)
    p = F.layer_norm(tokens, (32,), mfa.prompt_norm.weight, mfa.prompt_norm.bias, 1e-6)
    kv = p @ mfa.prompt_kv.weight.t() + mfa.prompt_kv.bias
    k = mfa.key_reduce(kv[:, :c])                       # (30, 2)
    v = mfa.value_reduce(kv[:, c:])
    qr = mfa.query_reduce(q)                            # (b, n, 2)
    d = c // 32 // heads
    out = []
    for h in range(heads):
        sl = slice(h * d, (h + 1) * d)
        attn = (qr[..., sl] @ k[:, sl].t() * (c // heads) ** -0.5).softmax(-1)
        out.append(attn @ v[:, sl])
    expected = mfa.out_proj(torch.cat(out, -1))
    torch.testing.assert_close(mfa(q, tokens), expected, rtol=1e-5, atol=1e-6)
    # a batch of prompt tokens gives the same result
    torch.testing.assert_close(mfa(q, tokens.expand(b, -1, -1)), expected,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('scale', [1.0, 1e-3])   # tiny inputs: the LN epsilon matters
def test_prompt_generator_matches_its_definition(scale):
    torch.manual_seed(0)
    mpg = MultimodalPromptGenerator(3, 64, patch_size=7, stride=4)
    aux, rgb_tokens = scale * torch.randn(2, 3, 32, 48), torch.randn(2, 8 * 12, 64)
    d = F.conv2d(aux, mpg.patch_embed.proj.weight, mpg.patch_embed.proj.bias, 4, 3)
    d = F.layer_norm(d.flatten(2).transpose(1, 2), (64,), mpg.patch_embed.norm.weight,
                     mpg.patch_embed.norm.bias, 1e-5)   # NVIDIA's nn.LayerNorm default
    expected = mpg.out_proj(mpg.aux_reduce(d) + mpg.rgb_reduce(rgb_tokens))
    torch.testing.assert_close(mpg(aux, rgb_tokens, (8, 12)), expected)
    with pytest.raises(ValueError, match='grid'):
        mpg(aux, rgb_tokens, (12, 8))


def test_layernorm_epsilons_are_the_official_ones():
    """Epsilon of every LayerNorm, by its role, as in the official code (NVIDIA's
    OverlapPatchEmbed and Attention.norm build nn.LayerNorm(C), eps 1e-5; mit_b5's
    norm_layer, used by the block, stage and prompt norms, has eps 1e-6)."""
    expected = [(r'patch_embeds\.\d\.norm', 1e-5),
                (r'prompt_generators\.\d\.patch_embed\.norm', 1e-5),
                (r'stages\.\d\.\d+\.attn\.sr_norm', 1e-5),
                (r'stages\.\d\.\d+\.norm[12]', 1e-6),
                (r'stages\.\d\.\d+\.attn\.feature_adapter\.prompt_norm', 1e-6),
                (r'stage_norms\.\d', 1e-6)]
    model = random_mit(arch='b0')
    seen = {pattern: 0 for pattern, _ in expected}
    for name, module in model.named_modules():
        if not isinstance(module, nn.LayerNorm):
            continue
        matches = [(p, e) for p, e in expected if re.fullmatch(p, name)]
        assert len(matches) == 1, name
        assert module.eps == matches[0][1], (name, module.eps)
        seen[matches[0][0]] += 1
    # b0: 4 stages of 2 blocks, spatial reduction in stages 1-3
    assert list(seen.values()) == [4, 4, 6, 16, 8, 4]
    # the mmseg-compatible setting changes exactly the 1e-5 ones
    alt = random_mit(arch='b0', **MMSEG_EPS)
    assert {m.eps for m in alt.modules() if isinstance(m, nn.LayerNorm)} == {1e-6}


def test_frozen_mit_without_weights_is_refused(tmp_path):
    with pytest.raises(RandomFrozenWeightsError) as err:
        DPLNetMiT(arch='b0')
    msg = str(err.value)
    for part in ('DPLNetMiT', 'model.backbone.pretrained', 'mit2mmrgbir.py',
                 'segformer.b5.640x640.ade.160k.pth', 'allow_random_frozen'):
        assert part in msg, part
    with pytest.raises(RandomFrozenWeightsError, match='does not exist'):
        DPLNetMiT(arch='b0', pretrained=str(tmp_path / 'missing.pth'))
    with pytest.raises(ValueError, match='allow_random_frozen'):
        DPLNetMiT(arch='b0', allow_random_frozen='yes')
    for allowed in (True, 'checkpoint'):
        assert DPLNetMiT(arch='b0', allow_random_frozen=allowed).allow_random_frozen == allowed
    path = tmp_path / 'mit_b0.pth'
    torch.save(mmseg_mit('b0').state_dict(), path)
    assert DPLNetMiT(arch='b0', pretrained=str(path)).allow_random_frozen is False


# ------------------------------------------------------------------- the decode head
def _bn_eval(x, bn):
    shape = (1, -1, 1, 1)
    return ((x - bn.running_mean.view(shape)) / torch.sqrt(bn.running_var.view(shape) + bn.eps)
            * bn.weight.view(shape) + bn.bias.view(shape))


def test_dplnet_head_matches_its_definition():
    """Per-level Linear, upsampling to level 1, concatenation deepest level first, 1x1
    conv (no bias) + BN + ReLU, Dropout2d, 150-way (here 7-way) classifier, projection."""
    torch.manual_seed(0)
    widths = [8, 16, 24, 32]
    head = DPLNetHead(in_channels=widths, in_index=[0, 1, 2, 3], channels=12,
                      pretrain_classes=7, num_classes=3, extra_void_class=True,
                      dropout_ratio=0.5, norm_cfg=dict(type='BN'), align_corners=False)
    perturb_(head)
    with torch.no_grad():
        head.fusion_conv.bn.running_mean.uniform_(-0.5, 0.5)
        head.fusion_conv.bn.running_var.uniform_(0.5, 2.0)
    head.eval()
    assert head.fusion_conv.conv.bias is None and isinstance(head.dropout, nn.Dropout2d)
    assert head.dropout.p == 0.5
    feats = [torch.randn(2, c, 12 // 2 ** i + 1, 16 // 2 ** i + 1)
             for i, c in enumerate(widths)]   # odd sizes: 13x17, 7x9, 4x5, 2x3
    size = feats[0].shape[2:]
    embedded = []
    for x, lin in zip(feats, head.linear_layers):
        e = torch.einsum('bchw,dc->bdhw', x, lin.weight) + lin.bias.view(1, -1, 1, 1)
        embedded.append(F.interpolate(e, size=size, mode='bilinear', align_corners=False))
    cat = torch.cat(embedded[::-1], 1)          # official order: c4, c3, c2, c1
    fused = F.relu(_bn_eval(F.conv2d(cat, head.fusion_conv.conv.weight), head.fusion_conv.bn))
    z = F.conv2d(fused, head.conv_seg.weight, head.conv_seg.bias)
    expected = F.conv2d(z, head.class_proj.weight, head.class_proj.bias)
    with torch.no_grad():
        out = head(feats)
    assert out.shape == (2, 4, 13, 17)          # 3 classes + void
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    # predictions drop the void channel (the last) and are resized to the image
    metas = [dict(img_shape=(26, 34), pad_shape=(26, 34))]
    pred = head.predict_by_feat(out, metas)
    torch.testing.assert_close(pred, F.interpolate(out[:, :3], size=(26, 34), mode='bilinear',
                                                   align_corners=False))
    assert head.out_channels == 3


def test_dplnet_head_void_channel_takes_part_in_the_loss():
    """With extra_void_class, the loss is the official one: softmax over classes + void,
    class-weighted CE over the non-ignored pixels (void pixels carry mmseg's 255)."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    torch.manual_seed(0)
    weights = [1.0, 2.0, 3.0, 0.0]
    head = DPLNetHead(in_channels=[8, 16, 24, 32], in_index=[0, 1, 2, 3], channels=12,
                      pretrain_classes=7, num_classes=3, extra_void_class=True,
                      norm_cfg=dict(type='BN'),
                      loss_decode=dict(type='ClassWeightedCrossEntropyLoss',
                                       class_weight=weights))
    logits = torch.randn(2, 4, 8, 8)
    labels = torch.randint(0, 3, (2, 16, 16))
    labels[:, :4] = 255
    samples = []
    for lab in labels:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=lab[None])
        samples.append(sample)
    loss = head.loss_by_feat(logits, samples)['loss_ce']
    up = F.interpolate(logits, size=(16, 16), mode='bilinear', align_corners=False)
    expected = F.cross_entropy(up, labels, weight=torch.tensor(weights), ignore_index=255)
    torch.testing.assert_close(loss, expected)
    without_void = F.cross_entropy(up[:, :3], labels, weight=torch.tensor(weights[:3]),
                                   ignore_index=255)
    assert (loss - without_void).abs() > 1e-3   # the void logit is in the softmax


# ------------------------------------------------------------ equivalence and formats
@pytest.mark.parametrize('hw', [(64, 64), (48, 80)])
def test_equals_mmseg_mit_with_prompts_zeroed(tmp_path, hw):
    torch.manual_seed(0)
    ref = mmseg_mit('b0').eval()
    perturb_(ref)
    path = tmp_path / 'segformer_mmseg.pth'
    # an mmseg segmentor checkpoint: backbone. prefix, a decode head to be ignored
    state = {f'backbone.{k}': v for k, v in ref.state_dict().items()}
    state['decode_head.conv_seg.weight'] = torch.zeros(150, 256, 1, 1)
    torch.save({'meta': {}, 'state_dict': state}, path)

    ours = DPLNetMiT(arch='b0', x_channels=1, pretrained=str(path), pretrained_format='mmseg',
                     **MMSEG_EPS)
    ours.init_weights()
    ours.eval()
    inputs = rgbx(h=hw[0], w=hw[1])
    with torch.no_grad():
        prompted = ours(inputs)
        zero_prompt_outputs_(ours)
        got = ours(inputs)
        want = ref(inputs[:, :3])
    for g, w, s in zip(got, want, (4, 8, 16, 32)):
        assert g.shape == w.shape == (2, g.shape[1], -(-hw[0] // s), -(-hw[1] // s))
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)
    # the prompts do change the output when they are not zeroed
    assert (prompted[-1] - want[-1]).abs().max() > 1e-3


def test_nvidia_and_mmseg_files_round_trip(tmp_path):
    torch.manual_seed(0)
    ref = mmseg_mit('b0').eval()
    perturb_(ref)
    mm_state = ref.state_dict()
    nv_state = mmseg_to_nvidia_names(mm_state)
    for name in ('patch_embed1.proj.weight', 'patch_embed4.norm.bias',
                 'block1.0.attn.q.weight', 'block1.0.attn.kv.bias', 'block1.1.attn.sr.weight',
                 'block1.0.attn.norm.weight', 'block3.1.mlp.dwconv.dwconv.weight',
                 'block4.1.mlp.fc2.weight', 'norm4.weight'):
        assert name in nv_state
    assert nv_state['block2.0.mlp.fc1.weight'].shape == (256, 64)
    assert nv_state['block1.0.attn.kv.weight'].shape == (64, 32)

    mm_path, nv_path = tmp_path / 'mit_mmseg.pth', tmp_path / 'segformer_nvidia.pth'
    torch.save(mm_state, mm_path)
    # as released by NVIDIA for ADE20K: backbone. + decode_head. in a state_dict
    nv_ckpt = {f'backbone.{k}': v for k, v in nv_state.items()}
    nv_ckpt['decode_head.linear_pred.weight'] = torch.zeros(150, 256, 1, 1)
    torch.save({'state_dict': nv_ckpt}, nv_path)
    assert detect_mit_format(mm_state) == 'mmseg'
    assert detect_mit_format(nv_ckpt) == 'nvidia'

    models = {}
    for key, path, fmt in (('mmseg', mm_path, 'mmseg'), ('nvidia', nv_path, 'nvidia'),
                           ('mmseg_auto', mm_path, 'auto'), ('nvidia_auto', nv_path, 'auto')):
        torch.manual_seed(1)   # identical prompts in every model
        m = DPLNetMiT(arch='b0', x_channels=3, pretrained=str(path), pretrained_format=fmt,
                      **MMSEG_EPS)
        m.init_weights()
        models[key] = m.eval()
    base = models['mmseg'].state_dict()
    for key, m in models.items():
        for name, value in m.state_dict().items():
            assert torch.equal(value, base[name]), (key, name)
    # tensors land where they should (independently of the key maps)
    attn = models['nvidia'].stages[0][1].attn
    w = mm_state['layers.0.1.1.attn.attn.in_proj_weight']
    assert torch.equal(attn.q.weight, w[:32]) and torch.equal(attn.kv.weight, w[32:])
    assert torch.equal(models['nvidia'].stages[2][0].ffn.fc1.weight,
                       mm_state['layers.2.1.0.ffn.layers.0.weight'][:, :, 0, 0])
    assert torch.equal(models['nvidia'].stage_norms[3].weight, mm_state['layers.3.2.weight'])

    inputs = rgbx(x_channels=3)
    with torch.no_grad():
        outs = [m(inputs) for m in models.values()]
        zero_prompt_outputs_(models['nvidia'])
        plain = models['nvidia'](inputs)
        want = ref(inputs[:, :3])
    for out in outs[1:]:
        for a, b in zip(out, outs[0]):
            assert torch.equal(a, b)
    for g, w in zip(plain, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)


def test_incomplete_or_missing_weights_fail(tmp_path):
    state = mmseg_to_nvidia_names(mmseg_mit('b0').state_dict())
    del state['block2.1.attn.kv.weight']
    path = tmp_path / 'broken.pth'
    torch.save(state, path)
    with pytest.raises(KeyError, match='stages.1.1.attn.kv.weight'):
        DPLNetMiT(arch='b0', pretrained=str(path)).init_weights()
    with pytest.raises(RandomFrozenWeightsError, match='none.pth'):   # refused at build
        DPLNetMiT(arch='b0', pretrained=str(tmp_path / 'none.pth'))
    with pytest.raises(KeyError):   # a b0 checkpoint is not a b1 backbone
        torch.save(mmseg_mit('b0').state_dict(), path)
        DPLNetMiT(arch='b1', pretrained=str(path)).init_weights()


# ---------------------------------------------------------------- training behaviour
def test_optimizer_steps_touch_only_the_prompts():
    torch.manual_seed(0)
    backbone = random_mit(arch='b0', x_channels=1)
    head = segformer_head(MIT_SETTINGS['b0']['embed_dims'], 32, 5)
    model = nn.ModuleDict(dict(backbone=backbone, decode_head=head)).train()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == ({'backbone.' + n for n in backbone.trainable_names}
                         | {'decode_head.' + n for n, _ in head.named_parameters()})
    # weight decay and momentum on every parameter: frozen ones must still not move
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    inputs = rgbx(h=64, w=96)
    labels = torch.randint(0, 5, (2, 64, 96))
    for step in range(3):
        optim.zero_grad()
        logits = model['decode_head'](model['backbone'](inputs))
        logits = F.interpolate(logits, size=labels.shape[1:], mode='bilinear')
        F.cross_entropy(logits, labels).backward()
        if step == 0:
            for n, p in model.named_parameters():
                if n in trainable:
                    assert p.grad is not None and p.grad.abs().sum() > 0, n
                else:
                    assert p.grad is None, n
        optim.step()
    for n, p in model.named_parameters():
        if n in trainable:
            assert not torch.equal(p, before[n]), n
        else:
            assert torch.equal(p, before[n]), n


def test_gradient_checkpointing_gives_same_gradients():
    torch.manual_seed(0)
    a = random_mit(arch='b0', x_channels=1, drop_path_rate=0.0)
    b = random_mit(arch='b0', x_channels=1, drop_path_rate=0.0, with_cp=True)
    b.load_state_dict(a.state_dict())
    inputs = rgbx(h=32, w=64)
    for m in (a, b):
        sum(o.square().mean() for o in m.train()(inputs)).backward()
    for (n, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        if pa.requires_grad:
            torch.testing.assert_close(pa.grad, pb.grad, rtol=1e-4, atol=1e-6, msg=n)


# ------------------------------------------------------------------ inputs and errors
def test_non_square_inputs_and_one_channel_x():
    torch.manual_seed(0)
    one = random_mit(arch='b0', x_channels=1).eval()
    three = random_mit(arch='b0', x_channels=3).eval()
    three.load_state_dict(one.state_dict())
    x = rgbx(b=1, h=50, w=70, x_channels=1)
    with torch.no_grad():
        outs = one(x)
        outs3 = three(torch.cat([x, x[:, 3:], x[:, 3:]], 1))
    assert [tuple(o.shape) for o in outs] == [(1, 32, 13, 18), (1, 64, 7, 9), (1, 160, 4, 5),
                                             (1, 256, 2, 3)]
    for a, b in zip(outs, outs3):
        assert torch.equal(a, b)
    sub = random_mit(arch='b0', out_indices=(1, 3)).eval()
    assert [o.shape[1] for o in sub(rgbx(b=1, h=32, w=64, x_channels=3))] == [64, 256]


def test_wrong_inputs_and_arguments_raise():
    one = random_mit(arch='b0', x_channels=1)
    with pytest.raises(ValueError, match=r'expects \(B, 4, H, W\)'):
        one(torch.randn(1, 6, 32, 32))
    with pytest.raises(ValueError, match=r'expects \(B, 6, H, W\)'):
        random_mit(arch='b0', x_channels=3)(torch.randn(1, 4, 32, 32))
    with pytest.raises(ValueError, match='expects'):
        one(torch.randn(4, 32, 32))
    with pytest.raises(ValueError, match='x_channels'):
        random_mit(arch='b0', x_channels=2)
    with pytest.raises(ValueError, match='arch'):
        random_mit(arch='b7')
    with pytest.raises(ValueError, match='pretrained_format'):
        random_mit(arch='b0', pretrained_format='timm')
    with pytest.raises(ValueError, match='divisible'):
        random_mit(arch='b0', embed_dims=(32, 64, 160, 250))


def test_registered_and_buildable_from_config():
    from mmengine.registry import MODELS as ROOT
    from mmseg.registry import MODELS as SEG
    for registry in (ROOT, SEG):
        model = registry.build(dict(type='DPLNetMiT', arch='b0', x_channels=1,
                                    allow_random_frozen=True))
        assert isinstance(model, DPLNetMiT)


def test_stock_mmseg_segmentor_trains_on_top():
    """DPLNetMiT + stock SegformerHead inside mmseg's EncoderDecoder: one train step."""
    from mmengine.optim import OptimWrapper
    from mmengine.registry import DefaultScope
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS as SEG
    from mmseg.structures import SegDataSample
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = SEG.build(dict(
            type='EncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.0] * 4, std=[1.0] * 4,
                                   size=(64, 96), pad_val=0, seg_pad_val=255),
            backbone=dict(type='DPLNetMiT', arch='b0', x_channels=1, allow_random_frozen=True),
            decode_head=dict(type='SegformerHead', in_channels=[32, 64, 160, 256],
                             in_index=[0, 1, 2, 3], channels=32, num_classes=4,
                             norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
                             loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0))))
    model.init_weights()
    samples = []
    for _ in range(2):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.randint(0, 4, (1, 64, 96)))
        s.set_metainfo(dict(img_shape=(64, 96), ori_shape=(64, 96), pad_shape=(64, 96)))
        samples.append(s)
    data = dict(inputs=[torch.rand(4, 64, 96) * 255 for _ in range(2)], data_samples=samples)
    before = model.backbone.stages[0][0].attn.q.weight.clone()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9,
                                           weight_decay=5e-4))
    losses = model.train_step(data, wrapper)
    assert torch.isfinite(losses['decode.loss_ce'])
    assert torch.equal(model.backbone.stages[0][0].attn.q.weight, before)


def test_segmentor_with_dplnet_head_predicts_the_classes_only():
    """EncoderDecoder + DPLNetMiT + DPLNetHead (void channel): a train step moves only
    the prompts and the head; predictions have num_classes channels and labels."""
    from mmengine.config import ConfigDict
    from mmengine.optim import OptimWrapper
    from mmengine.registry import DefaultScope
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS as SEG
    from mmseg.structures import SegDataSample
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = SEG.build(dict(
            type='EncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.0] * 4, std=[1.0] * 4,
                                   size=(32, 48), pad_val=0, seg_pad_val=255),
            backbone=dict(type='DPLNetMiT', arch='b0', x_channels=1, depths=(1, 1, 1, 1),
                          allow_random_frozen=True),
            decode_head=dict(type='DPLNetHead', in_channels=[32, 64, 160, 256],
                             in_index=[0, 1, 2, 3], channels=16, pretrain_classes=10,
                             num_classes=3, extra_void_class=True, norm_cfg=dict(type='BN'),
                             loss_decode=dict(type='ClassWeightedCrossEntropyLoss',
                                              class_weight=[1.0, 2.0, 3.0, 0.0])),
            test_cfg=ConfigDict(mode='whole')))
    model.init_weights()
    samples = []
    for _ in range(2):
        s = SegDataSample()
        label = torch.randint(0, 3, (1, 32, 48))
        label[:, :5] = 255
        s.gt_sem_seg = PixelData(data=label)
        s.set_metainfo(dict(img_shape=(32, 48), ori_shape=(32, 48), pad_shape=(32, 48)))
        samples.append(s)
    data = dict(inputs=[torch.rand(4, 32, 48) * 255 for _ in range(2)], data_samples=samples)
    frozen = model.backbone.stages[1][0].attn.kv.weight.clone()
    proj = model.decode_head.class_proj.weight.clone()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    losses = model.train_step(data, wrapper)
    assert torch.isfinite(losses['decode.loss_ce'])
    assert torch.equal(model.backbone.stages[1][0].attn.kv.weight, frozen)
    assert not torch.equal(model.decode_head.class_proj.weight, proj)
    model.eval()
    with torch.no_grad():
        out = model.test_step(data)
    assert out[0].seg_logits.data.shape == (3, 32, 48)
    assert set(out[0].pred_sem_seg.data.unique().tolist()) <= {0, 1, 2}
