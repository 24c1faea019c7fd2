# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""CMNeXt-style fusion of an RGB stream with any number of auxiliary streams.

CMNeXt (Zhang et al., "Delivering Arbitrary-Modal Semantic Segmentation", CVPR 2023)
keeps RGB as the main branch and collects the auxiliary modalities in a *self-query
hub*: each auxiliary feature map scores itself per pixel, the scores are normalised
across modalities, and the hub is their weighted sum, so a missing or uninformative
modality is down-weighted per pixel. The hub is then mixed spatially and fused with
RGB by the CMX modules (rectification + attention fusion).

Re-implemented from the paper's description; the hub's mixer here is a depth-wise
3x3 + point-wise conv with residual (the paper's parallel pooling mixer uses pooling
kernels of several sizes).
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmrgbir.registry import MODELS
from .fusion import CMXFusion, Feats, _check_streams


class SelfQueryHub(nn.Module):
    """Per-pixel softmax-weighted sum of K auxiliary maps, then a light mixer.

    (B, C, H, W) x K -> (B, C, H, W).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.score = nn.Conv2d(channels, 1, 1)
        self.mix = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, groups=channels),
            nn.GELU(), nn.Conv2d(channels, channels, 1))

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        stacked = torch.stack(list(feats), dim=1)                     # (B, K, C, H, W)
        b, k, c, h, w = stacked.shape
        scores = self.score(stacked.flatten(0, 1)).view(b, k, 1, h, w)
        hub = (scores.softmax(dim=1) * stacked).sum(dim=1)           # (B, C, H, W)
        return hub + self.mix(hub)


@MODELS.register_module()
class CMNeXtFusion(CMXFusion):
    """RGB + K auxiliary streams -> one map per level.

    ``forward(rgb_feats, aux1_feats, ..., auxK_feats)``: each a sequence of L maps
    (B, C_l, H_l, W_l); returns L maps (B, C_l, H_l, W_l).

    Args:
        in_channels: channels of each level.
        num_heads: attention heads of the CMX fusion per level (default 1).
        reduction: channel reduction of the rectification.
    """

    def __init__(self, in_channels: Sequence[int], num_heads: Optional[Sequence[int]] = None,
                 reduction: int = 1, norm_cfg: dict = dict(type='BN'),
                 init_cfg=None) -> None:
        # CMX's rectification and attention fusion, between RGB and the hub
        super().__init__(in_channels, num_heads, reduction, norm_cfg, init_cfg)
        self.hubs = nn.ModuleList(SelfQueryHub(c) for c in self.in_channels)

    def forward(self, rgb_feats: Feats, *aux_feats: Feats) -> Tuple[torch.Tensor, ...]:
        _check_streams((rgb_feats,) + aux_feats, type(self).__name__)
        outs = []
        for lvl, (hub, rect, fuse) in enumerate(zip(self.hubs, self.rectify, self.fuse)):
            r, a = rect(rgb_feats[lvl], hub([feats[lvl] for feats in aux_feats]))
            outs.append(fuse(r, a))
        return tuple(outs)
