# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""mmdet Swin (e.g. the DINO 5-scale Swin-L COCO detector) -> :class:`IVTuningSwin`.

The official IV-tuning detection run starts the whole detector from mmdet's DINO
Swin-L COCO checkpoint (``load_from``) and freezes its Swin, including the four
affine output norms (``norm0`` .. ``norm3``) that mmdet's Swin puts on its outputs.
This module renames that Swin to the timm layout of ``IVTuningSwin.swin``:

===========================================  ==========================================
mmdet (``backbone.`` + ...)                  mmrgbir (``backbone.`` + ...)
===========================================  ==========================================
``patch_embed.projection.*``                 ``swin.patch_embed.proj.*``
``patch_embed.norm.*``                       ``swin.patch_embed.norm.*``
``stages.i.blocks.j.norm1/norm2.*``          ``swin.layers.i.blocks.j.norm1/norm2.*``
``stages.i.blocks.j.attn.w_msa.qkv/proj.*``  ``swin.layers.i.blocks.j.attn.qkv/proj.*``
``...attn.w_msa.relative_position_bias_table``  ``...attn.relative_position_bias_table``
``...attn.w_msa.relative_position_index``    dropped (a buffer timm recomputes)
``stages.i.blocks.j.ffn.layers.0.0.*``       ``swin.layers.i.blocks.j.mlp.fc1.*``
``stages.i.blocks.j.ffn.layers.1.*``         ``swin.layers.i.blocks.j.mlp.fc2.*``
``stages.i.downsample.reduction/norm.*``     ``swin.layers.i+1.downsample.*`` (reordered)
``norm{i}.*``                                ``out_norms.{i}.*``
===========================================  ==========================================

