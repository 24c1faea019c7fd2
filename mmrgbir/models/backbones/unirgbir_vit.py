# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""UniRGB-IR (arXiv 2404.17360): a frozen ViTDet-style ViT with an RGB-IR adapter.

The frozen foundation model is a plain ViT-B/16 as used by ViTDet / SAM: windowed
attention (window 14, zero padding) in most blocks, global attention in a few, and
decomposed relative position tables in every attention (the only ViT parameters that
train). The adapter -- a multi-modal feature pool (MFP) over the RGB and IR images
and four supplementary feature injectors (SFI) before blocks 0, 3, 6 and 9, mixed by
sigmoid gates -- adds its output to the ViT tokens; nothing flows back from the ViT
to the pool.

Pretrained formats (one key map each, local files only):

* ``'mmrgbir'`` (what the configs use): the file written by
  ``tools/model_converters/vitdet2mmrgbir.py`` -- ``ViTDetViT`` names, position
  embedding on its grid, relative-position tables removed (the weights of the
  official runs, see :data:`PUBLISHED_WEIGHTS`);
* ``'vitdet'``: MAE / timm-ViT checkpoints (``blocks.*``, ``pos_embed`` with or
  without the class token), mmdet ViTDet (``backbone.*``) and detectron2 ViTDet
  (``backbone.net.*``) checkpoints: :func:`vitdet_to_ours`;
* ``'timm_samvit'``: timm ``samvit_*`` state dicts and the original SAM image encoder
  (``image_encoder.*``): :func:`timm_samvit_to_ours`.

Position embeddings and relative-position tables of another size are resized to ours
(bicubic / linear) by :func:`fit_to_model`. Every frozen tensor of the ViT must be in
the file (a missing one is an error, never a random frozen weight); the
relative-position tables are the exception: absent from the file (the official runs'
ViTDet weights have them removed, MAE weights never had them) they start at zero and
train, as in the official code.
"""
import logging
import math
import re
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint
from mmengine.logging import print_log
from mmengine.model import BaseModule

from mmrgbir.models.adapters.ms_deform_attn import (level_start_index,
                                                    reference_points_on_grid)
from mmrgbir.models.adapters.multimodal_feature_pool import MultiModalFeaturePool
from mmrgbir.models.adapters.supplementary_feature_injector import (
    InjectionGate, SupplementaryFeatureInjector)
from mmrgbir.models.utils.freeze import FrozenBackboneMixin
from mmrgbir.models.utils.frozen_weights import require_frozen_weights
from mmrgbir.models.utils.pretrained import load_pretrained
from mmrgbir.registry import MODELS

__all__ = ['ViTDetViT', 'UniRGBIRViT', 'vitdet_to_ours', 'vitdet_key',
           'timm_samvit_to_ours', 'mmrgbir_vit_to_ours', 'fit_to_model',
           'PRETRAINED_KEY_MAPS', 'PUBLISHED_WEIGHTS', 'CONVERTER_COMMAND']

#: the frozen weights of the official runs (named in the build-time error)
PUBLISHED_WEIGHTS = ('ViTDet ViT-B (MAE IN-1k, COCO/LVIS Cascade Mask R-CNN, detectron2) '
                     'with the relative-position tables removed')
CONVERTER_COMMAND = ('python tools/model_converters/vitdet2mmrgbir.py '
                     'model_final_df306f.pkl checkpoints/vitdet_vit-b16_coco_norelpos.pth')

StateDict = Dict[str, torch.Tensor]


# --------------------------------------------------------------------------------------
# The frozen ViT (ViTDet / SAM image-encoder blocks)
# --------------------------------------------------------------------------------------
def relative_position_embeddings(q_size: int, k_size: int,
                                 table: torch.Tensor) -> torch.Tensor:
    """Look up a (2S-1, d) relative-position table for ``q_size`` queries x ``k_size`` keys.

    The table is linearly resized when ``2 * max(q_size, k_size) - 1`` differs from its
    length (e.g. global attention at another input size); a shorter side is stretched
    so that both sides cover the same physical extent.

    Returns:
        (q_size, k_size, d).
    """
    length = 2 * max(q_size, k_size) - 1
    if table.shape[0] != length:
        table = F.interpolate(table.t()[None], size=length, mode='linear')[0].t()
    q_scale = max(k_size / q_size, 1.0)
    k_scale = max(q_size / k_size, 1.0)
    q_coords = torch.arange(q_size, device=table.device)[:, None] * q_scale
    k_coords = torch.arange(k_size, device=table.device)[None, :] * k_scale
    index = (q_coords - k_coords + (k_size - 1) * k_scale).long()
    return table[index]


class RelPosAttention(nn.Module):
    """Multi-head self-attention over a (B, H, W, C) map with decomposed rel-pos bias.

    Args:
        dim: C. num_heads: heads. qkv_bias: bias of the fused qkv projection.
        input_size: ``(S_h, S_w)`` the tables are sized for (window size for
            windowed blocks, the token grid at ``img_size`` for global blocks).
    """

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True,
                 input_size: Tuple[int, int] = (14, 14)):
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        # zero-initialised: a fresh table adds no bias
        self.rel_pos_h = nn.Parameter(torch.zeros(2 * input_size[0] - 1, head_dim))
        self.rel_pos_w = nn.Parameter(torch.zeros(2 * input_size[1] - 1, head_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) -> (B, H, W, C)."""
        batch, height, width, dim = x.shape
        qkv = self.qkv(x).view(batch, height * width, 3, self.num_heads, -1)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)        # (B, heads, N, d)
        # bias[b, h, (qy, qx), (ky, kx)] = q . Rh[qy, ky] + q . Rw[qx, kx]  (unscaled q)
        r_q = q.reshape(batch, self.num_heads, height, width, -1)
        rel_h = torch.einsum('bnhwc,hkc->bnhwk', r_q,
                             relative_position_embeddings(height, height, self.rel_pos_h))
        rel_w = torch.einsum('bnhwc,wkc->bnhwk', r_q,
                             relative_position_embeddings(width, width, self.rel_pos_w))
        bias = (rel_h[..., :, None] + rel_w[..., None, :]).reshape(
            batch, self.num_heads, height * width, height * width)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype))
        out = out.transpose(1, 2).reshape(batch, height, width, dim)
        return self.proj(out)


