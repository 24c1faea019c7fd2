# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Official UniRGB-IR checkpoints (detection, segmentation, SOD) -> our model's keys.

The official code (github.com/PoTsui99/UniRGB-IR, mmdet 3.x / mmseg 1.x forks) names
the backbone ``ViTRGBTv15`` (``ViTRGBTv15_SOD`` for SOD) with the ViT-Adapter-style
layout below; ours is :class:`~mmrgbir.models.backbones.unirgbir_vit.UniRGBIRViT`.
The components compute the same functions (checked in
``tests/tools/test_model_converters_unirgbir.py``); only names differ:

=========================================  ==========================================
official (``backbone.``)                    ours (``backbone.``)
=========================================  ==========================================
``patch_embed.proj`` / ``blocks.N.*``       ``vit.patch_embed.proj`` / ``vit.blocks.N.*``
``pos_embed`` (1, 1 + 14*14, C)             ``vit.pos_embed`` (1, 14, 14, C), class
                                            token entry dropped
``adapter_level_embed``                     ``feature_pool.level_embed``
``adapter_spm.stem_vis.{0,1,3,4,6,7}``      ``feature_pool.rgb_stem.{0,1,2}.{0,1}``
``adapter_spm.stem_ir.*``                   ``feature_pool.ir_stem.*``
``adapter_spm.mix_fusion.convs_rgb.G``      ``feature_pool.mix.rgb_convs.G``
``adapter_spm.mix_fusion.convs_ir.G``       ``feature_pool.mix.ir_convs.G``
``adapter_spm.mix_fusion.fc``               ``feature_pool.mix.gate_fc``
``adapter_spm.conv{2,3,4}.{0,1}``           ``feature_pool.down{8,16,32}.{0,1}``
``adapter_spm.out_{8,16,32}``               ``feature_pool.proj{8,16,32}``
``adapter_stages.S.*``                      ``injectors.S.*``
``adapter_grus.S.update_gate``              ``gates.S.fc``
=========================================  ==========================================

