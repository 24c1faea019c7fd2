# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Fusion necks: merge the multi-level features of an RGB stream and an X stream.

Every fusion neck takes ``(rgb_feats, x_feats)``, two sequences of L maps
(B, C_l, H_l, W_l) with matching shapes, and returns a tuple of L fused maps
(B, C_l, H_l, W_l), so that stock necks and decode heads work unchanged after it.
``AddFusion`` and ``ConcatFusion`` also take more streams,
``(rgb_feats, m1_feats, m2_feats, ...)`` (``MultiStreamBackbone``); for a learned
fusion of N streams see ``CMNeXtFusion``.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmrgbir.registry import MODELS

Feats = Sequence[torch.Tensor]


def _check_streams(streams: Sequence[Feats], who: str) -> None:
    if len(streams) < 2:
        raise ValueError(f'{who}: needs at least two streams, got {len(streams)}')
    for k, feats in enumerate(streams[1:], 1):
        _check_pairs(streams[0], feats, who, f'stream {k}')


def _check_pairs(rgb_feats: Feats, x_feats: Feats, who: str, name: str = 'X') -> None:
    if len(rgb_feats) != len(x_feats):
        raise ValueError(f'{who}: {len(rgb_feats)} RGB levels but {len(x_feats)} {name} '
                         f'levels')
    for i, (r, x) in enumerate(zip(rgb_feats, x_feats)):
        if r.shape != x.shape:
            raise ValueError(f'{who}: level {i} RGB {tuple(r.shape)} vs {name} '
                             f'{tuple(x.shape)}')


