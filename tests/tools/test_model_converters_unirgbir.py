# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""UniRGB-IR's weight converters: MAE / ViTDet ViT weights -> the frozen ViT
(``vitdet2mmrgbir``), official UniRGB-IR checkpoints -> our whole model
(``unirgbir2mmrgbir``).

Source state dicts are written here in the source layouts, from the names and shapes
of the official code (``ViTRGBTv15`` / ``ViTRGBTv15_SOD``, the mmdet ViTDet project's
``SimpleFPN`` and ``LN2d``; detectron2's ViTDet ``backbone.net.*``), at tiny widths;
each is converted with the command-line tool, loaded strictly, and checked tensor by
tensor through module attributes (not names) and by outputs. The official modules
themselves were run against ours on CPU with converted weights (max difference
1.4e-6, docs/methods.md); their code is not part of this repository.
"""
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from mmrgbir.apis.analysis import build_model_from_cfg, load_config
from mmrgbir.models.backbones.unirgbir_vit import UniRGBIRViT
from mmrgbir.models.converters.unirgbir import convert_and_check as convert_official
from mmrgbir.models.converters.vit import convert_and_check as convert_vit
from mmrgbir.models.utils.pretrained import read_state_dict
from converter_testing import Tensors
from converter_testing import run_model_converter as cli

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VIT_CLI = osp.join(REPO, 'tools/model_converters/vitdet2mmrgbir.py')
OFFICIAL_CLI = osp.join(REPO, 'tools/model_converters/unirgbir2mmrgbir.py')
SEG_TINY = osp.join(REPO, 'configs/unirgbir/tiny/msrs-person_unirgbir-tiny_setr-mla_4iter.py')
DET_TINY = osp.join(REPO, 'configs/unirgbir/tiny/'
                          'llvip_unirgbir-tiny_simple-fpn_cascade-rcnn_4iter.py')

# tiny ViT: width 32, 2 heads (head dim 16), 4 blocks, windows of 2, global blocks 1 and 3
# at 64 px (4 x 4 tokens: tables of 2*4-1 = 7 rows, windowed 2*2-1 = 3), MAE-style
# 224-px position grid (14 x 14 + class token)
C, HEADS, DEPTH, GLOBAL, WIN_ROWS, GLOBAL_ROWS, GRID = 32, 2, 4, (1, 3), 3, 7, 14
POOL = 16   # official conv_inplane (tiny)

pytestmark = pytest.mark.usefixtures('one_thread')


def add_vit(t: Tensors, prefix: str, rel_pos: bool = True, rows=(WIN_ROWS, GLOBAL_ROWS)):
    """ViTDet / ViTRGBTv15 encoder names (detectron2 ``ViT``, official ``ViTRGBTv15``)."""
    t.add(prefix + 'patch_embed.proj.weight', C, 3, 16, 16)
    t.add(prefix + 'patch_embed.proj.bias', C)
    t.add(prefix + 'pos_embed', 1, 1 + GRID * GRID, C)
    for i in range(DEPTH):
        b = f'{prefix}blocks.{i}.'
        for n in ('norm1', 'norm2'):
            t.add(b + n + '.weight', C, kind='ln')
            t.add(b + n + '.bias', C)
        t.add(b + 'attn.qkv.weight', 3 * C, C)
        t.add(b + 'attn.qkv.bias', 3 * C)
        t.add(b + 'attn.proj.weight', C, C)
        t.add(b + 'attn.proj.bias', C)
        if rel_pos:
            n = rows[1] if i in GLOBAL else rows[0]
            t.add(b + 'attn.rel_pos_h', n, C // HEADS)
            t.add(b + 'attn.rel_pos_w', n, C // HEADS)
        t.add(b + 'mlp.fc1.weight', 4 * C, C)
        t.add(b + 'mlp.fc1.bias', 4 * C)
        t.add(b + 'mlp.fc2.weight', C, 4 * C)
        t.add(b + 'mlp.fc2.bias', C)


def vit_pairs(vit, prefix):
    """(source key, our tensor) for every encoder tensor, through module attributes."""
    pairs = [(prefix + 'patch_embed.proj.weight', vit.patch_embed.proj.weight),
             (prefix + 'patch_embed.proj.bias', vit.patch_embed.proj.bias)]
    for i, blk in enumerate(vit.blocks):
        b = f'{prefix}blocks.{i}.'
        pairs += [(b + 'norm1.weight', blk.norm1.weight), (b + 'norm1.bias', blk.norm1.bias),
                  (b + 'norm2.weight', blk.norm2.weight), (b + 'norm2.bias', blk.norm2.bias),
                  (b + 'attn.qkv.weight', blk.attn.qkv.weight),
                  (b + 'attn.qkv.bias', blk.attn.qkv.bias),
                  (b + 'attn.proj.weight', blk.attn.proj.weight),
                  (b + 'attn.proj.bias', blk.attn.proj.bias),
                  (b + 'mlp.fc1.weight', blk.mlp.fc1.weight),
                  (b + 'mlp.fc1.bias', blk.mlp.fc1.bias),
                  (b + 'mlp.fc2.weight', blk.mlp.fc2.weight),
                  (b + 'mlp.fc2.bias', blk.mlp.fc2.bias)]
    return pairs


def rel_pos_pairs(vit, prefix):
    return [(f'{prefix}blocks.{i}.attn.rel_pos_{a}', getattr(blk.attn, f'rel_pos_{a}'))
            for i, blk in enumerate(vit.blocks) for a in 'hw']


def assert_pairs(state, pairs):
    for key, ours in pairs:
        assert torch.equal(ours.detach(), state[key]), key


def assert_pos_embed(vit, source_pos):
    # class-token entry dropped, the 196 others on their 14 x 14 grid, row-major
    expected = source_pos[0, 1:].reshape(GRID, GRID, C)
    assert torch.equal(vit.pos_embed.detach()[0], expected)
    assert torch.equal(vit.pos_embed.detach()[0, 0, 1], source_pos[0, 2])


def tiny_backbone(**kw):
    return UniRGBIRViT(img_size=64, embed_dim=C, depth=DEPTH, num_heads=HEADS,
                       window_size=2, global_attn_indexes=GLOBAL,
                       interaction_indexes=(0, 1, 2, 3), pool_channels=POOL,
                       drop_path_rate=0.0, **kw)


# ---------------------------------------------------------------------------------------
# 1. Foundation weights: detectron2 / mmdet ViTDet, MAE
# ---------------------------------------------------------------------------------------
def detectron2_vitdet_state():
    """detectron2 ViTDet Cascade Mask R-CNN: ``backbone.net.`` ViT with rel-pos tables,
    its simple feature pyramid next to it, the RPN / ROI heads."""
    t = Tensors(1, scale=0.2, count=11)
    add_vit(t, 'backbone.net.')
    t.add('backbone.simfp_2.0.weight', C, C // 2, 2, 2)
    t.add('backbone.simfp_2.1.weight', C // 2, kind='ln')
    t.add('backbone.simfp_5.0.weight', 8, C, 1, 1)
    t.add('proposal_generator.rpn_head.conv.conv0.weight', 8, 8, 3, 3)
    t.add('roi_heads.box_predictor.0.cls_score.weight', 2, 16)
    t.add('pixel_mean', 3, 1, 1)
    return t.state


def write_detectron2_pkl(state, path):
    with open(path, 'wb') as f:
        pickle.dump({'model': {k: v.numpy() for k, v in state.items()},
                     '__author__': 'Detectron2 Model Zoo'}, f)


def test_vitdet_pkl_converts_without_rel_pos_and_loads_strictly(tmp_path):
    src = detectron2_vitdet_state()
    pkl = tmp_path / 'model_final.pkl'
    write_detectron2_pkl(src, pkl)
    dst = tmp_path / 'vit_norelpos.pth'
    cli(VIT_CLI, [str(pkl), str(dst), '--depth', str(DEPTH)])
    ckpt = torch.load(dst, map_location='cpu', weights_only=False)
    assert ckpt['meta']['rel_pos'] == 'dropped'
    assert not [k for k in ckpt['state_dict'] if 'rel_pos' in k]
    assert ckpt['meta']['source_sha256']

    model = tiny_backbone(pretrained=str(dst), pretrained_format='mmrgbir')
    with torch.no_grad():   # tables that are not zero before loading
        for _, p in rel_pos_pairs(model.vit, ''):
            p.fill_(0.5)
    model.init_weights()
    assert_pairs(src, vit_pairs(model.vit, 'backbone.net.'))
    assert_pos_embed(model.vit, src['backbone.net.pos_embed'])
    for key, table in rel_pos_pairs(model.vit, ''):
        assert torch.count_nonzero(table) == 0, key      # start at zero ...
        assert table.requires_grad, key                  # ... and train
    assert not model.vit.blocks[0].attn.qkv.weight.requires_grad

    # outputs: the same as the encoder with the same tensors put in by hand
    by_hand = tiny_backbone(allow_random_frozen=True)
    by_hand.load_state_dict(model.state_dict())   # adapter identical
    with torch.no_grad():
        for key, ours in vit_pairs(by_hand.vit, 'backbone.net.'):
            ours.copy_(src[key])
        by_hand.vit.pos_embed.copy_(src['backbone.net.pos_embed'][:, 1:].reshape(
            1, GRID, GRID, C))
        for _, table in rel_pos_pairs(by_hand.vit, ''):
            table.zero_()
    x = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        torch.testing.assert_close(model.vit.eval()(x), by_hand.vit.eval()(x),
                                   rtol=0, atol=0)


def test_vitdet_keep_rel_pos_and_mmdet_layout(tmp_path):
    src = {k.replace('backbone.net.', 'backbone.'): v
           for k, v in detectron2_vitdet_state().items() if k.startswith('backbone.net.')}
    src['neck.lateral_convs.0.conv.weight'] = torch.zeros(8, C, 1, 1)   # mmdet ViTDet neck
    src['rpn_head.rpn_cls.weight'] = torch.zeros(3, 8, 1, 1)
    path = tmp_path / 'mmdet_vitdet.pth'
    torch.save({'state_dict': src, 'meta': {}}, path)
    dst = tmp_path / 'vit_relpos.pth'
    cli(VIT_CLI, [str(path), str(dst), '--depth', str(DEPTH), '--keep-rel-pos'])
    model = tiny_backbone(pretrained=str(dst), pretrained_format='mmrgbir')
    model.init_weights()
    assert_pairs(src, vit_pairs(model.vit, 'backbone.') + rel_pos_pairs(model.vit,
                                                                         'backbone.'))


def test_mae_and_official_norel_file_convert(tmp_path):
    t = Tensors(2, scale=0.2, count=11)
    add_vit(t, '', rel_pos=False)
    # MAE pretraining checkpoint extras: all dropped on purpose
    for name, shape in (('cls_token', (1, 1, C)), ('mask_token', (1, 1, C)),
                        ('norm.weight', (C, )), ('decoder_embed.weight', (16, C)),
                        ('decoder_blocks.0.attn.qkv.weight', (48, 16))):
        t.add(name, *shape)
    converted, report = convert_vit(t.state, expected_depth=DEPTH)
    assert sorted(report.dropped) == sorted(['cls_token', 'mask_token', 'norm.weight',
                                             'decoder_embed.weight',
                                             'decoder_blocks.0.attn.qkv.weight'])
    assert not report.unused and not report.missing
    assert tuple(converted['pos_embed'].shape) == (1, GRID, GRID, C)
    # the official '..._withClsToken_noRel.pth' (ViT keys under 'model'): same result
    path = tmp_path / 'vitb_withClsToken_noRel.pth'
    torch.save({'model': {k: v for k, v in t.state.items() if 'decoder' not in k}}, path)
    dst = tmp_path / 'out.pth'
    cli(VIT_CLI, [str(path), str(dst), '--depth', str(DEPTH)])
    written = read_state_dict(str(dst))
    assert written.keys() == converted.keys()
    assert all(torch.equal(written[k], converted[k]) for k in written)


def test_vit_converter_errors(tmp_path):
    src = detectron2_vitdet_state()
    # a missing frozen tensor is an error with the report
    broken = dict(src)
    del broken['backbone.net.blocks.2.mlp.fc1.weight']
    with pytest.raises(KeyError, match=r'(?s)missing +1 .*blocks.2.mlp.fc1.weight'):
        convert_vit(broken, expected_depth=DEPTH)
    # a whole trailing block missing: caught by the expected depth
    short = {k: v for k, v in src.items() if '.blocks.3.' not in k}
    with pytest.raises(KeyError, match=r'has 3 ViT blocks .*expected 4'):
        convert_vit(short, expected_depth=DEPTH)
    # tensors the encoder does not have: in a block (the model lacks it) or elsewhere
    # under the detector's backbone (not understood)
    odd = dict(src, **{'backbone.net.blocks.0.attn.extra_scale': torch.ones(1)})
    with pytest.raises(KeyError, match=r'(?s)unexpected +1 .*blocks.0.attn.extra_scale'):
        convert_vit(odd, expected_depth=DEPTH)
    odd = dict(src, **{'backbone.net.prompt': torch.ones(1)})
    with pytest.raises(KeyError, match=r'(?s)unused +1 .*backbone.net.prompt'):
        convert_vit(odd, expected_depth=DEPTH)
    # a .pkl holding anything but arrays is refused before anything runs
    evil = tmp_path / 'evil.pkl'
    with open(evil, 'wb') as f:
        pickle.dump({'model': {'x': np.zeros(1)}, 'hook': print}, f)
    with pytest.raises(pickle.UnpicklingError, match='builtins.print is not allowed'):
        cli(VIT_CLI, [str(evil), str(tmp_path / 'o.pth')])
    # the output is never overwritten without --overwrite
    pkl = tmp_path / 'ok.pkl'
    write_detectron2_pkl(src, pkl)
    existing = tmp_path / 'exists.pth'
    existing.write_bytes(b'keep')
    with pytest.raises(SystemExit, match='exists; pass --overwrite'):
        cli(VIT_CLI, [str(pkl), str(existing), '--depth', str(DEPTH)])
    assert existing.read_bytes() == b'keep'


def test_backbone_refuses_file_without_a_frozen_tensor(tmp_path):
    converted, _ = convert_vit(detectron2_vitdet_state(), expected_depth=DEPTH)
    del converted['blocks.1.norm2.bias']
    path = tmp_path / 'partial.pth'
    torch.save({'state_dict': converted}, path)
    model = tiny_backbone(pretrained=str(path), pretrained_format='mmrgbir')
    with pytest.raises(KeyError, match=r"missing \['vit.blocks.1.norm2.bias'\].*"
                                       r'vitdet2mmrgbir.py'):
        model.init_weights()
    # an unconverted detector checkpoint is not the 'mmrgbir' format
    raw = tmp_path / 'raw.pth'
    torch.save(detectron2_vitdet_state(), raw)
    with pytest.raises(KeyError, match="pretrained_format='mmrgbir' expects"):
        tiny_backbone(pretrained=str(raw), pretrained_format='mmrgbir').init_weights()


# ---------------------------------------------------------------------------------------
# 2. Official UniRGB-IR checkpoints
# ---------------------------------------------------------------------------------------
def add_official_backbone(t: Tensors, rows=(WIN_ROWS, GLOBAL_ROWS)):
    """``ViTRGBTv15`` (backbone.): ViT + adapter_spm / adapter_stages / adapter_grus."""
    add_vit(t, 'backbone.', rows=rows)
    t.add('backbone.adapter_level_embed', 3, C)

    def bn(name, n):
        t.add(name + '.weight', n, kind='ln')
        t.add(name + '.bias', n)
        t.add(name + '.running_mean', n)
        t.add(name + '.running_var', n, kind='var')
        t.add(name + '.num_batches_tracked', kind='count')

    spm = 'backbone.adapter_spm.'
    for stem in ('stem_vis', 'stem_ir'):
        # Sequential(conv, SyncBN, ReLU, conv, SyncBN, ReLU, conv, SyncBN, ReLU, MaxPool)
        for conv, in_ch in ((0, 3), (3, POOL), (6, POOL)):
            t.add(f'{spm}{stem}.{conv}.weight', POOL, in_ch, 3, 3)
            bn(f'{spm}{stem}.{conv + 1}', POOL)
    group = POOL // 4
    for g, k in enumerate((3, 3, 5, 7)):
        for branch in ('convs_rgb', 'convs_ir'):
            t.add(f'{spm}mix_fusion.{branch}.{g}.weight', group, group, k, k)
            t.add(f'{spm}mix_fusion.{branch}.{g}.bias', group)
    t.add(spm + 'mix_fusion.fc.weight', group, group, 1, 1)
    t.add(spm + 'mix_fusion.fc.bias', group)
    for name, cin, cout in (('conv2', POOL, 2 * POOL), ('conv3', 2 * POOL, 4 * POOL),
                            ('conv4', 4 * POOL, 4 * POOL)):
        t.add(f'{spm}{name}.0.weight', cout, cin, 3, 3)
        bn(f'{spm}{name}.1', cout)
    for name, cin in (('out_8', 2 * POOL), ('out_16', 4 * POOL), ('out_32', 4 * POOL)):
        t.add(f'{spm}{name}.weight', C, cin, 1, 1)
        t.add(f'{spm}{name}.bias', C)
    for s in range(4):
        st = f'backbone.adapter_stages.{s}.'
        for n in ('query_norm', 'feat_norm'):
            t.add(st + n + '.weight', C, kind='ln')
            t.add(st + n + '.bias', C)
        for n, rows, cols in (('sampling_offsets', HEADS * 3 * 4 * 2, C),
                              ('attention_weights', HEADS * 3 * 4, C),
                              ('value_proj', C // 2, C), ('output_proj', C, C // 2)):
            t.add(f'{st}attn.{n}.weight', rows, cols)
            t.add(f'{st}attn.{n}.bias', rows)
        t.add(st + 'gamma', C)
    for s in range(3):
        t.add(f'backbone.adapter_grus.{s}.update_gate.weight', C, 2 * C)
        t.add(f'backbone.adapter_grus.{s}.update_gate.bias', C)


def adapter_pairs(bb):
    """(official key, our tensor) for the adapter, through module attributes."""
    fp, spm = bb.feature_pool, 'backbone.adapter_spm.'
    pairs = [('backbone.adapter_level_embed', fp.level_embed),
             (spm + 'mix_fusion.fc.weight', fp.mix.gate_fc.weight),
             (spm + 'mix_fusion.fc.bias', fp.mix.gate_fc.bias)]

    def bn(name, mod):
        return [(name + '.weight', mod.weight), (name + '.bias', mod.bias),
                (name + '.running_mean', mod.running_mean),
                (name + '.running_var', mod.running_var),
                (name + '.num_batches_tracked', mod.num_batches_tracked)]

    for stem, ours in (('stem_vis', fp.rgb_stem), ('stem_ir', fp.ir_stem)):
        for j in range(3):   # our j-th conv-norm-ReLU block = official 3j, 3j+1
            pairs.append((f'{spm}{stem}.{3 * j}.weight', ours[j][0].weight))
            pairs += bn(f'{spm}{stem}.{3 * j + 1}', ours[j][1])
    for g in range(4):
        for branch, convs in (('convs_rgb', fp.mix.rgb_convs), ('convs_ir', fp.mix.ir_convs)):
            pairs += [(f'{spm}mix_fusion.{branch}.{g}.weight', convs[g].weight),
                      (f'{spm}mix_fusion.{branch}.{g}.bias', convs[g].bias)]
    for name, ours in (('conv2', fp.down8), ('conv3', fp.down16), ('conv4', fp.down32)):
        pairs.append((f'{spm}{name}.0.weight', ours[0].weight))
        pairs += bn(f'{spm}{name}.1', ours[1])
    for name, ours in (('out_8', fp.proj8), ('out_16', fp.proj16), ('out_32', fp.proj32)):
        pairs += [(f'{spm}{name}.weight', ours.weight), (f'{spm}{name}.bias', ours.bias)]
    for s, inj in enumerate(bb.injectors):
        st = f'backbone.adapter_stages.{s}.'
        pairs += [(st + 'gamma', inj.gamma),
                  (st + 'query_norm.weight', inj.query_norm.weight),
                  (st + 'query_norm.bias', inj.query_norm.bias),
                  (st + 'feat_norm.weight', inj.feat_norm.weight),
                  (st + 'feat_norm.bias', inj.feat_norm.bias)]
        for n in ('sampling_offsets', 'attention_weights', 'value_proj', 'output_proj'):
            lin = getattr(inj.attn, n)
            pairs += [(f'{st}attn.{n}.weight', lin.weight), (f'{st}attn.{n}.bias', lin.bias)]
    for s, gate in enumerate(bb.gates):
        pairs += [(f'backbone.adapter_grus.{s}.update_gate.weight', gate.fc.weight),
                  (f'backbone.adapter_grus.{s}.update_gate.bias', gate.fc.bias)]
    return pairs


def official_segmentor_state(reference):
    """An official MFNet-style segmentor: ViTRGBTv15 + stock mmseg MLANeck / SETRMLAHead /
    FCN heads (the same modules, so their names are the reference's own)."""
    t = Tensors(4, scale=0.2, count=11)
    add_official_backbone(t)
    gen = torch.Generator().manual_seed(5)
    for key, value in reference.state_dict().items():
        if key.startswith(('neck.', 'decode_head.', 'auxiliary_head.')):
            t.state[key] = value.clone() if value.dtype == torch.long else \
                torch.randn(value.shape, generator=gen)
    return t.state


def test_official_segmentor_converts_and_computes_the_same(tmp_path):
    reference = build_model_from_cfg(load_config(SEG_TINY))
    src = official_segmentor_state(reference)
    path = tmp_path / 'unirgbir_mfnet.pth'
    torch.save({'meta': {'iter': 80000}, 'state_dict': src, 'optimizer': {}}, path)
    dst = tmp_path / 'ours.pth'
    cli(OFFICIAL_CLI, [str(path), str(dst), '--config', SEG_TINY])
    ckpt = torch.load(dst, map_location='cpu', weights_only=False)
    assert ckpt['meta']['task'] == 'seg'
    model = build_model_from_cfg(load_config(SEG_TINY))
    model.load_state_dict(ckpt['state_dict'], strict=True)
    bb = model.backbone
    assert_pairs(src, vit_pairs(bb.vit, 'backbone.') + rel_pos_pairs(bb.vit, 'backbone.')
                 + adapter_pairs(bb))
    assert_pos_embed(bb.vit, src['backbone.pos_embed'])
    assert torch.equal(model.decode_head.conv_seg.weight.detach(),
                       src['decode_head.conv_seg.weight'])
    assert torch.equal(model.auxiliary_head[3].conv_seg.bias.detach(),
                       src['auxiliary_head.3.conv_seg.bias'])
    # outputs: the backbone loaded by hand from the same tensors gives the same maps
    by_hand = build_model_from_cfg(load_config(SEG_TINY)).backbone
    with torch.no_grad():
        for key, ours in (vit_pairs(by_hand.vit, 'backbone.')
                          + rel_pos_pairs(by_hand.vit, 'backbone.') + adapter_pairs(by_hand)):
            ours.copy_(src[key])
        by_hand.vit.pos_embed.copy_(src['backbone.pos_embed'][:, 1:].reshape(
            1, GRID, GRID, C))
    x = torch.randn(2, 4, 64, 64, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        for a, b in zip(bb.eval()(x), by_hand.eval()(x)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_official_checkpoint_missing_or_unknown_tensor_is_an_error():
    reference = build_model_from_cfg(load_config(SEG_TINY))
    src = official_segmentor_state(reference)
    missing = dict(src)
    del missing['backbone.adapter_spm.stem_ir.4.running_var']
    with pytest.raises(KeyError,
                       match=r'(?s)missing +1 .*feature_pool.ir_stem.1.1.running_var'):
        convert_official(missing, reference)
    frozen_missing = dict(src)
    del frozen_missing['backbone.blocks.3.attn.qkv.weight']
    with pytest.raises(KeyError, match=r'(?s)missing +1 .*backbone.vit.blocks.3.attn.qkv'):
        convert_official(frozen_missing, reference)
    unknown = dict(src, **{'backbone.adapter_extra.weight': torch.ones(2)})
    with pytest.raises(KeyError, match=r'(?s)unused +1 .*backbone.adapter_extra.weight'):
        convert_official(unknown, reference)


def test_official_detector_neck_and_box_heads(tmp_path):
    pytest.importorskip('mmdet')
    reference = build_model_from_cfg(load_config(DET_TINY))
    t = Tensors(7, scale=0.2, count=11)
    add_official_backbone(t, rows=(7, 15))   # the tiny det config: windows of 4, 128 px
    out = reference.neck.out_channels
    # mmdet ViTDet project's SimpleFPN with LN2d ('norm_layer' inside ConvModule)
    t.add('neck.fpn1.0.weight', C, C // 2, 2, 2)
    t.add('neck.fpn1.0.bias', C // 2)
    t.add('neck.fpn1.1.weight', C // 2, kind='ln')
    t.add('neck.fpn1.1.bias', C // 2)
    t.add('neck.fpn1.3.weight', C // 2, C // 4, 2, 2)
    t.add('neck.fpn1.3.bias', C // 4)
    t.add('neck.fpn2.0.weight', C, C // 2, 2, 2)
    t.add('neck.fpn2.0.bias', C // 2)
    for i, cin in enumerate((C // 4, C // 2, C, C)):
        t.add(f'neck.lateral_convs.{i}.conv.weight', out, cin, 1, 1)
        t.add(f'neck.fpn_convs.{i}.conv.weight', out, out, 3, 3)
        for conv in ('lateral_convs', 'fpn_convs'):
            t.add(f'neck.{conv}.{i}.norm_layer.weight', out, kind='ln')
            t.add(f'neck.{conv}.{i}.norm_layer.bias', out)
    gen = torch.Generator().manual_seed(8)
    for key, value in reference.state_dict().items():
        if key.startswith(('rpn_head.', 'roi_head.')):
            t.state[key.replace('.ln.', '.norm_layer.')] = torch.randn(value.shape,
                                                                       generator=gen)
    src = t.state
    path = tmp_path / 'unirgbir_flir.pth'
    torch.save({'state_dict': src}, path)
    dst = tmp_path / 'ours.pth'
    cli(OFFICIAL_CLI, [str(path), str(dst), '--config', DET_TINY])
    model = build_model_from_cfg(load_config(DET_TINY))
    model.load_state_dict(torch.load(dst, weights_only=False)['state_dict'], strict=True)
    neck = model.neck
    pairs = [('neck.fpn1.0.weight', neck.resamplers[0][0].weight),
             ('neck.fpn1.1.weight', neck.resamplers[0][1].weight),
             ('neck.fpn1.3.bias', neck.resamplers[0][3].bias),
             ('neck.fpn2.0.weight', neck.resamplers[1].weight),
             ('neck.fpn2.0.bias', neck.resamplers[1].bias)]
    for i in range(4):
        pairs += [(f'neck.lateral_convs.{i}.conv.weight', neck.lateral_convs[i].conv.weight),
                  (f'neck.lateral_convs.{i}.norm_layer.weight',
                   neck.lateral_convs[i].ln.weight),
                  (f'neck.fpn_convs.{i}.conv.weight', neck.output_convs[i].conv.weight),
                  (f'neck.fpn_convs.{i}.norm_layer.bias', neck.output_convs[i].ln.bias)]
    head = model.roi_head.bbox_head[2]
    pairs += [('roi_head.bbox_head.2.shared_convs.3.norm_layer.weight',
               head.shared_convs[3].ln.weight),
              ('roi_head.bbox_head.2.fc_reg.weight', head.fc_reg.weight),
              ('rpn_head.rpn_cls.weight', model.rpn_head.rpn_cls.weight)]
    assert_pairs(src, pairs + adapter_pairs(model.backbone)
                 + vit_pairs(model.backbone.vit, 'backbone.'))
