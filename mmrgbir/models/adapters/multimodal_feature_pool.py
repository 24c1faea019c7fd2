# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""UniRGB-IR's multi-modal feature pool (MFP).

Two unshared CNN stems (RGB, IR) bring both images to 1/4 resolution, a grouped
multi-kernel gated mix fuses them, a strided-conv pyramid makes 1/8, 1/16 and 1/32
maps, and 1x1 projections plus a learned level embedding turn them into one token
sequence that the supplementary feature injectors attend to.
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from torch.nn.modules.batchnorm import _BatchNorm

from mmrgbir.models.utils.recompute import checkpoint_module

__all__ = ['ConvStem', 'GroupedMultiKernelGatedMix', 'MultiModalFeaturePool']


DEFAULT_NORM_CFG = dict(type='BN', requires_grad=True)


def conv_bn_relu(in_channels: int, out_channels: int, stride: int = 1,
                 norm_cfg: Optional[dict] = None) -> nn.Sequential:
    """3x3 conv (no bias) -> norm (``norm_cfg``, BatchNorm by default) -> ReLU.

    The norm is always child ``1`` of the returned ``nn.Sequential``, so its state-dict
    keys do not depend on the norm type (BN and SyncBN checkpoints load alike).
    """
    norm = build_norm_layer(norm_cfg or DEFAULT_NORM_CFG, out_channels)[1]
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        norm, nn.ReLU(inplace=True))


class ConvStem(nn.Sequential):
    """(B, 3, H, W) -> (B, C, H/4, W/4): conv s2, conv, conv (each norm-ReLU), max-pool s2."""

    def __init__(self, in_channels: int = 3, channels: int = 64,
                 norm_cfg: Optional[dict] = None):
        super().__init__(
            conv_bn_relu(in_channels, channels, stride=2, norm_cfg=norm_cfg),
            conv_bn_relu(channels, channels, norm_cfg=norm_cfg),
            conv_bn_relu(channels, channels, norm_cfg=norm_cfg),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))


class GroupedMultiKernelGatedMix(nn.Module):
    """Fuse two (B, C, H, W) maps group by group with a sigmoid gate.

    The channels are split into ``len(kernel_sizes)`` equal groups; group ``g`` of
    each modality goes through its own ``k_g x k_g`` conv (same padding, bias), a
    1x1 conv shared by all groups gives the gate ``a = sigmoid(fc(r_g + i_g))`` and
    the group output is ``r_g * a + i_g * (1 - a)``.

    Args:
        channels: C, divisible by the number of groups.
        kernel_sizes: one odd kernel size per group.
    """

    def __init__(self, channels: int = 64, kernel_sizes: Sequence[int] = (3, 3, 5, 7)):
        super().__init__()
        groups = len(kernel_sizes)
        if channels % groups != 0:
            raise ValueError(f'GroupedMultiKernelGatedMix: channels={channels} is not '
                             f'divisible by the {groups} groups of kernel_sizes '
                             f'{tuple(kernel_sizes)}')
        self.group_channels = channels // groups
        gc = self.group_channels
        self.rgb_convs = nn.ModuleList(
            nn.Conv2d(gc, gc, k, padding=k // 2) for k in kernel_sizes)
        self.ir_convs = nn.ModuleList(
            nn.Conv2d(gc, gc, k, padding=k // 2) for k in kernel_sizes)
        self.gate_fc = nn.Conv2d(gc, gc, 1)

    def forward(self, rgb: torch.Tensor, ir: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) x 2 -> (B, C, H, W)."""
        outs = []
        for r, i, conv_r, conv_i in zip(rgb.split(self.group_channels, 1),
                                        ir.split(self.group_channels, 1),
                                        self.rgb_convs, self.ir_convs):
            r, i = conv_r(r), conv_i(i)
            a = torch.sigmoid(self.gate_fc(r + i))
            outs.append(r * a + i * (1 - a))
        return torch.cat(outs, 1)


class MultiModalFeaturePool(nn.Module):
    """RGB + IR images -> multi-level tokens for deformable cross-attention.

    Args:
        embed_dim: token width (the ViT width, 768).
        channels: stem width (64); the pyramid uses ``2c, 4c, 4c`` channels.
        kernel_sizes: per-group kernels of the gated mix.
        in_channels: channels of each input image (3; 1-channel IR is repeated
            by the caller).
        with_cp: recompute the pool in backward instead of storing its activations
            (the stems run at 1/2 and 1/4 resolution: ~0.5 GiB at 768 x 768 for a
            few % more compute); BatchNorm statistics are still updated once.
        norm_cfg: norm of the stems and the pyramid convs (mmcv config). Default
            ``dict(type='BN')``; the official multi-GPU runs use SyncBN
            (``dict(type='SyncBN')``), which the mmengine Runner turns back into BN
            when it trains without distribution.

    Forward:
        rgb (B, 3, H, W), ir (B, 3, H, W) ->
        tokens (B, N8 + N16 + N32, embed_dim) with ``Nk = ceil(H/k) * ceil(W/k)``
        (levels concatenated in the order 1/8, 1/16, 1/32), spatial_shapes (3, 2) long.
    """

    num_levels = 3

    def __init__(self, embed_dim: int = 768, channels: int = 64,
                 kernel_sizes: Sequence[int] = (3, 3, 5, 7), in_channels: int = 3,
                 with_cp: bool = False, norm_cfg: Optional[dict] = None):
        super().__init__()
        self.with_cp = with_cp
        self.rgb_stem = ConvStem(in_channels, channels, norm_cfg)
        self.ir_stem = ConvStem(in_channels, channels, norm_cfg)
        self.mix = GroupedMultiKernelGatedMix(channels, kernel_sizes)
        widths = (2 * channels, 4 * channels, 4 * channels)
        self.down8 = conv_bn_relu(channels, widths[0], stride=2, norm_cfg=norm_cfg)
        self.down16 = conv_bn_relu(widths[0], widths[1], stride=2, norm_cfg=norm_cfg)
        self.down32 = conv_bn_relu(widths[1], widths[2], stride=2, norm_cfg=norm_cfg)
        self.proj8 = nn.Conv2d(widths[0], embed_dim, 1)
        self.proj16 = nn.Conv2d(widths[1], embed_dim, 1)
        self.proj32 = nn.Conv2d(widths[2], embed_dim, 1)
        self.level_embed = nn.Parameter(torch.zeros(self.num_levels, embed_dim))
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                # He-normal over fan-out, as in the ViT-Adapter family of pools
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_out))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (_BatchNorm, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.level_embed)

    def forward(self, rgb: torch.Tensor,
                ir: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.with_cp and torch.is_grad_enabled():
            return checkpoint_module(self, self._forward, rgb, ir)
        return self._forward(rgb, ir)

    def _forward(self, rgb: torch.Tensor,
                 ir: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        c4 = self.mix(self.rgb_stem(rgb), self.ir_stem(ir))
        c8 = self.down8(c4)
        c16 = self.down16(c8)
        c32 = self.down32(c16)
        tokens, shapes = [], []
        for lvl, (feat, proj) in enumerate(((c8, self.proj8), (c16, self.proj16),
                                            (c32, self.proj32))):
            f = proj(feat)
            shapes.append(f.shape[-2:])
            tokens.append(f.flatten(2).transpose(1, 2) + self.level_embed[lvl])
        spatial_shapes = torch.as_tensor(shapes, dtype=torch.long, device=rgb.device)
        return torch.cat(tokens, 1), spatial_shapes
