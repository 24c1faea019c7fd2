# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""EVA02 checkpoints (BAAI's original layout, or timm's) -> timm ``Eva`` names.

The official IV-tuning EVA02-L runs load ``eva02_L_pt_m38m_p14to16.pt``: BAAI's
MIM-pretrained EVA02-L whose 14 x 14 patch embedding was resampled to 16 x 16 with
EVA's ``interpolate_patch_14to16.py`` (bicubic ``F.interpolate`` of the kernel,
``align_corners=False``, no anti-aliasing; the same script resamples the absolute
position embedding to a 14 x 14 grid). That file can be converted as it is. A
patch-14 file (``eva02_L_pt_m38m_p14.pt``, or timm's ``eva02_large_patch14_224``) is
resampled here exactly as that script does (:func:`resample_patch_kernel_eva`), so
both routes give the same tensors; timm's own ``resample_patch_embed`` (a FlexiViT
pseudo-inverse) would give different ones. The position embedding keeps its grid;
``IVTuningViT`` resamples it to its construction grid when loading, as the official
loader does.

Renamed (original -> timm): ``attn.q_bias`` / ``attn.v_bias`` -> ``attn.q_proj.bias``
/ ``attn.v_proj.bias``, ``mlp.w1`` / ``mlp.w2`` / ``mlp.ffn_ln`` / ``mlp.w3`` ->
``mlp.fc1_g`` / ``mlp.fc1_x`` / ``mlp.norm`` / ``mlp.fc2``. Dropped on purpose: the MIM
head (``lm_head``, ``mask_token``, the final ``norm``), classification heads
(``head``, ``fc_norm``), the RoPE tables (``rope.*``: fixed functions of the grid,
recomputed by timm) and an attention sub-LayerNorm (``attn.inner_attn_ln``) where a
file has one: the official IV-tuning EVA02 attention has none (its ``Attention``
defines no such module, so its loader leaves these weights unused), nor has timm's
``eva02_large_patch14_224``.
"""
import re
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F

from mmrgbir.models.utils.weight_conversion import (DROP, ConversionReport,
                                                    convert_state_dict)

StateDict = Dict[str, torch.Tensor]

_RENAMES = (
    (r'attn\.q_bias', 'attn.q_proj.bias'),
    (r'attn\.v_bias', 'attn.v_proj.bias'),
    (r'mlp\.w1\.', 'mlp.fc1_g.'),
    (r'mlp\.w2\.', 'mlp.fc1_x.'),
    (r'mlp\.ffn_ln\.', 'mlp.norm.'),
    (r'mlp\.w3\.', 'mlp.fc2.'),
)
_BLOCK_KEYS = re.compile(
    r'blocks\.\d+\.(norm1|norm2)\.(weight|bias)'
    r'|blocks\.\d+\.attn\.(q_proj|k_proj|v_proj|proj)\.(weight|bias)'
    r'|blocks\.\d+\.mlp\.(fc1_g|fc1_x|fc2|norm)\.(weight|bias)')
_TOP_KEYS = {'cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias'}
_DROPPED = re.compile(r'(lm_head|head|fc_norm|norm)\.(weight|bias)|mask_token'
                      r'|(.*\.)?rope\..*|blocks\.\d+\.attn\.inner_attn_ln\..*')


def eva_key(name: str):
    """Original-EVA02 or timm-Eva key -> timm-Eva key, :data:`DROP` or None."""
    if _DROPPED.fullmatch(name):
        return DROP
    for pattern, repl in _RENAMES:
        name = re.sub(pattern, repl, name)
    if name in _TOP_KEYS or _BLOCK_KEYS.fullmatch(name):
        return name
    return None


def resample_patch_kernel_eva(weight: torch.Tensor, size: int) -> torch.Tensor:
    """(C_out, C_in, k, k) -> (C_out, C_in, size, size) as EVA's
    ``interpolate_patch_14to16.py``: bicubic, ``align_corners=False``, float32."""
    return F.interpolate(weight.float(), size=(size, size), mode='bicubic',
                         align_corners=False)


def unwrap_eva(ckpt: dict) -> StateDict:
    """The tensors of an EVA02 checkpoint (``module`` / ``model`` / ``state_dict``
    wrappers and a ``module.`` prefix removed)."""
    for key in ('module', 'model', 'state_dict', 'model_ema'):
        if isinstance(ckpt.get(key), dict):
            ckpt = ckpt[key]
            break
    if ckpt and all(k.startswith('module.') for k in ckpt):
        ckpt = {k[len('module.'):]: v for k, v in ckpt.items()}
    return {k: v for k, v in ckpt.items() if isinstance(v, torch.Tensor)}


def convert_eva02(state_dict: StateDict, patch_size: int = 16,
                  report: Optional[ConversionReport] = None
                  ) -> Tuple[StateDict, ConversionReport, dict]:
    """Convert an EVA02 state dict to timm ``Eva`` names at ``patch_size``.

    Returns ``(converted, report, info)``; ``info`` records the source patch size,
    whether the kernel was resampled and the position-embedding grid.
    """
    converted, report = convert_state_dict(state_dict, eva_key, report)
    w = converted.get('patch_embed.proj.weight')
    if w is None:
        raise KeyError('no patch_embed.proj.weight: not an EVA02 checkpoint?')
    info = dict(source_patch_size=int(w.shape[-1]), resampled_patch_embed=False)
    if w.shape[-2:] != (patch_size, patch_size):
        converted['patch_embed.proj.weight'] = resample_patch_kernel_eva(w, patch_size)
        info['resampled_patch_embed'] = True
    # every tensor as float32 (the released files are partly fp16)
    converted = {k: v.float() for k, v in converted.items()}
    pe = converted.get('pos_embed')
    if pe is not None:
        side = int(round((pe.shape[1] - 1) ** 0.5))
        if side * side + 1 != pe.shape[1]:
            raise ValueError(f'pos_embed with {pe.shape[1]} tokens: expected 1 class '
                             f'token + a square grid')
        info['pos_embed_grid'] = side
    return converted, report, info


__all__ = ['convert_eva02', 'eva_key', 'resample_patch_kernel_eva', 'unwrap_eva']