class DropPath(nn.Module):
    """Stochastic depth: drop the whole residual branch of a sample with prob. ``p``."""

    def __init__(self, p: float = 0.0):
        super().__init__()
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0], ) + (1, ) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f'p={self.p:.3f}'


class Mlp(nn.Module):
    """Linear -> GELU -> Linear."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


def window_partition(x: torch.Tensor, size: int) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """(B, H, W, C) -> (B * nWin, size, size, C), zero-padded to multiples of ``size``."""
    batch, height, width, dim = x.shape
    pad_h, pad_w = (-height) % size, (-width) % size
    if pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    hp, wp = height + pad_h, width + pad_w
    x = x.view(batch, hp // size, size, wp // size, size, dim)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, size, size, dim), (hp, wp)


def window_unpartition(windows: torch.Tensor, size: int, padded_hw: Tuple[int, int],
                       hw: Tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`window_partition`, cropping the padding: -> (B, H, W, C)."""
    hp, wp = padded_hw
    batch = windows.shape[0] // ((hp // size) * (wp // size))
    x = windows.view(batch, hp // size, wp // size, size, size, -1)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(batch, hp, wp, -1)
    return x[:, :hw[0], :hw[1]].contiguous()


class ViTBlock(nn.Module):
    """Pre-norm transformer block on a (B, H, W, C) map, windowed when ``window_size > 0``.

    Padding tokens of the windowed attention are zeros and are attended to (ViTDet /
    SAM behaviour, kept for weight compatibility). With ``with_cp`` the block keeps
    only its input for backward and recomputes the rest (gradient checkpointing; the
    drop-path masks are replayed from the saved RNG state, so results are unchanged).
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0,
                 qkv_bias: bool = True, drop_path: float = 0.0, window_size: int = 0,
                 input_size: Tuple[int, int] = (14, 14), with_cp: bool = False,
                 norm_eps: float = 1e-6):
        super().__init__()
        self.window_size = window_size
        self.with_cp = with_cp
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = RelPosAttention(
            dim, num_heads, qkv_bias,
            input_size=(window_size, window_size) if window_size > 0 else input_size)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) -> (B, H, W, C)."""
        if self.with_cp and torch.is_grad_enabled() and x.requires_grad:
            return checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.norm1(x)
        if self.window_size > 0:
            hw = x.shape[1:3]
            x, padded_hw = window_partition(x, self.window_size)
            x = window_unpartition(self.attn(x), self.window_size, padded_hw, hw)
        else:
            x = self.attn(x)
        x = shortcut + self.drop_path(x)
        return x + self.drop_path(self.mlp(self.norm2(x)))


class ViTDetViT(nn.Module):
    """Plain ViT with ViTDet's windowed / global blocks (no class token, no final norm).

    Args:
        img_size: input size the global blocks' relative-position tables are sized
            for (``2 * img_size / patch_size - 1`` rows); other sizes interpolate.
        patch_size, in_channels, embed_dim, depth, num_heads, mlp_ratio, qkv_bias: as
            usual.
        window_size: window of the windowed blocks (0: every block global).
        global_attn_indexes: blocks with global attention.
        drop_path_rate: stochastic depth, linearly increasing over the blocks.
        pretrain_img_size: the absolute position embedding is stored on the
            ``pretrain_img_size / patch_size`` grid of pretraining (14x14 for MAE
            at 224) and resized bicubically to the input's grid in every forward.
        with_cp: gradient checkpointing of every block (see :class:`ViTBlock`).
        norm_eps: eps of the blocks' LayerNorms (1e-6, as pretrained).
    """

    def __init__(self, img_size: int = 1024, patch_size: int = 16, in_channels: int = 3,
                 embed_dim: int = 768, depth: int = 12, num_heads: int = 12,
                 mlp_ratio: float = 4.0, qkv_bias: bool = True, window_size: int = 14,
                 global_attn_indexes: Sequence[int] = (2, 5, 8, 11),
                 drop_path_rate: float = 0.0, pretrain_img_size: int = 224,
                 with_cp: bool = False, norm_eps: float = 1e-6):
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(f'embed_dim={embed_dim} is not divisible by '
                             f'num_heads={num_heads}')
        bad = [i for i in global_attn_indexes if not 0 <= i < depth]
        if bad:
            raise ValueError(f'global_attn_indexes {bad} are outside 0..{depth - 1}')
        self.patch_size = patch_size
        self.embed_dim = embed_dim
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(in_channels, embed_dim, patch_size,
                                          stride=patch_size)
        grid = pretrain_img_size // patch_size
        self.pos_embed = nn.Parameter(torch.zeros(1, grid, grid, embed_dim))
        rates = torch.linspace(0, drop_path_rate, depth, device='cpu').tolist()
        global_attn_indexes = set(global_attn_indexes)
        self.blocks = nn.ModuleList(
            ViTBlock(embed_dim, num_heads, mlp_ratio, qkv_bias, drop_path=rates[i],
                     window_size=0 if i in global_attn_indexes else window_size,
                     input_size=(img_size // patch_size, img_size // patch_size),
                     with_cp=with_cp, norm_eps=norm_eps)
            for i in range(depth))
        self._init_random()

    @torch.no_grad()
    def _init_random(self) -> None:
        # used only when no pretrained weights are loaded (tests, ablations)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Patch embedding plus resized position embedding: (B, 3, H, W) -> (B, h, w, C)."""
        x = self.patch_embed.proj(x).permute(0, 2, 3, 1)
        pos = self.pos_embed
        if pos.shape[1:3] != x.shape[1:3]:
            pos = F.interpolate(pos.permute(0, 3, 1, 2), size=x.shape[1:3],
                                mode='bicubic', align_corners=False).permute(0, 2, 3, 1)
        return x + pos

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> (B, C, H/16, W/16): the frozen model alone."""
        x = self.embed(x)
        for blk in self.blocks:
            x = blk(x)
        return x.permute(0, 3, 1, 2).contiguous()


# --------------------------------------------------------------------------------------
# Foreign checkpoint formats -> our names (under the ``vit.`` prefix)
# --------------------------------------------------------------------------------------
_ENCODER_KEY = re.compile(r'(patch_embed\.proj\.(weight|bias)|pos_embed|blocks\.\d+\..+)')


def _pos_embed_as_grid(pos: torch.Tensor, key: str = 'pos_embed') -> torch.Tensor:
    """(1, N, C) with N = g*g or g*g + 1 (class token first), or (1, H, W, C) -> (1, H, W, C)."""
    if pos.dim() == 4:
        return pos
    if pos.dim() != 3:
        raise ValueError(f'{key}: expected (1, N, C) or (1, H, W, C), got {tuple(pos.shape)}')
    n = pos.shape[1]
    for extra in (0, 1):
        g = math.isqrt(n - extra)
        if g * g == n - extra:
            return pos[:, extra:].reshape(1, g, g, pos.shape[-1])
    raise ValueError(f'{key}: {n} positions are neither g*g nor g*g + 1 (class token)')


def vitdet_key(key: str, has_backbone: bool) -> Optional[str]:
    """One key of a MAE / timm / mmdet / detectron2 ViT checkpoint -> our name or ``None``.

    ``has_backbone``: the checkpoint is a detector's (keys under ``backbone.`` or
    ``backbone.net.``); then only those keys can be encoder keys. ``None`` means the
    frozen encoder has no such tensor (class / mask token, final norm, head, neck,
    MAE decoder, detectron2's simple-feature-pyramid ``backbone.simfp_*``).
    """
    if has_backbone:
        if not key.startswith('backbone.'):
            return None   # detector neck / heads
        key = key[len('backbone.net.'):] if key.startswith('backbone.net.') else \
            key[len('backbone.'):]
    return key if _ENCODER_KEY.fullmatch(key) else None


def vitdet_to_ours(state: StateDict) -> StateDict:
    """MAE / timm ViT, mmdet ViTDet and detectron2 ViTDet checkpoints -> ``ViTDetViT`` names.

    Strips ``backbone.net.`` (detectron2) or ``backbone.`` (mmdet); keeps the patch
    embedding, the position embedding (class-token entry dropped, reshaped to its
    grid) and the blocks; drops class / mask tokens, final norms, heads, necks and MAE
    decoders, which the frozen encoder does not have.
    """
    has_backbone = any(k.startswith('backbone.') for k in state)
    out = {}
    for key, value in state.items():
        key = vitdet_key(key, has_backbone)
        if key is None:
            continue
        out[key] = _pos_embed_as_grid(value, key) if key == 'pos_embed' else value
    return out


def mmrgbir_vit_to_ours(state: StateDict) -> StateDict:
    """Files of ``tools/model_converters/vitdet2mmrgbir.py``: already ``ViTDetViT`` names.

    Raises:
        KeyError: a key that is not a ``ViTDetViT`` tensor (not a converted file).
    """
    bad = [k for k in state if not _ENCODER_KEY.fullmatch(k)]
    if bad:
        raise KeyError(f"pretrained_format='mmrgbir' expects the keys written by "
                       f'tools/model_converters/vitdet2mmrgbir.py (patch_embed.*, '
                       f'pos_embed, blocks.*), got {bad[:5]}; convert the file first or '
                       f"use pretrained_format='vitdet' / 'timm_samvit'")
    return {k: _pos_embed_as_grid(v, k) if k == 'pos_embed' else v
            for k, v in state.items()}


def timm_samvit_to_ours(state: StateDict) -> StateDict:
    """timm ``samvit_*`` and original SAM image-encoder checkpoints -> ``ViTDetViT`` names.

    SAM's ``image_encoder.`` prefix is stripped (prompt encoder / mask decoder
    dropped), its ``mlp.lin1/lin2`` become ``mlp.fc1/fc2``; the neck is dropped. The
    position embedding is already a (1, H, W, C) grid.
    """
    has_encoder = any(k.startswith('image_encoder.') for k in state)
    out = {}
    for key, value in state.items():
        if has_encoder:
            if not key.startswith('image_encoder.'):
                continue
            key = key[len('image_encoder.'):]
        key = re.sub(r'\.mlp\.lin([12])\.', r'.mlp.fc\1.', key)
        if not _ENCODER_KEY.fullmatch(key):
            continue
        out[key] = _pos_embed_as_grid(value, key) if key == 'pos_embed' else value
    return out


PRETRAINED_KEY_MAPS: Dict[str, Callable[[StateDict], StateDict]] = {
    'mmrgbir': mmrgbir_vit_to_ours,
    'vitdet': vitdet_to_ours,
    'timm_samvit': timm_samvit_to_ours,
}


def fit_to_model(state: StateDict, own: StateDict) -> StateDict:
    """Resize position embeddings (bicubic) and relative-position tables (linear) to ours.

    ``own`` is the target's state dict (same names); other tensors pass unchanged.
    """
    out = dict(state)
    for key, value in state.items():
        target = own.get(key)
        if target is None or target.shape == value.shape:
            continue
        if key == 'pos_embed' and value.dim() == 4 and value.shape[-1] == target.shape[-1]:
            out[key] = F.interpolate(value.permute(0, 3, 1, 2).float(),
                                     size=tuple(target.shape[1:3]), mode='bicubic',
                                     align_corners=False).permute(0, 2, 3, 1).to(value.dtype)
        elif key.endswith(('rel_pos_h', 'rel_pos_w')) and value.dim() == 2 and \
                value.shape[1] == target.shape[1]:
            out[key] = F.interpolate(value.t()[None].float(), size=target.shape[0],
                                     mode='linear')[0].t().to(value.dtype)
        else:
            continue   # left for load_pretrained to report as a shape mismatch
        print_log(f'resized {key} from {tuple(value.shape)} to {tuple(target.shape)}',
                  logger='current')
    return out


# --------------------------------------------------------------------------------------
# UniRGB-IR
# --------------------------------------------------------------------------------------
@MODELS.register_module()
class UniRGBIRViT(FrozenBackboneMixin, BaseModule):
    """Frozen ViTDet-style ViT + UniRGB-IR adapter (MFP, SFI, gates).

    Input: (B, 3 + x_channels, H, W), normalised ``[RGB | IR]`` (a 1-channel IR image is
    repeated to 3 channels for the feature pool). H and W should be multiples of 32
    (the pool's 1/32 level); the ViT sees the RGB part only.

    Output (``out_mode``):
        ``'det'``: ``(final,)`` with final (B, C, H/16, W/16);
        ``'seg'``: the output of each of the ``len(interaction_indexes)`` stages, each
        (B, C, H/16, W/16).

    Args:
        img_size: input size of the published recipe; sizes the relative-position
            tables of the global blocks (127 rows at 1024).
        patch_size, embed_dim, depth, num_heads, mlp_ratio: the frozen ViT.
        window_size: window of the windowed blocks; global_attn_indexes: the others.
        interaction_indexes: the block each injection precedes (stage ``i`` runs
            blocks ``[idx[i], idx[i+1])``).
        drop_path_rate: stochastic depth of the frozen blocks (active in training).
        vit_norm_eps: eps of the frozen blocks' LayerNorms: 1e-6 (ViTDet's, and the
            official segmentation / SOD runs'); the official detection config builds
            them with mmcv's ``LN`` default, 1e-5 (set there).
        pretrain_img_size: grid of the stored absolute position embedding
            (``pretrain_img_size / patch_size``, 14 for MAE / ViTDet weights; 64 to keep
            SAM's 1024-grid embedding unresized).
        out_mode: ``'det'`` or ``'seg'``.
        x_channels: channels of the IR part of the input (1 or 3).
        pool_channels: width of the feature pool's stems (64); the pyramid uses
            2x, 4x, 4x of it.
        pool_kernel_sizes: kernels of the grouped gated mix (one per group).
        deform_num_heads: heads of the deformable attention (default ``num_heads``).
        deform_num_points: sampling points per head and level.
        deform_ratio: value width ratio of the deformable attention.
        init_gamma: initial injector scale (0: the output equals the frozen ViT's).
        with_cp: gradient checkpointing of the frozen blocks. Gradients reach the
            injectors through every frozen block, so backward needs the blocks'
            activations; with ``with_cp`` they are recomputed instead of stored
            (about one more forward of the ViT per step, far less memory at 768+ px).
        adapter_with_cp: recompute the feature pool and the injectors in backward
            (on by default: they are cheap next to the ViT, but their activations at
            1/2 - 1/8 resolution and the injectors' normalised pool copies would
            otherwise take ~0.9 GiB at 768 x 768, 1.5 GiB at 1024; outputs, gradients
            and BatchNorm statistics are unchanged).
        pool_norm_cfg: norm of the feature pool's convs: BN (default, single-GPU
            configs) or ``dict(type='SyncBN')`` (the official multi-GPU runs).
        pretrained: local checkpoint of the ViT; pretrained_format: its key layout,
            one of :data:`PRETRAINED_KEY_MAPS` (``'mmrgbir'``: the converter's file).
            Without it the build stops (:class:`RandomFrozenWeightsError`) unless
            ``allow_random_frozen`` says where else the frozen weights come from.
        allow_random_frozen: ``False`` (default: ``pretrained`` required), ``True``
            (random frozen ViT on purpose: tests, tiny configs, parameter counting)
            or ``'checkpoint'`` (a complete checkpoint is loaded after the build).
        trainable: regexes overriding :attr:`trainable_patterns`.
        init_cfg: mmengine init config.
    """

    #: the adapter (feature pool incl. level embedding, injectors, gates -- one
    #: pattern, as a one-stage variant has no gate) and the ViT's relative-position
    #: tables; everything else is frozen.
    trainable_patterns = (r'(feature_pool|injectors|gates)\..+',
                          r'vit\.blocks\.\d+\.attn\.rel_pos_[hw]')

    def __init__(self,
                 img_size: int = 1024,
                 patch_size: int = 16,
                 embed_dim: int = 768,
                 depth: int = 12,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.0,
                 window_size: int = 14,
                 global_attn_indexes: Sequence[int] = (2, 5, 8, 11),
                 interaction_indexes: Sequence[int] = (0, 3, 6, 9),
                 drop_path_rate: float = 0.3,
                 vit_norm_eps: float = 1e-6,
                 pretrain_img_size: int = 224,
                 out_mode: str = 'det',
                 x_channels: int = 1,
                 pool_channels: int = 64,
                 pool_kernel_sizes: Sequence[int] = (3, 3, 5, 7),
                 deform_num_heads: Optional[int] = None,
                 deform_num_points: int = 4,
                 deform_ratio: float = 0.5,
                 init_gamma: float = 0.0,
                 with_cp: bool = False,
                 adapter_with_cp: bool = True,
                 pool_norm_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 pretrained_format: str = 'vitdet',
                 allow_random_frozen: Union[bool, str] = False,
                 trainable: Optional[Sequence[str]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        # before anything is built: a frozen ViT without weights trains into garbage
        require_frozen_weights(type(self).__name__, pretrained, allow_random_frozen,
                               weights=PUBLISHED_WEIGHTS, converter=CONVERTER_COMMAND)
        self.allow_random_frozen = allow_random_frozen
        if out_mode not in ('det', 'seg'):
            raise ValueError(f"UniRGBIRViT: out_mode must be 'det' or 'seg', got {out_mode!r}")
        if x_channels not in (1, 3):
            raise ValueError(f'UniRGBIRViT: x_channels must be 1 or 3, got {x_channels}')
        if pretrained_format not in PRETRAINED_KEY_MAPS:
            raise ValueError(f'UniRGBIRViT: pretrained_format must be one of '
                             f'{sorted(PRETRAINED_KEY_MAPS)}, got {pretrained_format!r}')
        idx = list(interaction_indexes)
        if not idx or idx != sorted(set(idx)) or idx[0] < 0 or idx[-1] >= depth:
            raise ValueError(f'UniRGBIRViT: interaction_indexes must be strictly '
                             f'increasing block indexes in 0..{depth - 1}, got {idx}')
        self.out_mode = out_mode
        self.x_channels = x_channels
        self.in_channels = 3 + x_channels
        self.pretrained = pretrained
        self.pretrained_format = pretrained_format
        self.trainable = trainable
        self.interaction_indexes = tuple(idx)

        self.vit = ViTDetViT(img_size=img_size, patch_size=patch_size, embed_dim=embed_dim,
                             depth=depth, num_heads=num_heads, mlp_ratio=mlp_ratio,
                             window_size=window_size, global_attn_indexes=global_attn_indexes,
                             drop_path_rate=drop_path_rate,
                             pretrain_img_size=pretrain_img_size, with_cp=with_cp,
                             norm_eps=vit_norm_eps)
        self.feature_pool = MultiModalFeaturePool(embed_dim, pool_channels,
                                                  pool_kernel_sizes,
                                                  with_cp=adapter_with_cp,
                                                  norm_cfg=pool_norm_cfg)
        self.injectors = nn.ModuleList(
            SupplementaryFeatureInjector(
                embed_dim, num_heads=deform_num_heads or num_heads,
                n_points=deform_num_points, n_levels=MultiModalFeaturePool.num_levels,
                deform_ratio=deform_ratio, init_gamma=init_gamma,
                with_cp=adapter_with_cp) for _ in idx)
        self.gates = nn.ModuleList(InjectionGate(embed_dim) for _ in idx[1:])
        self._init_trainable(trainable)

    @property
    def stage_ranges(self) -> List[Tuple[int, int]]:
        """``[(first_block, end_block)]`` of each stage."""
        ends = list(self.interaction_indexes[1:]) + [len(self.vit.blocks)]
        return list(zip(self.interaction_indexes, ends))

    def init_weights(self) -> None:
        """Load the frozen ViT from ``pretrained`` (the adapter keeps its own init).

        Every frozen ViT tensor must come from the file (``KeyError`` otherwise);
        relative-position tables the file lacks are set to zero (official behaviour:
        its ViTDet weights have them removed, they start at zero and train).
        """
        super().init_weights()
        if self.pretrained is None:
            if self.allow_random_frozen is True:
                print_log('UniRGBIRViT: allow_random_frozen=True and no pretrained ViT '
                          'weights: the frozen ViT stays random', logger='current',
                          level=logging.WARNING)
            return
        key_map = PRETRAINED_KEY_MAPS[self.pretrained_format]
        own = self.vit.state_dict()
        report = load_pretrained(self, self.pretrained,
                                 key_map=lambda sd: fit_to_model(key_map(sd), own),
                                 prefix='vit.')
        rel_pos = re.compile(r'vit\.blocks\.\d+\.attn\.rel_pos_[hw]')
        frozen_missing = [k for k in report.missing if not rel_pos.fullmatch(k)]
        if frozen_missing or report.mismatched:
            raise KeyError(
                f'UniRGBIRViT: {self.pretrained} (pretrained_format='
                f'{self.pretrained_format!r}) does not provide every frozen ViT tensor: '
                f'missing {frozen_missing[:8]}{" ..." if len(frozen_missing) > 8 else ""}'
                f', shape mismatch {report.mismatched[:8]}. Check embed_dim / depth / '
                f'patch_size against the file, or write it with `{CONVERTER_COMMAND}`.')
        zeroed = [k for k in report.missing if rel_pos.fullmatch(k)]
        with torch.no_grad():
            params = dict(self.named_parameters())
            for key in zeroed:
                params[key].zero_()
        if zeroed:
            print_log(f'UniRGBIRViT: {len(zeroed)} relative-position tables are not in '
                      f'{self.pretrained}: they start at zero and train (the official '
                      f'UniRGB-IR recipe)', logger='current')
        self._init_trainable(self.trainable)

    def parameter_counts(self) -> Dict[str, int]:
        """Parameter counts by part.

        Keys: ``feature_pool``, ``injectors``, ``gates``, ``adapter`` (their sum: the
        published 8.90 M), ``rel_pos`` (the trainable ViT tables) and ``vit_frozen``.
        """
        counts = dict(feature_pool=0, injectors=0, gates=0, rel_pos=0, vit_frozen=0)
        for name, p in self.named_parameters():
            if name.startswith('vit.'):
                key = 'rel_pos' if re.search(r'\.rel_pos_[hw]$', name) else 'vit_frozen'
            else:
                key = name.split('.')[0]
            counts[key] += p.numel()
        counts['adapter'] = counts['feature_pool'] + counts['injectors'] + counts['gates']
        return counts

    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(B, 3 + x_channels, H, W) -> tuple of (B, C, H/16, W/16), see the class doc."""
        if inputs.dim() != 4 or inputs.shape[1] != self.in_channels:
            raise ValueError(
                f'UniRGBIRViT expects (B, {self.in_channels}, H, W) inputs (3 RGB + '
                f'{self.x_channels} IR channels, x_channels={self.x_channels}), got '
                f'{tuple(inputs.shape)}')
        rgb, ir = inputs[:, :3], inputs[:, 3:]
        if ir.shape[1] == 1:
            ir = ir.repeat(1, 3, 1, 1)
        pool, spatial_shapes = self.feature_pool(rgb, ir)
        starts = level_start_index(spatial_shapes)

        x = self.vit.embed(rgb)                                     # (B, h, w, C)
        batch, height, width, dim = x.shape
        ref = reference_points_on_grid(height, width, x.device)   # fp32, also under AMP
        for blk in self.vit.blocks[:self.interaction_indexes[0]]:
            x = blk(x)
        outs, prev = [], None
        for stage, (begin, end) in enumerate(self.stage_ranges):
            new = self.injectors[stage](x.reshape(batch, height * width, dim), ref, pool,
                                        spatial_shapes, starts)
            injection = new if prev is None else self.gates[stage - 1](new, prev)
            prev = injection
            x = x + injection.view(batch, height, width, dim)
            for blk in self.vit.blocks[begin:end]:
                x = blk(x)
            outs.append(x.permute(0, 3, 1, 2).contiguous())
        return tuple(outs) if self.out_mode == 'seg' else (outs[-1], )