Patch merging: mmdet gathers each 2x2 neighbourhood with ``nn.Unfold``, so its 4C
input channels are ordered channel-major (``c * 4 + k``, with k = (0,0), (0,1), (1,0),
(1,1) as (row, column) offsets), while timm (like the Microsoft original)
concatenates the four sub-grids x0 = (0,0), x1 = (1,0), x2 = (0,1), x3 = (1,1)
(``k' * C + c``). The reduction weight's columns and the norm's entries are permuted
accordingly (:func:`mmdet_merge_to_timm`).

The other keys of a detector checkpoint (neck, encoder, decoder, heads) are kept
unchanged, so the output serves ``load_from`` as the official run uses it, and the
backbone's ``pretrained`` (which takes the ``backbone.swin`` / ``backbone.out_norms``
part).
"""
import re
from typing import Dict, Optional, Tuple

import torch

from mmrgbir.models.utils.weight_conversion import (DROP, ConversionReport,
                                                    convert_state_dict, rename_by_rules)

StateDict = Dict[str, torch.Tensor]

# (row, column) offset order of the 4 sub-grids: mmdet's Unfold and timm's concat
_MMDET_ORDER = ((0, 0), (0, 1), (1, 0), (1, 1))
_TIMM_ORDER = ((0, 0), (1, 0), (0, 1), (1, 1))
#: for each timm slot k', the mmdet slot holding the same offset
_PERM = [_MMDET_ORDER.index(off) for off in _TIMM_ORDER]   # [0, 2, 1, 3]


def mmdet_merge_to_timm(t: torch.Tensor) -> torch.Tensor:
    """Reorder the 4C input channels of a patch-merging tensor, mmdet -> timm.

    ``t``: the reduction weight (C_out, 4C) or the norm's weight / bias (4C,).
    mmdet index ``c * 4 + k`` -> timm index ``k' * C + c`` (see the module docstring).
    """
    four_c = t.shape[-1]
    if four_c % 4:
        raise ValueError(f'patch-merging tensor with {four_c} channels (not 4C)')
    lead = t.shape[:-1]
    t = t.reshape(*lead, four_c // 4, 4)[..., _PERM]   # (..., C, 4) in timm's order
    return t.transpose(-1, -2).reshape(*lead, four_c).contiguous()


def timm_merge_to_mmdet(t: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`mmdet_merge_to_timm` (used by the tests)."""
    four_c = t.shape[-1]
    lead = t.shape[:-1]
    t = t.reshape(*lead, 4, four_c // 4).transpose(-1, -2)   # (..., C, 4) timm order
    inv = [_PERM.index(k) for k in range(4)]
    return t[..., inv].reshape(*lead, four_c).contiguous()


_BLOCK_RULES = (
    (r'attn\.w_msa\.relative_position_index', None),
    (r'attn\.w_msa\.(relative_position_bias_table)', r'attn.\1'),
    (r'attn\.w_msa\.(qkv|proj)\.(weight|bias)', r'attn.\1.\2'),
    (r'(norm1|norm2)\.(weight|bias)', r'\1.\2'),
    (r'ffn\.layers\.0\.0\.(weight|bias)', r'mlp.fc1.\1'),
    (r'ffn\.layers\.1\.(weight|bias)', r'mlp.fc2.\1'),
)


def mmdet_swin_key(name: str):
    """mmdet Swin backbone key (without ``backbone.``) -> ours (``swin.*`` or
    ``out_norms.*``), :data:`DROP` or None (not understood)."""
    m = re.fullmatch(r'stages\.(\d+)\.blocks\.(\d+)\.(.+)', name)
    if m:
        new = rename_by_rules(m.group(3), _BLOCK_RULES)
        if new is None or new is DROP:
            return new
        return f'swin.layers.{m.group(1)}.blocks.{m.group(2)}.{new}'
    return rename_by_rules(name, _OUTER_RULES)


_OUTER_RULES = (
    (r'patch_embed\.projection\.(weight|bias)', r'swin.patch_embed.proj.\1'),
    (r'patch_embed\.norm\.(weight|bias)', r'swin.patch_embed.norm.\1'),
    (r'norm(\d+)\.(weight|bias)', r'out_norms.\1.\2'),
    # mmdet merges at the end of stage i, timm at the start of stage i + 1
    (r'stages\.(\d+)\.downsample\.(reduction\.weight|norm\.weight|norm\.bias)',
     lambda m: f'swin.layers.{int(m[1]) + 1}.downsample.{m[2]}'),
)


def convert_mmdet_swin(state_dict: StateDict, report: Optional[ConversionReport] = None
                       ) -> Tuple[StateDict, ConversionReport, bool]:
    """Convert an mmdet detector (``backbone.*`` keys) or Swin backbone checkpoint.

    Returns ``(converted, report, is_detector)``: for a detector the backbone keys
    become ``backbone.swin.*`` / ``backbone.out_norms.*`` and every other key is kept
    (listed as mapped to itself); for a backbone-only file the keys are ``swin.*`` /
    ``out_norms.*``. Source keys nobody understands are in ``report.unused``.
    """
    is_detector = any(k.startswith('backbone.') for k in state_dict)
    if is_detector:
        def key_map(name):
            if not name.startswith('backbone.'):
                return name
            new = mmdet_swin_key(name[len('backbone.'):])
            return new if new is None or new is DROP else 'backbone.' + new
    else:
        key_map = mmdet_swin_key
    converted, report = convert_state_dict(state_dict, key_map, report)
    for k in list(converted):
        if '.downsample.' in k and k.split('.')[-2] in ('reduction', 'norm'):
            converted[k] = mmdet_merge_to_timm(converted[k])
    if not any('swin.' in k for k in converted):
        raise KeyError('no mmdet Swin key found (expected `[backbone.]stages.*`, '
                       '`[backbone.]patch_embed.projection.*`); is this an mmdet Swin '
                       'checkpoint?')
    return converted, report, is_detector


__all__ = ['convert_mmdet_swin', 'mmdet_swin_key', 'mmdet_merge_to_timm',
           'timm_merge_to_mmdet']
