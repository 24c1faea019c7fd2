# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Layer-wise learning-rate decay for plain-ViT backbones wrapped by an adapter.

mmdet 3.3's ``LearningRateDecayOptimizerConstructor`` knows only ConvNeXt names and
mmseg 1.2.2's ``LayerDecayOptimizerConstructor`` only ``backbone.layers.N`` (BEiT /
MAE / ConvNeXt); an adapter backbone nests its ViT (``backbone.vit.blocks.N``), so
neither finds the blocks. This constructor uses ViTDet's rule on name patterns:

* ``patch_embed`` / ``pos_embed`` / ``cls_token`` / ``mask_token`` of the backbone:
  layer 0;
* ``blocks.i`` of the backbone (at any nesting depth): layer ``i + 1``;
* everything else (adapter, neck, heads): layer ``num_layers + 1``;

and ``lr = base_lr * decay_rate ** (num_layers + 1 - layer)`` (the last block gets
``decay_rate``, the heads and the adapter the base lr). This equals detectron2's
``get_vit_lr_decay_rate`` and ViT-Adapter's ``LayerDecayOptimizerConstructor`` for
the same ``num_layers``. All other ``paramwise_cfg`` options of mmengine's
``DefaultOptimWrapperConstructor`` (``custom_keys``, ``norm_decay_mult``,
``bias_decay_mult``, ``flat_decay_mult`` ...) apply first; the layer factor then
multiplies the resulting lr. Frozen parameters are left out of the optimizer.

Config::

    optim_wrapper = dict(
        constructor='ViTLayerDecayOptimWrapperConstructor',
        optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.1),
        paramwise_cfg=dict(num_layers=12, layer_decay_rate=0.7,
                           flat_decay_mult=0.0))
"""
import re
from typing import List, Optional

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['ViTLayerDecayOptimWrapperConstructor', 'vit_layer_id']

#: the ViT's embedding parameters, at any depth under the backbone
EMBED_PATTERN = r'backbone\.(?:[\w]+\.)*?(?:patch_embed|pos_embed|cls_token|mask_token)\b'
#: a ViT block index, at any depth under the backbone
BLOCK_PATTERN = r'backbone\.(?:[\w]+\.)*?blocks\.(\d+)\.'


def vit_layer_id(name: str, num_layers: int, embed_pattern: str = EMBED_PATTERN,
                 block_pattern: str = BLOCK_PATTERN) -> int:
    """Layer index of parameter ``name`` (0: embeddings, i + 1: block i, else
    ``num_layers + 1``)."""
    if re.match(embed_pattern, name):
        return 0
    m = re.match(block_pattern, name)
    if m is not None:
        return int(m.group(1)) + 1
    return num_layers + 1


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ViTLayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` plus ViTDet-style layer-wise lr decay.

    ``paramwise_cfg`` keys read here (the rest go to the default constructor):

    * ``num_layers`` (required): depth of the ViT (12 for ViT-B);
    * ``layer_decay_rate`` (required): per-layer factor (ViTDet-B: 0.7);
    * ``embed_pattern`` / ``block_pattern``: regexes overriding
      :data:`EMBED_PATTERN` / :data:`BLOCK_PATTERN` (matched at the start of the
      full parameter name, e.g. ``backbone.vit.blocks.3.attn.rel_pos_h``).

    After building, ``self.layer_scales`` maps every optimised parameter name to its
    lr factor (for logging and tests).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        paramwise_cfg = dict(paramwise_cfg or {})
        try:
            self.num_layers = int(paramwise_cfg.pop('num_layers'))
            self.layer_decay_rate = float(paramwise_cfg.pop('layer_decay_rate'))
        except KeyError as exc:
            raise KeyError(f'ViTLayerDecayOptimWrapperConstructor needs paramwise_cfg.'
                           f'{exc.args[0]}') from exc
        self.embed_pattern = paramwise_cfg.pop('embed_pattern', EMBED_PATTERN)
        self.block_pattern = paramwise_cfg.pop('block_pattern', BLOCK_PATTERN)
        self.layer_scales = {}
        # an empty paramwise_cfg would make the parent skip add_params entirely
        paramwise_cfg.setdefault('bypass_duplicate', False)
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '',
                   is_dcn_module=None) -> None:
        if prefix:  # the parent's recursion into children
            return super().add_params(params, module, prefix, is_dcn_module)
        names = {id(p): n for n, p in module.named_parameters()}
        start = len(params)
        super().add_params(params, module, prefix, is_dcn_module)
        max_block = -1
        for group in params[start:]:
            name = names[id(group['params'][0])]
            layer = vit_layer_id(name, self.num_layers, self.embed_pattern,
                                 self.block_pattern)
            if re.match(self.block_pattern, name) and not re.match(self.embed_pattern, name):
                max_block = max(max_block, layer - 1)
            scale = self.layer_decay_rate ** (self.num_layers + 1 - layer)
            group['lr'] = group.get('lr', self.base_lr) * scale
            self.layer_scales[name] = scale
        if max_block >= self.num_layers:
            raise ValueError(f'ViTLayerDecayOptimWrapperConstructor: found block '
                             f'{max_block} but num_layers={self.num_layers}')
        print_log(f'layer-wise lr decay {self.layer_decay_rate} over {self.num_layers} '
                  f'layers: {len(self.layer_scales)} parameter tensors, lr factors '
                  f'{min(self.layer_scales.values(), default=1):.4g} .. '
                  f'{max(self.layer_scales.values(), default=1):.4g}', logger='current')
