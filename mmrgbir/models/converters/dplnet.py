# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Official DPLNet checkpoints -> ``DPLNetMiT`` + ``DPLNetHead`` (an mmseg segmentor).

The official training script saves ``model.state_dict()`` of its ``DPLNet`` module
(``model_best.pth`` / ``model_end.pth``). Its names (read from the official model
definition, github.com/ShaohuaDong2021/DPLNet: ``RGBD/toolbox/models/DPLNet.py`` and
``segformermodels/backbones/mix_transformer_ourprompt_proj.py``) map to those of an
mmseg ``EncoderDecoder`` with ``DPLNetMiT`` and ``DPLNetHead``:

* ``rgb.patch_embed{s}.*``, ``rgb.block{s}.{j}.*``, ``rgb.norm{s}.*`` (the frozen
  MiT-B5) -> ``backbone.`` + the backbone's NVIDIA MiT map
  (:func:`~mmrgbir.models.backbones.dplnet_mit.nvidia_mit_key`);
* ``rgb.block{s}.{j}.norm_prompt.*`` ->
  ``backbone.stages.{s-1}.{j}.attn.feature_adapter.prompt_norm.*``;
* ``rgb.block{s}.{j}.attn.{q,kv,k,v,proj}_prompt.*`` -> ``... .feature_adapter.``
  ``{query_reduce, prompt_kv, key_reduce, value_reduce, out_proj}.*``;
* ``rgb.head.*`` (an ADE20K head inside the official MiT, unused) -> dropped;
* ``learnable_prompt`` ``(1, T, D)`` -> ``backbone.prompt_tokens`` ``(T, D)``;
* ``patch_embed{s}.*`` (the prompt path) ->
  ``backbone.prompt_generators.{s-1}.patch_embed.*``;
* ``ada{s}.{conv0_0, conv0_1, conv}.*`` ->
  ``backbone.prompt_generators.{s-1}.{aux_reduce, rgb_reduce, out_proj}.*``;
* ``head.linear_c{i}.proj.*`` -> ``decode_head.linear_layers.{i-1}.*``;
* ``head.linear_fuse.{conv, bn}.*`` -> ``decode_head.fusion_conv.{conv, bn}.*``;
* ``head.linear_pred.*`` -> ``decode_head.conv_seg.*``;
* ``conv1.*`` (150 -> 41) -> ``decode_head.class_proj.*``.

