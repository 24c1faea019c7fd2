# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""DPLNet's decode head: NVIDIA's SegFormer MLP head with a 150-way classifier and a
1x1 projection to the dataset's classes.

DPLNet (arXiv 2312.00360) decodes with the head of NVIDIA's SegFormer code, sized for
ADE20K, and maps its 150 logits to the dataset's classes with one more 1x1 conv::

    e_i = Linear_i(c_i)                      per level, (B, C_i, H_i, W_i) -> (B, D, H_i, W_i)
    e_i <- bilinear resize to (H_1, W_1)     levels 2..4
    f   = ReLU(BN(Conv1x1_{4D -> D}([e_4, e_3, e_2, e_1])))   note the order: deepest first
    z   = Conv1x1_{D -> 150}(Dropout2d_0.5(f))
    y   = Conv1x1_{150 -> K}(z)

It differs from mmseg's ``SegformerHead`` in three places that change the weights:
a plain ``nn.Linear`` per level (mmseg: 1x1 conv + BN + ReLU), the concatenation order
(mmseg: shallowest first) and the extra 150 -> K projection (published: ``K = 41`` on
NYUDv2, i.e. 40 classes and the void label as class 0). The head is registered under
its own name so that official checkpoints convert one to one
(``tools/model_converters/dplnet2mmrgbir.py``).

The official code applies the 150 -> K conv after upsampling the 150 logits 4x; a 1x1
conv commutes with bilinear resizing (whose weights sum to one), so here it runs at
1/4 resolution and mmseg resizes the K logits: same result up to float rounding, 10x
less memory for the last layer.
"""
from typing import List, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize

from mmrgbir.registry import MODELS


@MODELS.register_module()
class DPLNetHead(BaseDecodeHead):
    """NVIDIA SegFormer MLP head + 150 -> K projection, as DPLNet decodes.

    Args:
        pretrain_classes: width of the intermediate classifier (150: ADE20K, as
            published); ``conv_seg`` is this classifier, preceded by the dropout.
        extra_void_class: add one output channel for the void label, as the official
            NYUDv2 run does (it predicts 41 = 40 classes + void, the void class weighted
            0 in the loss). With mmseg labels (void = ``ignore_index``, classes
            ``0..K-1``) the void channel is the **last** one (index ``num_classes``):
            it takes part in the softmax of the training loss and is dropped from the
            predictions, so metrics and test-time augmentation see ``num_classes``
            channels.
        **kwargs: :class:`mmseg.models.decode_heads.decode_head.BaseDecodeHead`
            arguments; ``channels`` is the embedding width ``D`` (768 in SegFormer-B5),
            ``dropout_ratio`` the Dropout2d probability (0.5, as published),
            ``norm_cfg`` the fusion norm (BN). ``init_cfg`` defaults to ``None``
            (PyTorch's initialisation of every layer, as in the official code).

    Shapes: ``forward([c_1 .. c_4])`` with ``c_i`` of ``(B, in_channels[i], H_i, W_i)``
    returns ``(B, num_classes + extra_void_class, H_1, W_1)``.
    """

    def __init__(self, pretrain_classes: int = 150, extra_void_class: bool = False,
                 init_cfg=None, **kwargs):
        super().__init__(input_transform='multiple_select', init_cfg=init_cfg, **kwargs)
        if pretrain_classes < 1:
            raise ValueError(f'DPLNetHead: pretrain_classes must be positive, got '
                             f'{pretrain_classes}')
        self.pretrain_classes = pretrain_classes
        self.extra_void_class = bool(extra_void_class)
        self.linear_layers = nn.ModuleList(
            nn.Linear(c, self.channels) for c in self.in_channels)
        self.fusion_conv = ConvModule(
            self.channels * len(self.in_channels), self.channels, kernel_size=1,
            norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        # BaseDecodeHead built conv_seg with num_classes outputs: here it is the
        # intermediate (ADE20K-sized) classifier, then the projection to the classes
        self.conv_seg = nn.Conv2d(self.channels, pretrain_classes, kernel_size=1)
        self.class_proj = nn.Conv2d(pretrain_classes,
                                    self.out_channels + int(self.extra_void_class),
                                    kernel_size=1)

    def _embed(self, layer: nn.Linear, x: torch.Tensor) -> torch.Tensor:
        """Per-pixel Linear: ``(B, C, H, W) -> (B, D, H, W)``."""
        return layer(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        feats: List[torch.Tensor] = self._transform_inputs(inputs)
        size = feats[0].shape[2:]
        embedded = []
        for layer, x in zip(self.linear_layers, feats):
            e = self._embed(layer, x)
            if e.shape[2:] != size:
                e = resize(e, size=size, mode='bilinear', align_corners=self.align_corners)
            embedded.append(e)
        # deepest level first, as the official head concatenates (c4, c3, c2, c1)
        fused = self.fusion_conv(torch.cat(embedded[::-1], dim=1))
        return self.class_proj(self.cls_seg(fused))

    def predict_by_feat(self, seg_logits: torch.Tensor, batch_img_metas: List[dict]):
        """Drop the void channel (if any), then resize as mmseg does."""
        return super().predict_by_feat(seg_logits[:, :self.out_channels], batch_img_metas)


__all__ = ['DPLNetHead']
