# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Split-Fuse Enhancer (SFE) of IV-tuning: a cheap local-context block for adapters.

Split: a depthwise 3x3 conv (with bias) on the first ``C // r`` channels, the other
channels passed through, plus a residual. Fuse: 1x1 conv C->C, BatchNorm, ReLU,
1x1 conv C->C, plus a residual.
"""
import torch
import torch.nn as nn


class SplitFuseEnhancer(nn.Module):
    """Partial depthwise conv + pointwise fusion, both residual.

    Args:
        channels: C, input and output channels.
        ratio: r; the depthwise conv sees ``C // r`` channels (4 as published).

    Shapes:
        input (B, C, H, W) -> output (B, C, H, W).
    """

    def __init__(self, channels: int, ratio: int = 4) -> None:
        super().__init__()
        if ratio < 1 or channels // ratio < 1:
            raise ValueError(f'SplitFuseEnhancer: channels={channels} // ratio={ratio} '
                             f'must leave at least one channel for the depthwise conv')
        self.channels = channels
        self.split_channels = channels // ratio
        self.split_conv = nn.Conv2d(self.split_channels, self.split_channels, 3,
                                    padding=1, groups=self.split_channels, bias=True)
        self.fuse_in = nn.Conv2d(channels, channels, 1)
        self.fuse_norm = nn.BatchNorm2d(channels)
        self.fuse_act = nn.ReLU()
        self.fuse_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f'SplitFuseEnhancer expects (B, {self.channels}, H, W), got '
                             f'{tuple(x.shape)}')
        part, rest = torch.split(
            x, [self.split_channels, self.channels - self.split_channels], dim=1)
        x = torch.cat([self.split_conv(part), rest], dim=1) + x
        return self.fuse_out(self.fuse_act(self.fuse_norm(self.fuse_in(x)))) + x
