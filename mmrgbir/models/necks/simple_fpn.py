# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""ViTDet's simple feature pyramid (Li et al., ECCV 2022) from one plain-ViT map.

mmdet 3.3 ships it only under ``projects/ViTDet`` (not installed with the wheel), so
it is written here. From the last backbone map (B, C, H/16, W/16):

* scale 4: ConvTranspose 2x2 s2 (C -> C/2), LayerNorm2d, GELU, ConvTranspose 2x2 s2
  (C/2 -> C/4)  -> stride 4;
* scale 2: ConvTranspose 2x2 s2 (C -> C/2)  -> stride 8;
* scale 1: identity  -> stride 16;
* scale 0.5: max-pool 2x2 s2  -> stride 32;

each followed by a 1x1 conv and a 3x3 conv to ``out_channels`` (no bias, each with a
LayerNorm2d), and, for ``num_outs == len(scale_factors) + 1``, a stride-2
subsampling (max-pool, kernel 1) of the coarsest output (ViTDet's ``LastLevelMaxPool``,
the P6 of an RPN).
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule

from mmrgbir.registry import MODELS

__all__ = ['LayerNorm2d', 'SimpleFeaturePyramid']


@MODELS.register_module('LN2d')
class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a (B, C, H, W) map (registered as ``'LN2d'``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


@MODELS.register_module()
class SimpleFeaturePyramid(BaseModule):
    """Multi-scale maps from a single-scale ViT map by (de)convolutions and pooling.

    Args:
        in_channels: channels C of the backbone map (768 for ViT-B).
        out_channels: channels of every output (256).
        scale_factors: resampling of the input per output level; supported values
            4.0, 2.0, 1.0, 0.5 (ViTDet: all four, giving strides 4, 8, 16, 32).
        num_outs: ``len(scale_factors)`` or one more (an extra max-pooled level).
        in_index: which map of the backbone's output tuple to use (the last).
        norm_cfg: norm of the deconvolution path and of the output convs (LN2d).
        init_cfg: mmengine init config.

    Shapes: ``forward((B, C, H, W), ...) -> tuple of num_outs maps (B, out, H*s, W*s)``.
    """

    def __init__(self, in_channels: int = 768, out_channels: int = 256,
                 scale_factors: Sequence[float] = (4.0, 2.0, 1.0, 0.5), num_outs: int = 5,
                 in_index: int = -1, norm_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        norm_cfg = dict(type='LN2d', eps=1e-6) if norm_cfg is None else norm_cfg
        if num_outs not in (len(scale_factors), len(scale_factors) + 1):
            raise ValueError(f'num_outs must be {len(scale_factors)} or '
                             f'{len(scale_factors) + 1}, got {num_outs}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.scale_factors = tuple(float(s) for s in scale_factors)
        self.num_outs = num_outs
        self.in_index = in_index

        self.resamplers = nn.ModuleList()
        self.lateral_convs = nn.ModuleList()
        self.output_convs = nn.ModuleList()
        for scale in self.scale_factors:
            dim = in_channels
            if scale == 4.0:
                resample = nn.Sequential(
                    nn.ConvTranspose2d(dim, dim // 2, kernel_size=2, stride=2),
                    build_norm_layer(norm_cfg, dim // 2)[1],
                    nn.GELU(),
                    nn.ConvTranspose2d(dim // 2, dim // 4, kernel_size=2, stride=2))
                dim = dim // 4
            elif scale == 2.0:
                resample = nn.ConvTranspose2d(dim, dim // 2, kernel_size=2, stride=2)
                dim = dim // 2
            elif scale == 1.0:
                resample = nn.Identity()
            elif scale == 0.5:
                resample = nn.MaxPool2d(kernel_size=2, stride=2)
            else:
                raise ValueError(f'scale factor {scale} is not supported '
                                 f'(use 4.0, 2.0, 1.0 or 0.5)')
            self.resamplers.append(resample)
            self.lateral_convs.append(ConvModule(dim, out_channels, 1, bias=False,
                                                 norm_cfg=norm_cfg, act_cfg=None))
            self.output_convs.append(ConvModule(out_channels, out_channels, 3, padding=1,
                                                bias=False, norm_cfg=norm_cfg,
                                                act_cfg=None))

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        x = inputs[self.in_index] if isinstance(inputs, (list, tuple)) else inputs
        if x.shape[1] != self.in_channels:
            raise ValueError(f'SimpleFeaturePyramid: expected {self.in_channels} input '
                             f'channels, got {tuple(x.shape)}')
        outs = [conv(lateral(resample(x))) for resample, lateral, conv in
                zip(self.resamplers, self.lateral_convs, self.output_convs)]
        if self.num_outs > len(outs):
            outs.append(F.max_pool2d(outs[-1], kernel_size=1, stride=2))
        return tuple(outs)