Detection neck (mmdet ViTDet project's ``SimpleFPN`` -> our ``SimpleFeaturePyramid``):
``neck.fpn1.{0,1,3}`` -> ``neck.resamplers.0.{0,1,3}``, ``neck.fpn2.0`` ->
``neck.resamplers.1``, ``neck.fpn_convs.L`` -> ``neck.output_convs.L``; its ``LN2d``
(not an ``nn.LayerNorm`` subclass) is named ``norm_layer`` inside mmcv's ConvModule,
ours ``ln``, in the neck and in the box heads' shared convs. The RPN, the Cascade R-CNN
heads, SETR-MLA's MLANeck / SETRMLAHead / FCN auxiliary heads and the SOD heads are the
stock mmdet / mmseg modules in both (same names). Anything else is reported as unused
and stops the conversion.
"""
import re
from typing import Optional, Tuple

import torch.nn as nn

from mmrgbir.models.backbones.unirgbir_vit import _pos_embed_as_grid
from mmrgbir.models.utils.weight_conversion import (DROP, ConversionReport, StateDict,
                                                    check_converted, convert_state_dict)

__all__ = ['unirgbir_key', 'convert_unirgbir', 'detect_task', 'convert_and_check',
           'DEFAULT_CONFIGS']

#: the config each detected task is checked against by default
DEFAULT_CONFIGS = {
    'det': 'configs/unirgbir/unirgbir-vit-b16_simple-fpn_cascade-rcnn_8xb1-lsj-100e_'
           'flir-aligned-1024.py',
    'seg': 'configs/unirgbir/unirgbir-vit-b16_setr-mla_2xb2-80k_mfnet-768x768.py',
    'sod': 'configs/unirgbir/unirgbir-vit-b16_setr-mla_8xb8-20k_vt5000-416x416.py',
}

_VIT = re.compile(r'(patch_embed\.proj\.(weight|bias)|pos_embed|blocks\.\d+\.'
                  r'(norm[12]\.(weight|bias)|attn\.(qkv|proj)\.(weight|bias)|'
                  r'attn\.rel_pos_[hw]|mlp\.fc[12]\.(weight|bias)))')
_SPM = [
    (re.compile(r'stem_(vis|ir)\.([0-9])\.(.+)'), None),   # handled in code
    (re.compile(r'mix_fusion\.convs_rgb\.(\d+)\.(.+)'), r'mix.rgb_convs.\1.\2'),
    (re.compile(r'mix_fusion\.convs_ir\.(\d+)\.(.+)'), r'mix.ir_convs.\1.\2'),
    (re.compile(r'mix_fusion\.fc\.(.+)'), r'mix.gate_fc.\1'),
    (re.compile(r'conv2\.([01])\.(.+)'), r'down8.\1.\2'),
    (re.compile(r'conv3\.([01])\.(.+)'), r'down16.\1.\2'),
    (re.compile(r'conv4\.([01])\.(.+)'), r'down32.\1.\2'),
    (re.compile(r'out_(8|16|32)\.(weight|bias)'), r'proj\1.\2'),
]
_STAGE = re.compile(r'adapter_stages\.(\d+)\.((query_norm|feat_norm)\.(weight|bias)|'
                    r'attn\.(sampling_offsets|attention_weights|value_proj|output_proj)\.'
                    r'(weight|bias)|gamma)')
_GRU = re.compile(r'adapter_grus\.(\d+)\.update_gate\.(weight|bias)')
_LOSS = re.compile(r'\.loss_\w+\.')
_NECK = [
    (re.compile(r'neck\.fpn1\.([013])\.(weight|bias)'), r'neck.resamplers.0.\1.\2'),
    (re.compile(r'neck\.fpn2\.0\.(weight|bias)'), r'neck.resamplers.1.\1'),
    (re.compile(r'neck\.fpn_convs\.(\d+)\.(.+)'), r'neck.output_convs.\1.\2'),
]


def _backbone_key(key: str) -> Optional[str]:
    """``backbone.``-less official name -> ours (``None``: not understood)."""
    if _VIT.fullmatch(key):
        return 'vit.' + key
    if key == 'adapter_level_embed':
        return 'feature_pool.level_embed'
    if key.startswith('adapter_spm.'):
        rest = key[len('adapter_spm.'):]
        m = _SPM[0][0].fullmatch(rest)
        if m:
            idx = int(m.group(2))
            # Sequential(conv, BN, ReLU) x 3 + max-pool -> our 3 conv_bn_relu blocks
            if idx % 3 == 2 or idx > 8:
                return None   # ReLU / max-pool have no tensors
            stem = 'rgb_stem' if m.group(1) == 'vis' else 'ir_stem'
            return f'feature_pool.{stem}.{idx // 3}.{idx % 3}.{m.group(3)}'
        for pattern, repl in _SPM[1:]:
            if pattern.fullmatch(rest):
                return 'feature_pool.' + pattern.sub(repl, rest)
        return None
    m = _STAGE.fullmatch(key)
    if m:
        return f'injectors.{m.group(1)}.{m.group(2)}'
    m = _GRU.fullmatch(key)
    if m:
        return f'gates.{m.group(1)}.fc.{m.group(2)}'
    return None


def unirgbir_key(key: str):
    """One official key -> ours, :data:`DROP` or ``None`` (not understood)."""
    if key.startswith('backbone.'):
        new = _backbone_key(key[len('backbone.'):])
        return None if new is None else 'backbone.' + new
    if key.startswith('data_preprocessor.') or _LOSS.search(key):
        return DROP       # no tensors of ours / fixed loss buffers (SSIM windows)
    if key.startswith('neck.'):
        for pattern, repl in _NECK:
            if pattern.fullmatch(key):
                return pattern.sub(repl, key).replace('.norm_layer.', '.ln.')
        if key.startswith('neck.lateral_convs.'):
            return key.replace('.norm_layer.', '.ln.')
        return key       # MLANeck: stock mmseg in both
    if key.startswith(('rpn_head.', 'roi_head.')):
        return key.replace('.norm_layer.', '.ln.')   # LN2d in the 4conv1fc box heads
    if key.startswith(('decode_head.', 'auxiliary_head.')):
        return key       # stock SETRMLAHead / FCNHead (SOD: same layout)
    return None


def detect_task(src: StateDict) -> str:
    """``'det'`` (a SimpleFPN neck), ``'sod'`` (one output channel) or ``'seg'``."""
    if any(k.startswith(('neck.fpn1.', 'rpn_head.', 'roi_head.')) for k in src):
        return 'det'
    conv_seg = src.get('decode_head.conv_seg.weight')
    if conv_seg is not None and conv_seg.shape[0] == 1:
        return 'sod'
    if conv_seg is None:
        raise KeyError('neither a detector (neck.fpn1 / rpn_head) nor a segmentor '
                       '(decode_head.conv_seg): is this an official UniRGB-IR checkpoint?')
    return 'seg'


def convert_unirgbir(src: StateDict, report: Optional[ConversionReport] = None
                     ) -> Tuple[StateDict, ConversionReport]:
    """Rename an official state dict (``pos_embed`` reshaped to its grid)."""
    out, report = convert_state_dict(src, unirgbir_key, report)
    if 'backbone.vit.pos_embed' in out:
        out['backbone.vit.pos_embed'] = _pos_embed_as_grid(out['backbone.vit.pos_embed'],
                                                           'backbone.pos_embed')
    return out, report


def convert_and_check(src: StateDict, reference: nn.Module
                      ) -> Tuple[StateDict, ConversionReport]:
    """:func:`convert_unirgbir` then :func:`check_converted` against ``reference`` (the
    model of our config): every model tensor present with its shape (fixed loss
    buffers aside), nothing unused or unexpected; ``KeyError`` with the report
    otherwise."""
    converted, report = convert_unirgbir(src)
    required = [k for k in reference.state_dict() if not _LOSS.search(k)]
    check_converted(converted, reference, report, required=required)
    return converted, report
