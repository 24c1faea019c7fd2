# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Two-stream and single-modality baselines around any registered backbone."""
import copy
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmrgbir.models.utils.freeze import FrozenBatchNormMixin
from mmrgbir.registry import MODELS


def split_rgbx(inputs: torch.Tensor, x_channels: Optional[int], who: str):
    """Split (B, 3 + Cx, H, W) into RGB (B, 3, H, W) and X (B, Cx, H, W)."""
    if inputs.dim() != 4 or inputs.shape[1] < 4:
        raise ValueError(f'{who}: expected a stacked (B, 3 + Cx, H, W) RGB-X tensor, got '
                         f'{tuple(inputs.shape)}')
    if x_channels is not None and inputs.shape[1] != 3 + x_channels:
        raise ValueError(f'{who}: expected 3 + {x_channels} channels (x_channels='
                         f'{x_channels}), got {inputs.shape[1]}; check the data '
                         f'preprocessor x_mean / the loader x_channels')
    return inputs[:, :3], inputs[:, 3:]


def match_channels(x: torch.Tensor, channels: int, who: str) -> torch.Tensor:
    """Repeat a 1-channel X to the channel count a stream expects."""
    if x.shape[1] == channels:
        return x
    if x.shape[1] == 1:
        return x.expand(-1, channels, -1, -1)
    raise ValueError(f'{who}: the X stream expects {channels} channels, the input has '
                     f'{x.shape[1]}')


def _freeze(module: nn.Module) -> None:
    for p in module.parameters():
        p.requires_grad_(False)


@MODELS.register_module()
class DualStreamBackbone(FrozenBatchNormMixin, BaseModule):
    """An RGB stream and an X stream of any registered backbone, fused per level.

    Input (B, 3 + Cx, H, W) -> the fusion neck's output, a tuple of L maps.

    Args:
        backbone: config of the RGB stream (any registered backbone returning a
            tuple of multi-level maps, e.g. mmseg ``ResNetV1c`` or ``MixVisionTransformer``).
        fusion: config of a fusion neck (``AddFusion``, ``ConcatFusion``, ``CMXFusion``
            or any module taking ``(rgb_feats, x_feats)``).
        x_backbone: config of the X stream; default: the same config as ``backbone``.
        share_weights: one backbone for both streams (``x_backbone`` must be None).
        freeze_rgb, freeze_x: freeze a stream's parameters and BatchNorm statistics.
        x_channels: X channels in the input (checked when given).
        x_stream_channels: input channels of the X stream; a 1-channel X is repeated
            to it (default: the stream config's ``in_channels``, else 3).
    """

    def __init__(self, backbone: dict, fusion: dict = dict(type='AddFusion'),
                 x_backbone: Optional[dict] = None, share_weights: bool = False,
                 freeze_rgb: bool = False, freeze_x: bool = False,
                 x_channels: Optional[int] = None,
                 x_stream_channels: Optional[int] = None, init_cfg=None) -> None:
        super().__init__(init_cfg)
        if share_weights and x_backbone is not None:
            raise ValueError('DualStreamBackbone: share_weights=True uses the RGB backbone '
                             'for both streams; do not give x_backbone')
        self.rgb_backbone = MODELS.build(copy.deepcopy(backbone))
        if share_weights:
            self.x_backbone = self.rgb_backbone
        else:
            self.x_backbone = MODELS.build(copy.deepcopy(x_backbone or backbone))
        x_cfg = backbone if share_weights or x_backbone is None else x_backbone
        self.x_stream_channels = x_stream_channels or x_cfg.get('in_channels', 3)
        self.fusion = MODELS.build(fusion)
        self.share_weights = share_weights
        self.x_channels = x_channels
        self.freeze_rgb = freeze_rgb
        self.freeze_x = freeze_x
        if freeze_rgb:
            _freeze(self.rgb_backbone)
        if freeze_x:
            _freeze(self.x_backbone)

    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        name = type(self).__name__
        rgb, x = split_rgbx(inputs, self.x_channels, name)
        x = match_channels(x, self.x_stream_channels, name)
        return self.fusion(self.rgb_backbone(rgb), self.x_backbone(x))


@MODELS.register_module()
class SingleModalityBackbone(BaseModule):
    """Baseline on one modality of the stacked input: RGB only or X only.

    Keeps the data pipeline and preprocessor of the RGB-X config, so that a
    single-modality baseline differs from the fused model in ``model.backbone`` only.

    Args:
        backbone: config of the wrapped backbone.
        modality: 'rgb' or 'x'.
        x_channels: X channels in the input (checked when given).
        in_channels: input channels of the wrapped backbone; a 1-channel X is
            repeated to it (default: the config's ``in_channels``, else 3).
    """

    def __init__(self, backbone: dict, modality: str = 'rgb',
                 x_channels: Optional[int] = None, in_channels: Optional[int] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        if modality not in ('rgb', 'x'):
            raise ValueError(f"modality must be 'rgb' or 'x', got {modality!r}")
        self.modality = modality
        self.x_channels = x_channels
        self.in_channels = in_channels or backbone.get('in_channels', 3)
        self.backbone = MODELS.build(copy.deepcopy(backbone))

    def forward(self, inputs: torch.Tensor):
        name = type(self).__name__
        rgb, x = split_rgbx(inputs, self.x_channels, name)
        if self.modality == 'rgb':
            return self.backbone(rgb)
        return self.backbone(match_channels(x, self.in_channels, name))