``ada{s}.conv0_0`` embeds the prompt path (``p``) and ``conv0_1`` the RGB tokens
(``x``) in the official ``ADA.forward(p, x)``. The official NYUDv2 model predicts 41
classes with class 0 = void; mmseg's NYUDv2 labels are ``0..39`` with void ignored, so
``class_proj`` moves the void row to the end (``DPLNetHead(extra_void_class=True)``):
official row ``k`` (class ``k``, 1..40) becomes row ``k - 1``, row 0 becomes row 40.
"""
import re
from typing import Optional, Tuple

import torch
import torch.nn as nn

from mmrgbir.models.backbones.dplnet_mit import MIT_SETTINGS, DPLNetMiT, nvidia_mit_key
from mmrgbir.models.decode_heads.dplnet_head import DPLNetHead
from mmrgbir.models.utils.weight_conversion import (DROP, ConversionReport, StateDict,
                                                    check_converted, convert_state_dict,
                                                    rename_by_rules)

_MFA_NAMES = {'q': 'query_reduce', 'kv': 'prompt_kv', 'k': 'key_reduce',
              'v': 'value_reduce', 'proj': 'out_proj'}
_MPG_NAMES = {'conv0_0': 'aux_reduce', 'conv0_1': 'rgb_reduce', 'conv': 'out_proj'}
_PARAM = r'(weight|bias)'


def dplnet_key(key: str):
    """One official DPLNet name -> ours (``backbone.*`` / ``decode_head.*``),
    :data:`DROP` for the unused ADE20K head inside the MiT, ``None`` if unknown."""
    if key.startswith('rgb.head.'):
        return DROP
    if key.startswith('rgb.'):
        rest = key[len('rgb.'):]
        m = re.fullmatch(rf'block(\d)\.(\d+)\.norm_prompt\.{_PARAM}', rest)
        if m:
            return (f'backbone.stages.{int(m[1]) - 1}.{m[2]}.attn.feature_adapter.'
                    f'prompt_norm.{m[3]}')
        m = re.fullmatch(rf'block(\d)\.(\d+)\.attn\.(q|kv|k|v|proj)_prompt\.{_PARAM}', rest)
        if m:
            return (f'backbone.stages.{int(m[1]) - 1}.{m[2]}.attn.feature_adapter.'
                    f'{_MFA_NAMES[m[3]]}.{m[4]}')
        if 'prompt' in rest:   # a prompt tensor this map does not know
            return None
        new = nvidia_mit_key(rest)
        return None if new is None else 'backbone.' + new
    return rename_by_rules(key, _OUTER_RULES)


# names outside the official MiT: prompt path, prompt tokens, decoder
_OUTER_RULES = (
    (r'learnable_prompt', 'backbone.prompt_tokens'),
    (rf'patch_embed(\d)\.((?:proj|norm)\.{_PARAM})',
     lambda m: f'backbone.prompt_generators.{int(m[1]) - 1}.patch_embed.{m[2]}'),
    (rf'ada(\d)\.(conv0_0|conv0_1|conv)\.{_PARAM}',
     lambda m: f'backbone.prompt_generators.{int(m[1]) - 1}.{_MPG_NAMES[m[2]]}.{m[3]}'),
    (rf'head\.linear_c(\d)\.proj\.{_PARAM}',
     lambda m: f'decode_head.linear_layers.{int(m[1]) - 1}.{m[2]}'),
    (r'head\.linear_fuse\.(conv|bn)\.(.+)', r'decode_head.fusion_conv.\1.\2'),
    (rf'head\.linear_pred\.{_PARAM}', r'decode_head.conv_seg.\1'),
    (rf'conv1\.{_PARAM}', r'decode_head.class_proj.\1'),
)


def void_first_to_last(tensor: torch.Tensor) -> torch.Tensor:
    """Rows ``[void, c_1 .. c_K]`` -> ``[c_1 .. c_K, void]`` (weight or bias)."""
    return torch.cat([tensor[1:], tensor[:1]], dim=0).contiguous()


def convert_dplnet(src: StateDict, void_first: bool = True,
                   report: Optional[ConversionReport] = None) -> Tuple[StateDict,
                                                                        ConversionReport]:
    """Rename an official DPLNet state dict (see the module docstring).

    Args:
        src: the official state dict (a ``module.`` prefix already removed).
        void_first: the official classes start with void (NYUDv2: 41 = void + 40);
            its row moves to the end for ``DPLNetHead(extra_void_class=True)``.
            ``False`` keeps the rows (datasets whose class 0 is a real class).
    """
    out, report = convert_state_dict(src, dplnet_key, report)
    prompt = out.get('backbone.prompt_tokens')
    if prompt is not None:
        if prompt.dim() != 3 or prompt.shape[0] != 1:
            raise ValueError(f'learnable_prompt has shape {tuple(prompt.shape)}; the official '
                             f'model stores (1, tokens, dim)')
        out['backbone.prompt_tokens'] = prompt[0].clone()
    if void_first:
        for name in ('decode_head.class_proj.weight', 'decode_head.class_proj.bias'):
            if name in out:
                out[name] = void_first_to_last(out[name])
    return out, report


def infer_settings(src: StateDict, arch: str = 'b5') -> Tuple[dict, dict]:
    """``DPLNetMiT`` and ``DPLNetHead`` arguments that reproduce the layout of ``src``
    (widths, depths, prompt sizes, head widths); the number of heads per stage, which
    no tensor shape gives, comes from ``arch``."""
    def get(name):
        if name not in src:
            raise KeyError(f'{name!r} is not in the checkpoint: not an official DPLNet '
                           f'state dict? (first names: {list(src)[:5]})')
        return src[name]

    dims = [get(f'rgb.patch_embed{s}.proj.weight').shape[0] for s in range(1, 5)]
    depths = []
    sr_ratios = []
    for s in range(1, 5):
        idx = {int(m[1]) for k in src for m in [re.match(rf'rgb\.block{s}\.(\d+)\.', k)] if m}
        depths.append(max(idx) + 1 if idx else 0)
        sr = src.get(f'rgb.block{s}.0.attn.sr.weight')
        sr_ratios.append(1 if sr is None else sr.shape[-1])
    tokens, prompt_dim = get('learnable_prompt').shape[1:]
    backbone = dict(
        arch=arch, embed_dims=dims, depths=depths, sr_ratios=sr_ratios,
        num_heads=MIT_SETTINGS[arch]['num_heads'], num_prompt_tokens=tokens,
        prompt_dim=prompt_dim, x_channels=get('patch_embed1.proj.weight').shape[1],
        mfa_reduction=dims[0] // get('rgb.block1.0.attn.q_prompt.weight').shape[0],
        mpg_reduction=dims[0] // get('ada1.conv0_0.weight').shape[0])
    classes = get('conv1.weight').shape[0]
    head = dict(in_channels=dims, in_index=[0, 1, 2, 3],
                channels=get('head.linear_c1.proj.weight').shape[0],
                pretrain_classes=get('head.linear_pred.weight').shape[0],
                num_classes=classes, norm_cfg=dict(type='BN', requires_grad=True),
                align_corners=False)
    return backbone, head


def reference_model(backbone: dict, head: dict, void_first: bool = True) -> nn.Module:
    """``{backbone, decode_head}`` with the state-dict names of an mmseg
    ``EncoderDecoder`` built from the DPLNet configs (random weights: only the names and
    shapes are used)."""
    head = dict(head)
    if void_first:
        head.update(num_classes=head['num_classes'] - 1, extra_void_class=True)
    return nn.ModuleDict(dict(backbone=DPLNetMiT(allow_random_frozen=True, **backbone),
                              decode_head=DPLNetHead(**head)))


def convert_and_check(src: StateDict, arch: str = 'b5', void_first: bool = True,
                      reference: Optional[nn.Module] = None) -> Tuple[StateDict,
                                                                       ConversionReport]:
    """:func:`convert_dplnet`, then :func:`check_converted` against the segmentor's
    layout: every tensor of the backbone (frozen MiT and prompts) and of the head must be
    present with the model's shape, nothing unused or unexpected (``KeyError`` with the
    report otherwise)."""
    converted, report = convert_dplnet(src, void_first)
    if reference is None:
        reference = reference_model(*infer_settings(src, arch), void_first=void_first)
    check_converted(converted, reference, report)
    return converted, report


__all__ = ['dplnet_key', 'void_first_to_last', 'convert_dplnet', 'infer_settings',
           'reference_model', 'convert_and_check']