@MODELS.register_module()
class AddFusion(BaseModule):
    """Element-wise sum of the streams (no parameters); two or more streams."""

    def __init__(self, in_channels: Optional[Sequence[int]] = None, init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.in_channels = in_channels

    def forward(self, *streams: Feats) -> Tuple[torch.Tensor, ...]:
        _check_streams(streams, type(self).__name__)
        return tuple(sum(level[1:], level[0]) for level in zip(*streams))


@MODELS.register_module()
class ConcatFusion(BaseModule):
    """Concatenate the streams per level, then a 1x1 conv (S*C -> C) + norm + act.

    Args:
        in_channels: channels of each level.
        num_streams: number of streams S (2: RGB + X).
    """

    def __init__(self, in_channels: Sequence[int], norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'), num_streams: int = 2,
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        if num_streams < 2:
            raise ValueError(f'ConcatFusion: num_streams must be >= 2, got {num_streams}')
        self.in_channels = list(in_channels)
        self.num_streams = num_streams
        self.convs = nn.ModuleList(
            ConvModule(num_streams * c, c, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
            for c in self.in_channels)

    def forward(self, *streams: Feats) -> Tuple[torch.Tensor, ...]:
        _check_streams(streams, type(self).__name__)
        if len(streams) != self.num_streams:
            raise ValueError(f'ConcatFusion: built for {self.num_streams} streams '
                             f'(num_streams), got {len(streams)}')
        return tuple(conv(torch.cat(level, dim=1))
                     for conv, level in zip(self.convs, zip(*streams)))


class CrossModalRectification(nn.Module):
    """Rectify each stream with channel- and spatial-wise weighted features of the other.

    Channel weights come from an MLP over the global average- and max-pooled
    features of both streams, spatial weights from 1x1 convs over their
    concatenation; each stream adds the other's features scaled by both weights.
    (B, C, H, W) x 2 -> (B, C, H, W) x 2.
    """

    def __init__(self, channels: int, reduction: int = 1, lambda_c: float = 0.5,
                 lambda_s: float = 0.5) -> None:
        super().__init__()
        self.lambda_c = lambda_c
        self.lambda_s = lambda_s
        hidden = max(4 * channels // reduction, 8)
        self.channel_mlp = nn.Sequential(
            nn.Linear(4 * channels, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, 2 * channels), nn.Sigmoid())
        self.spatial = nn.Sequential(
            nn.Conv2d(2 * channels, max(channels // reduction, 8), 1), nn.ReLU(inplace=True),
            nn.Conv2d(max(channels // reduction, 8), 2, 1), nn.Sigmoid())

    def forward(self, rgb: torch.Tensor, x: torch.Tensor):
        b, c = rgb.shape[:2]
        pooled = torch.cat([rgb.mean((2, 3)), x.mean((2, 3)),
                            rgb.amax((2, 3)), x.amax((2, 3))], dim=1)
        cw = self.channel_mlp(pooled).view(b, 2, c, 1, 1)
        sw = self.spatial(torch.cat([rgb, x], dim=1)).unsqueeze(2)  # (B, 2, 1, H, W)
        rgb_out = rgb + self.lambda_c * cw[:, 1] * x + self.lambda_s * sw[:, 1] * x
        x_out = x + self.lambda_c * cw[:, 0] * rgb + self.lambda_s * sw[:, 0] * rgb
        return rgb_out, x_out


class CrossModalAttentionFusion(nn.Module):
    """Exchange global context between streams by cross attention, then merge.

    Each stream's tokens split into a residual and an interactive part; the
    interactive part gives keys / values summarised into a per-head (d x d) global
    context (efficient attention, linear in the number of tokens), which the
    *other* stream's queries read. The two updated streams are concatenated and
    merged by a 1x1 conv, a depth-wise 3x3 conv with residual and a 1x1 conv.
    (B, C, H, W) x 2 -> (B, C, H, W).
    """

    def __init__(self, channels: int, num_heads: int = 1,
                 norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__()
        if channels % num_heads:
            raise ValueError(f'channels {channels} not divisible by num_heads {num_heads}')
        self.num_heads = num_heads
        self.split = nn.ModuleList(nn.Linear(channels, 2 * channels) for _ in range(2))
        self.kv = nn.ModuleList(nn.Linear(channels, 2 * channels) for _ in range(2))
        self.out = nn.ModuleList(nn.Linear(2 * channels, channels) for _ in range(2))
        self.norm = nn.ModuleList(nn.LayerNorm(channels) for _ in range(2))
        self.reduce = ConvModule(2 * channels, channels, 1, norm_cfg=norm_cfg, act_cfg=None)
        self.dwconv = nn.Conv2d(channels, channels, 3, padding=1, groups=channels)
        self.act = nn.ReLU(inplace=True)
        self.proj = ConvModule(channels, channels, 1, norm_cfg=norm_cfg, act_cfg=None)

    def _heads(self, t: torch.Tensor) -> torch.Tensor:
        b, n, c = t.shape
        return t.view(b, n, self.num_heads, c // self.num_heads).transpose(1, 2)

    def forward(self, rgb: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = rgb.shape
        tokens = [t.flatten(2).transpose(1, 2) for t in (rgb, x)]  # (B, N, C)
        residual, query, context = [], [], []
        for i, t in enumerate(tokens):
            res, inter = self.split[i](t).chunk(2, dim=-1)
            k, v = self.kv[i](inter).chunk(2, dim=-1)
            k = self._heads(k).softmax(dim=2)  # normalise over tokens
            context.append(k.transpose(-2, -1) @ self._heads(v))  # (B, h, d, d)
            query.append(self._heads(inter).softmax(dim=-1))
            residual.append(res)
        fused = []
        for i in range(2):
            cross = (query[i] @ context[1 - i]).transpose(1, 2).reshape(b, h * w, c)
            t = self.norm[i](tokens[i] + self.out[i](torch.cat([residual[i], cross], -1)))
            fused.append(t.transpose(1, 2).reshape(b, c, h, w))
        y = self.reduce(torch.cat(fused, dim=1))
        y = self.act(y + self.dwconv(y))
        return self.proj(y)


@MODELS.register_module()
class CMXFusion(BaseModule):
    """CMX-style fusion: cross-modal rectification, then attention fusion, per level.

    Args:
        in_channels: channels of each level.
        num_heads: attention heads per level (default 1 everywhere).
        reduction: channel reduction of the rectification MLP / convs.
    """

    def __init__(self, in_channels: Sequence[int], num_heads: Optional[Sequence[int]] = None,
                 reduction: int = 1, norm_cfg: dict = dict(type='BN'),
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.in_channels = list(in_channels)
        heads: List[int] = list(num_heads) if num_heads else [1] * len(self.in_channels)
        self.rectify = nn.ModuleList(
            CrossModalRectification(c, reduction) for c in self.in_channels)
        self.fuse = nn.ModuleList(
            CrossModalAttentionFusion(c, h, norm_cfg) for c, h in zip(self.in_channels, heads))

    def forward(self, rgb_feats: Feats, x_feats: Feats) -> Tuple[torch.Tensor, ...]:
        _check_pairs(rgb_feats, x_feats, type(self).__name__)
        outs = []
        for rect, fuse, r, x in zip(self.rectify, self.fuse, rgb_feats, x_feats):
            r, x = rect(r, x)
            outs.append(fuse(r, x))
        return tuple(outs)
