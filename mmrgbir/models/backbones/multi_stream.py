# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""N streams (RGB + any number of modalities) fused per level."""
import copy
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmrgbir.models.utils.freeze import FrozenBatchNormMixin
from mmrgbir.registry import MODELS
from .dual_stream import match_channels


@MODELS.register_module()
class MultiStreamBackbone(FrozenBatchNormMixin, BaseModule):
    """One stream per modality of a stacked ``[RGB | M1 | M2 | ...]`` input.

    Input (B, sum(channels), H, W), normalised (``LoadMultiModalImageFromFile`` +
    the RGB-X preprocessor with one ``x_mean`` / ``x_std`` value per channel after
    RGB) -> the fusion neck's output, a tuple of L maps. The fusion neck is called
    as ``fusion(rgb_feats, m1_feats, m2_feats, ...)`` (``CMNeXtFusion``,
    ``AddFusion``, ``ConcatFusion(num_streams=N)``).

    Args:
        backbone: config of the streams (any registered multi-level backbone).
        modalities: names of the parts in input order, RGB first, e.g.
            ``('rgb', 'thermal', 'depth')``.
        channels: channels of each part in the input, e.g. ``(3, 1, 1)``.
        fusion: config of the fusion neck.
        stream_backbones: ``{name: config}`` overriding ``backbone`` for a stream.
        share_weights: one backbone for every stream (no ``stream_backbones``).
        frozen: names of streams whose parameters and BatchNorm statistics freeze.
        stream_channels: ``{name: n}`` input channels of a stream; a 1-channel part
            is repeated to it (default: the stream config's ``in_channels``, else 3).
    """

    def __init__(self, backbone: dict, modalities: Sequence[str], channels: Sequence[int],
                 fusion: dict = dict(type='AddFusion'),
                 stream_backbones: Optional[Dict[str, dict]] = None,
                 share_weights: bool = False, frozen: Sequence[str] = (),
                 stream_channels: Optional[Dict[str, int]] = None, init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.modalities = tuple(modalities)
        self.channels = tuple(int(c) for c in channels)
        if len(self.modalities) < 2 or len(set(self.modalities)) != len(self.modalities):
            raise ValueError(f'MultiStreamBackbone: modalities must be >= 2 unique names, '
                             f'got {list(modalities)}')
        if len(self.channels) != len(self.modalities) or min(self.channels) < 1:
            raise ValueError(f'MultiStreamBackbone: channels {list(channels)} must give a '
                             f'positive count for each of {list(self.modalities)}')
        stream_backbones = dict(stream_backbones or {})
        for key, names in (('stream_backbones', stream_backbones),
                           ('frozen', frozen), ('stream_channels', stream_channels or {})):
            unknown = sorted(set(names) - set(self.modalities))
            if unknown:
                raise KeyError(f'MultiStreamBackbone: {key} names {unknown}, not in '
                               f'modalities={list(self.modalities)}')
        if share_weights and stream_backbones:
            raise ValueError('MultiStreamBackbone: share_weights=True uses one backbone '
                             'for every stream; do not give stream_backbones')
        self.share_weights = share_weights
        self.streams = nn.ModuleDict()
        shared = MODELS.build(copy.deepcopy(backbone)) if share_weights else None
        self.stream_channels = {}
        for name in self.modalities:
            cfg = stream_backbones.get(name, backbone)
            self.streams[name] = shared if share_weights else MODELS.build(copy.deepcopy(cfg))
            self.stream_channels[name] = (stream_channels or {}).get(
                name, cfg.get('in_channels', 3))
        self.fusion = MODELS.build(fusion)
        self.frozen = tuple(frozen)
        for name in self.frozen:
            for p in self.streams[name].parameters():
                p.requires_grad_(False)

    def split(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(B, sum(channels), H, W) -> one (B, C_m, H, W) tensor per modality."""
        if inputs.dim() != 4 or inputs.shape[1] != sum(self.channels):
            raise ValueError(
                f'MultiStreamBackbone: expected (B, {sum(self.channels)}, H, W) for '
                f'{dict(zip(self.modalities, self.channels))}, got {tuple(inputs.shape)}; '
                f'check the loader (LoadMultiModalImageFromFile) and x_mean / x_std')
        return torch.split(inputs, list(self.channels), dim=1)

    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        feats = []
        for name, part in zip(self.modalities, self.split(inputs)):
            part = match_channels(part, self.stream_channels[name],
                                  f'MultiStreamBackbone ({name})')
            feats.append(self.streams[name](part))
        return self.fusion(*feats)
