# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""DPLNet's weight converters: MiT / SegFormer foundation weights -> the frozen MiT
(``mit2mmrgbir``), official DPLNet checkpoints -> DPLNetMiT + DPLNetHead
(``dplnet2mmrgbir``).

Source state dicts are written here in the source layouts, from the names and shapes
of the official code (NVIDIA's ``mix_transformer.py`` / DPLNet's
``mix_transformer_ourprompt_proj.py``, ``DPLNet.py``, ``segformer_head.py``) and of
mmseg's ``MixVisionTransformer``, at tiny widths; each is converted with the
command-line tool, loaded strictly, and checked tensor by tensor (by attribute, not by
name) and by outputs.
"""
import os.path as osp
import re

import pytest
import torch
import torch.nn as nn
from mmseg.models.backbones import MixVisionTransformer

from mmrgbir.models.backbones.dplnet_mit import DPLNetMiT
from mmrgbir.models.converters.dplnet import convert_and_check as convert_dplnet
from mmrgbir.models.converters.mit import convert_and_check as convert_mit
from mmrgbir.models.decode_heads.dplnet_head import DPLNetHead
from mmrgbir.models.utils.frozen_weights import check_checkpoint_covers_frozen
from converter_testing import Tensors
from converter_testing import run_model_converter as cli

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MIT_CLI = osp.join(REPO, 'tools/model_converters/mit2mmrgbir.py')
DPLNET_CLI = osp.join(REPO, 'tools/model_converters/dplnet2mmrgbir.py')

# MiT-B0 widths and heads (the reduction 32 of the feature adapters needs C / 32
# divisible by the heads: 32, 64, 160, 256 with 1, 2, 5, 8 heads), MiT-B0 depths
WIDTHS, HEADS, SR = (32, 64, 160, 256), (1, 2, 5, 8), (8, 4, 2, 1)
DEPTHS = (2, 2, 2, 2)
TOKENS, PROMPT_DIM = 4, 8
HEAD_DIM, PRETRAIN_CLASSES, CLASSES = 16, 10, 6   # official: 768, 150, 40 (+ void)

pytestmark = pytest.mark.usefixtures('one_thread')


def nvidia_mit(t, prefix='', prompts=False):
    """NVIDIA SegFormer MiT names and shapes (DPLNet's copy adds the prompt layers of
    every block when ``prompts``)."""
    cin = 3
    for s, (c, depth, sr) in enumerate(zip(WIDTHS, DEPTHS, SR), start=1):
        t.conv(f'{prefix}patch_embed{s}.proj', c, cin, 7 if s == 1 else 3)
        t.ln(f'{prefix}patch_embed{s}.norm', c)
        for j in range(depth):
            b = f'{prefix}block{s}.{j}.'
            t.ln(b + 'norm1', c)
            t.linear(b + 'attn.q', c, c)
            t.linear(b + 'attn.kv', 2 * c, c)
            t.linear(b + 'attn.proj', c, c)
            if sr > 1:
                t.conv(b + 'attn.sr', c, c, sr)
                t.ln(b + 'attn.norm', c)
            t.ln(b + 'norm2', c)
            t.linear(b + 'mlp.fc1', 4 * c, c)
            t.add(b + 'mlp.dwconv.dwconv.weight', 4 * c, 1, 3, 3)
            t.add(b + 'mlp.dwconv.dwconv.bias', 4 * c)
            t.linear(b + 'mlp.fc2', c, 4 * c)
            if prompts:
                t.ln(b + 'norm_prompt', PROMPT_DIM)
                t.linear(b + 'attn.q_prompt', c // 32, c)
                t.linear(b + 'attn.kv_prompt', 2 * c, PROMPT_DIM)
                t.linear(b + 'attn.k_prompt', c // 32, c)
                t.linear(b + 'attn.v_prompt', c // 32, c)
                t.linear(b + 'attn.proj_prompt', c, c // 32)
        t.ln(f'{prefix}norm{s}', c)
        cin = c


def nvidia_head(t, prefix, classes):
    """NVIDIA's SegFormerHead (DPLNet's segformer_head.py) names and shapes."""
    for i, c in enumerate(WIDTHS, start=1):
        t.linear(f'{prefix}linear_c{i}.proj', HEAD_DIM, c)
    t.add(f'{prefix}linear_fuse.conv.weight', HEAD_DIM, 4 * HEAD_DIM, 1, 1)
    t.bn(f'{prefix}linear_fuse.bn', HEAD_DIM)
    t.conv(f'{prefix}linear_pred', classes, HEAD_DIM, 1)


def official_dplnet_state(seed=0):
    """``DPLNet().state_dict()`` of the official code, at tiny widths."""
    t = Tensors(seed)
    nvidia_mit(t, 'rgb.', prompts=True)
    nvidia_head(t, 'rgb.head.', PRETRAIN_CLASSES)    # the unused ADE20K head copy
    t.add('learnable_prompt', 1, TOKENS, PROMPT_DIM)
    cin = 3
    for s, c in enumerate(WIDTHS, start=1):
        t.conv(f'patch_embed{s}.proj', c, cin, 7 if s == 1 else 3)
        t.ln(f'patch_embed{s}.norm', c)
        t.linear(f'ada{s}.conv0_0', c // 4, c)
        t.linear(f'ada{s}.conv0_1', c // 4, c)
        t.linear(f'ada{s}.conv', c, c // 4)
        cin = c
    nvidia_head(t, 'head.', PRETRAIN_CLASSES)
    t.conv('conv1', CLASSES + 1, PRETRAIN_CLASSES, 1)
    return t.state


def tiny_backbone(**kwargs):
    return DPLNetMiT(arch='b0', embed_dims=WIDTHS, depths=DEPTHS, num_prompt_tokens=TOKENS,
                     prompt_dim=PROMPT_DIM, x_channels=3, drop_path_rate=0.0, **kwargs)


def tiny_head():
    return DPLNetHead(in_channels=list(WIDTHS), in_index=[0, 1, 2, 3], channels=HEAD_DIM,
                      pretrain_classes=PRETRAIN_CLASSES, num_classes=CLASSES,
                      extra_void_class=True, norm_cfg=dict(type='BN'))


def inputs(h=64, w=96, seed=1):
    return torch.randn(2, 6, h, w, generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------ MiT foundation weights
def test_nvidia_segformer_converts_loads_strictly_and_keeps_outputs(tmp_path, capsys):
    t = Tensors()
    nvidia_mit(t, 'backbone.')
    nvidia_head(t, 'decode_head.', 150)   # a SegFormer segmentor checkpoint (dropped)
    src = t.state
    src_path, dst = tmp_path / 'segformer.b0.ade.pth', tmp_path / 'mit_b0.pth'
    torch.save({'meta': {}, 'state_dict': src}, src_path)
    cli(MIT_CLI, [str(src_path), str(dst), '--arch', 'b0'])
    out = capsys.readouterr().out
    assert 'mapped' in out and 'dropped' in out and 'wrote' in out and 'sha256' in out
    saved = torch.load(dst, weights_only=False)
    assert saved['meta']['converter'] == 'mit2mmrgbir'
    assert all(k.startswith(('patch_embeds.', 'stages.', 'stage_norms.'))
               for k in saved['state_dict'])

    torch.manual_seed(0)
    converted = tiny_backbone(pretrained=str(dst))      # format detected: ours
    converted.init_weights()
    # the tensors are where the NVIDIA names say (checked by attribute)
    s, j = 2, 1
    blk = converted.stages[s - 1][j]
    pairs = [(converted.patch_embeds[0].proj.weight, 'patch_embed1.proj.weight'),
             (converted.patch_embeds[3].norm.bias, 'patch_embed4.norm.bias'),
             (blk.attn.q.weight, f'block{s}.{j}.attn.q.weight'),
             (blk.attn.kv.bias, f'block{s}.{j}.attn.kv.bias'),
             (blk.attn.sr.weight, f'block{s}.{j}.attn.sr.weight'),
             (blk.attn.sr_norm.weight, f'block{s}.{j}.attn.norm.weight'),
             (blk.ffn.dwconv.weight, f'block{s}.{j}.mlp.dwconv.dwconv.weight'),
             (blk.ffn.fc2.weight, f'block{s}.{j}.mlp.fc2.weight'),
             (converted.stage_norms[2].weight, 'norm3.weight')]
    for param, name in pairs:
        assert torch.equal(param, src['backbone.' + name]), name
    # outputs equal those of the backbone loading the NVIDIA file itself
    torch.manual_seed(0)
    direct = tiny_backbone(pretrained=str(src_path), pretrained_format='nvidia')
    direct.init_weights()
    for a, b in zip(converted.state_dict().values(), direct.state_dict().values()):
        assert torch.equal(a, b)
    with torch.no_grad():
        for a, b in zip(converted.eval()(inputs()), direct.eval()(inputs())):
            assert torch.equal(a, b)
    # user data is never overwritten
    with pytest.raises(SystemExit, match='exists'):
        cli(MIT_CLI, [str(src_path), str(dst), '--arch', 'b0'])


def test_mmseg_mit_converts_to_the_same_model(tmp_path):
    torch.manual_seed(0)
    ref = MixVisionTransformer(
        in_channels=3, embed_dims=WIDTHS[0], num_stages=4, num_layers=list(DEPTHS),
        num_heads=list(HEADS), patch_sizes=[7, 3, 3, 3], strides=[4, 2, 2, 2],
        sr_ratios=list(SR), mlp_ratio=4, qkv_bias=True, drop_path_rate=0.0,
        norm_cfg=dict(type='LN', eps=1e-6)).eval()
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    src_path, dst = tmp_path / 'mit_mmseg.pth', tmp_path / 'mit_ours.pth'
    torch.save({'state_dict': ref.state_dict()}, src_path)
    cli(MIT_CLI, [str(src_path), str(dst), '--arch', 'b0', '--format', 'mmseg'])
    # mmseg's MiT has one LayerNorm epsilon: compare with ours set the same way
    ours = tiny_backbone(pretrained=str(dst), patch_norm_eps=1e-6, sr_norm_eps=1e-6)
    ours.init_weights()
    w = ref.state_dict()['layers.1.1.0.attn.attn.in_proj_weight']   # rows q, k, v
    assert torch.equal(ours.stages[1][0].attn.q.weight, w[:64])
    assert torch.equal(ours.stages[1][0].attn.kv.weight, w[64:])
    ours.eval()
    with torch.no_grad():
        for mpg in ours.prompt_generators:      # prompts off: the plain MiT
            mpg.out_proj.weight.zero_()
            mpg.out_proj.bias.zero_()
        for blk in ours.blocks():
            blk.attn.feature_adapter.out_proj.weight.zero_()
            blk.attn.feature_adapter.out_proj.bias.zero_()
        x = inputs()
        for a, b in zip(ours(x), ref(x[:, :3])):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_incomplete_or_unknown_mit_weights_are_errors():
    t = Tensors()
    nvidia_mit(t)
    src = dict(t.state)
    del src['block3.0.attn.kv.weight']
    with pytest.raises(KeyError, match=r'missing\s+1[\s\S]*stages\.2\.0\.attn\.kv\.weight'):
        convert_mit(src, arch='b0', reference=tiny_backbone(allow_random_frozen=True))
    src = dict(t.state)
    src['block1.0.attn.extra.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match='unexpected'):
        convert_mit(src, arch='b0', reference=tiny_backbone(allow_random_frozen=True))
    src = dict(t.state)
    src['pos_embed'] = torch.zeros(1)     # a name of no MiT tensor: not understood
    with pytest.raises(KeyError, match=r'unused\s+1[\s\S]*pos_embed'):
        convert_mit(src, arch='b0', reference=tiny_backbone(allow_random_frozen=True))


# ------------------------------------------------------- official DPLNet checkpoints
def by_hand(src):
    """The official tensors placed into a fresh tiny model by attribute, with no key
    map: the reference the converted checkpoint must equal."""
    torch.manual_seed(5)
    model = nn.ModuleDict(dict(backbone=tiny_backbone(allow_random_frozen=True),
                               decode_head=tiny_head()))
    bb, head = model['backbone'], model['decode_head']

    def put(param, name, fn=lambda x: x):
        with torch.no_grad():
            param.copy_(fn(src[name]))

    def put_module(module, name):
        for attr, tensor in module.named_parameters(recurse=False):
            put(tensor, f'{name}.{attr}')

    for s in range(4):
        put_module(bb.patch_embeds[s].proj, f'rgb.patch_embed{s + 1}.proj')
        put_module(bb.patch_embeds[s].norm, f'rgb.patch_embed{s + 1}.norm')
        put_module(bb.prompt_generators[s].patch_embed.proj, f'patch_embed{s + 1}.proj')
        put_module(bb.prompt_generators[s].patch_embed.norm, f'patch_embed{s + 1}.norm')
        put_module(bb.prompt_generators[s].aux_reduce, f'ada{s + 1}.conv0_0')
        put_module(bb.prompt_generators[s].rgb_reduce, f'ada{s + 1}.conv0_1')
        put_module(bb.prompt_generators[s].out_proj, f'ada{s + 1}.conv')
        put_module(bb.stage_norms[s], f'rgb.norm{s + 1}')
        for j, blk in enumerate(bb.stages[s]):
            b = f'rgb.block{s + 1}.{j}.'
            for mod, name in ((blk.norm1, 'norm1'), (blk.norm2, 'norm2'),
                              (blk.attn.q, 'attn.q'), (blk.attn.kv, 'attn.kv'),
                              (blk.attn.proj, 'attn.proj'), (blk.ffn.fc1, 'mlp.fc1'),
                              (blk.ffn.dwconv, 'mlp.dwconv.dwconv'), (blk.ffn.fc2, 'mlp.fc2')):
                put_module(mod, b + name)
            if blk.attn.sr_ratio > 1:
                put_module(blk.attn.sr, b + 'attn.sr')
                put_module(blk.attn.sr_norm, b + 'attn.norm')
            fa = blk.attn.feature_adapter
            for mod, name in ((fa.prompt_norm, 'norm_prompt'), (fa.query_reduce, 'attn.q_prompt'),
                              (fa.prompt_kv, 'attn.kv_prompt'), (fa.key_reduce, 'attn.k_prompt'),
                              (fa.value_reduce, 'attn.v_prompt'),
                              (fa.out_proj, 'attn.proj_prompt')):
                put_module(mod, b + name)
    put(bb.prompt_tokens, 'learnable_prompt', lambda x: x[0])
    for i in range(4):
        put_module(head.linear_layers[i], f'head.linear_c{i + 1}.proj')
    put(head.fusion_conv.conv.weight, 'head.linear_fuse.conv.weight')
    put_module(head.fusion_conv.bn, 'head.linear_fuse.bn')
    for buf in ('running_mean', 'running_var', 'num_batches_tracked'):
        getattr(head.fusion_conv.bn, buf).copy_(src[f'head.linear_fuse.bn.{buf}'])
    put_module(head.conv_seg, 'head.linear_pred')
    # official row 0 is void: it becomes the last channel
    put(head.class_proj.weight, 'conv1.weight', lambda x: torch.cat([x[1:], x[:1]]))
    put(head.class_proj.bias, 'conv1.bias', lambda x: torch.cat([x[1:], x[:1]]))
    return model


def test_official_dplnet_checkpoint_converts_and_loads_strictly(tmp_path, capsys):
    from mmengine.runner import load_checkpoint
    src = official_dplnet_state()
    src_path, dst = tmp_path / 'model_best.pth', tmp_path / 'dplnet_official.pth'
    torch.save(src, src_path)      # the official script saves model.state_dict()
    cli(DPLNET_CLI, [str(src_path), str(dst), '--arch', 'b0'])
    out = capsys.readouterr().out
    n_rgb_head = sum(k.startswith('rgb.head.') for k in src)
    assert re.search(rf'dropped\s+{n_rgb_head}\b', out) and 'rgb.head.linear_c1' in out
    assert re.search(r'unused\s+0\b', out) and re.search(r'missing\s+0\b', out)
    saved = torch.load(dst, weights_only=False)['state_dict']
    assert set(k.split('.')[0] for k in saved) == {'backbone', 'decode_head'}
    assert len(saved) == len(src) - n_rgb_head

    # strict load into the segmentor layout (what load_from / tools/test.py read)
    torch.manual_seed(9)
    model = nn.ModuleDict(dict(backbone=tiny_backbone(allow_random_frozen='checkpoint'),
                               decode_head=tiny_head()))
    check_checkpoint_covers_frozen(model, saved, str(dst))   # what tools/test.py checks
    load_checkpoint(model, str(dst), strict=True)
    expected = by_hand(src)
    for (name, a), (_, b) in zip(model.state_dict().items(), expected.state_dict().items()):
        assert torch.equal(a, b), name
    # outputs unchanged: converted model vs tensors placed by hand
    model.eval()
    expected.eval()
    x = inputs()
    with torch.no_grad():
        got = model['decode_head'](model['backbone'](x))
        want = expected['decode_head'](expected['backbone'](x))
    assert got.shape == (2, CLASSES + 1, 16, 24)
    assert torch.equal(got, want)
    # the void row moved to the end; the class rows keep their order
    conv1 = src['conv1.weight']
    assert torch.equal(model['decode_head'].class_proj.weight[:CLASSES], conv1[1:])
    assert torch.equal(model['decode_head'].class_proj.weight[CLASSES], conv1[0])
    # --no-void: class 0 is a real class, the rows stay as they are
    kept, _ = convert_dplnet(src, arch='b0', void_first=False)
    assert torch.equal(kept['decode_head.class_proj.weight'], conv1)
    assert torch.equal(kept['decode_head.class_proj.bias'], src['conv1.bias'])


def test_official_dplnet_checkpoint_errors(tmp_path):
    src = official_dplnet_state()
    broken = dict(src)
    del broken['rgb.block2.0.attn.k_prompt.weight']
    with pytest.raises(KeyError, match=r'stages\.1\.0\.attn\.feature_adapter\.key_reduce\.weight'):
        convert_dplnet(broken, arch='b0')
    broken = dict(src)
    del broken['rgb.block4.0.mlp.fc1.weight']     # a frozen tensor
    with pytest.raises(KeyError, match=r'backbone\.stages\.3\.0\.ffn\.fc1\.weight'):
        convert_dplnet(broken, arch='b0')
    broken = dict(src)
    broken['rgb.block1.0.attn.extra_prompt.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match=r'unused[\s\S]*extra_prompt'):
        convert_dplnet(broken, arch='b0')
    # not an official DPLNet file (a plain MiT): a clear error, nothing written
    t = Tensors()
    nvidia_mit(t)
    torch.save(t.state, tmp_path / 'mit.pth')
    dst = tmp_path / 'out.pth'
    with pytest.raises(KeyError, match='not an official DPLNet'):
        cli(DPLNET_CLI, [str(tmp_path / 'mit.pth'), str(dst), '--arch', 'b0'])
    assert not dst.exists()
