# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""IV-tuning (arXiv 2412.16654) on a frozen Swin Transformer from timm.

The frozen foundation model is a timm ``SwinTransformer`` built with
``pretrained=False`` (weights from a local timm-format or original Microsoft-format
file, see :func:`timm_swin_to_ours`). Trainable parts (``trainable_patterns``):

* ``patch_embed_ir``: a copy of the patch embedding (conv + LayerNorm) for the IR
  image, initialised from the pretrained one when ``pretrained`` is given;
* ``initial_prompt``: MP-alpha, P0 added to the RGB tokens after patch embedding;
* ``attn_adapters`` / ``mlp_adapters`` (indexed ``[stage][block]``): MP-beta after the
  attention residual and after the MLP residual of every block. All blocks of a stage
  share one prompt: P0 for stage 0, the stage input (the tokens after patch merging)
  for the later stages.

Outputs: the 4 stage maps (B, C_i, H / 4 .. H / 32), each normalised by a
parameter-free LayerNorm (``out_norm``; the published detector's per-output norms are
frozen at weight 1, bias 0, i.e. the same function).

Default = Swin-L: timm ``swin_large_patch4_window12_384`` (window 12, the ImageNet-22k
384 weights that the published DINO / Co-DINO Swin-L detectors and the SOD models
start from). The window size does not change the trainable count (6.06 M, as
published); it only changes the frozen relative-position tables.
"""
import copy
import functools
from typing import Dict, Optional, Sequence, Tuple

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from timm.models import swin_transformer as timm_swin
from torch.utils.checkpoint import checkpoint

from mmrgbir.models.adapters.ivtuning_prompts import (InitialPromptGenerator,
                                                      PromptedBlockAdapter)
from mmrgbir.models.backbones.ivtuning_vit import split_rgb_ir
from mmrgbir.models.utils.freeze import FrozenBackboneMixin
from mmrgbir.models.utils.pretrained import load_pretrained
from mmrgbir.registry import MODELS

ARCH_ALIASES: Dict[str, str] = {
    'swin-large': 'swin_large_patch4_window12_384',
    'swin-base': 'swin_base_patch4_window12_384',
    'swin-tiny': 'swin_tiny_patch4_window7_224',
}

_HEAD_MODULES = ('head', 'norm')


def timm_swin_to_ours(state_dict: Dict[str, torch.Tensor], model: nn.Module
                      ) -> Dict[str, torch.Tensor]:
    """Map a timm Swin checkpoint (or an original Microsoft one) to ``model``'s names.

    ``model`` is the backbone's frozen timm model (``IVTuningSwin.swin``). timm's
    ``checkpoint_filter_fn`` moves the Microsoft ``layers.i.downsample`` (end of stage)
    to timm's ``layers.i+1.downsample`` (start of stage), drops the buffers and
    resizes relative-position tables to the model's windows. The classification head
    and the final norm are dropped.
    """
    state_dict = timm_swin.checkpoint_filter_fn(state_dict, model)
    return {k: v for k, v in state_dict.items() if k.split('.')[0] not in _HEAD_MODULES}


@MODELS.register_module()
class IVTuningSwin(FrozenBackboneMixin, BaseModule):
    """IV-tuning on a frozen timm Swin Transformer.

    Input (B, 3 + x_channels, H, W): normalised RGB then X (IR); output a tuple of
    maps (B, C_i, ceil(H / 2^(i+2)), ...) for the stages in ``out_indices``.

    Args:
        model_name: timm Swin name or a key of ``ARCH_ALIASES``; ``pretrained=False``.
        img_size: construction size: fixes the window sizes of stages whose grid is
            smaller than the window (timm's rule); any input size runs. None: timm's.
        x_channels: channels of X in the input (1 or 3); 1 is repeated to 3.
        out_indices: stages whose outputs are returned.
        out_norm: parameter-free LayerNorm on each output map.
        adapter_dim, prompt_dim, sfe_ratio, adapter_dropout, simam_lambda: MP-alpha /
            MP-beta sizes (published: 64, 8, 4, 0.1, 1e-4).
        with_cp: gradient checkpointing per block (the frozen block and its adapters);
            the recomputation updates the adapters' BatchNorm statistics a second time.
        pretrained: local timm / Microsoft Swin checkpoint, loaded in ``init_weights``.
        trainable: override of ``trainable_patterns``.
        **timm_kwargs: forwarded to ``timm.create_model`` (e.g. ``embed_dim=32,
            depths=(1, 1, 2, 1), num_heads=(1, 2, 4, 8), window_size=4``,
            ``drop_path_rate``).
    """

    trainable_patterns = (r'patch_embed_ir\..+', r'initial_prompt\..+',
                          r'attn_adapters\..+', r'mlp_adapters\..+')

    def __init__(self,
                 model_name: str = 'swin_large_patch4_window12_384',
                 img_size: Optional[int] = 384,
                 x_channels: int = 1,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 out_norm: bool = True,
                 adapter_dim: int = 64,
                 prompt_dim: int = 8,
                 sfe_ratio: int = 4,
                 adapter_dropout: float = 0.1,
                 simam_lambda: float = 1e-4,
                 with_cp: bool = False,
                 pretrained: Optional[str] = None,
                 trainable: Optional[Sequence[str]] = None,
                 init_cfg: Optional[dict] = None,
                 **timm_kwargs) -> None:
        super().__init__(init_cfg=None)
        if init_cfg is not None:
            raise ValueError('IVTuningSwin: use `pretrained` (foundation-model weights) '
                             'or the runner\'s `load_from` (a whole model), not init_cfg')
        if x_channels not in (1, 3):
            raise ValueError(f'IVTuningSwin: x_channels must be 1 or 3, got {x_channels}')
        self.model_name = ARCH_ALIASES.get(model_name, model_name)
        self.x_channels = x_channels
        self.out_norm = out_norm
        self.pretrained = pretrained
        self.with_cp = with_cp
        self._trainable_override = trainable

        build_kwargs = dict(timm_kwargs)
        if img_size is not None:
            build_kwargs['img_size'] = img_size
        # any input size: attention masks are built for each input's grid
        build_kwargs['dynamic_img_size'] = True
        swin = timm.create_model(self.model_name, pretrained=False, num_classes=0,
                                 **build_kwargs)
        if not isinstance(swin, timm_swin.SwinTransformer):
            raise TypeError(f'IVTuningSwin: {self.model_name} is a {type(swin).__name__}, '
                            f'not a timm SwinTransformer')
        for name in _HEAD_MODULES:
            setattr(swin, name, nn.Identity())
        self.swin = swin

        num_stages = len(swin.layers)
        self.out_indices = tuple(int(i) for i in out_indices)
        if any(not 0 <= i < num_stages for i in self.out_indices) or \
                list(self.out_indices) != sorted(set(self.out_indices)):
            raise ValueError(f'IVTuningSwin: out_indices {self.out_indices} must be '
                             f'increasing stage indices of a {num_stages}-stage model')
        # stages after the last output stay frozen and unused, without adapters
        self.num_run_stages = self.out_indices[-1] + 1
        dims = [stage.blocks[0].dim for stage in swin.layers]
        self.out_channels = [dims[i] for i in self.out_indices]

        self.patch_embed_ir = copy.deepcopy(swin.patch_embed)
        self.initial_prompt = InitialPromptGenerator(dims[0], prompt_dim, sfe_ratio,
                                                     simam_lambda)

        def stage_adapters(s: int) -> nn.ModuleList:
            return nn.ModuleList(
                PromptedBlockAdapter(dims[s], adapter_dim, prompt_dim, sfe_ratio,
                                     adapter_dropout, simam_lambda)
                for _ in swin.layers[s].blocks)

        self.attn_adapters = nn.ModuleList(stage_adapters(s)
                                           for s in range(self.num_run_stages))
        self.mlp_adapters = nn.ModuleList(stage_adapters(s)
                                          for s in range(self.num_run_stages))
        self._init_trainable(trainable)

    def init_weights(self) -> None:
        """Load the foundation model from ``pretrained`` and copy its patch embedding
        into the IR patch embedding. The adapters keep their own initialisation."""
        if self.pretrained is not None:
            load_pretrained(self, self.pretrained,
                            key_map=functools.partial(timm_swin_to_ours, model=self.swin),
                            prefix='swin.')
            self.patch_embed_ir.load_state_dict(self.swin.patch_embed.state_dict())
            self._init_trainable(self._trainable_override)
        self._is_init = True

    def _block(self, s: int, j: int, x: torch.Tensor, prompt: torch.Tensor) -> torch.Tensor:
        """Frozen block j of stage s with MP-beta after its attention and its MLP.

        x: (B, H, W, C) -> (B, H, W, C); prompt: (B, H * W, C).
        """
        blk = self.swin.layers[s].blocks[j]
        B, H, W, C = x.shape
        x = x + blk.drop_path1(blk._attn(blk.norm1(x)))
        x = self.attn_adapters[s][j](x.reshape(B, H * W, C), prompt, (H, W))
        x = x + blk.drop_path2(blk.mlp(blk.norm2(x)))
        x = self.mlp_adapters[s][j](x, prompt, (H, W))
        return x.reshape(B, H, W, C)

    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        rgb, ir = split_rgb_ir(inputs, self.x_channels, type(self).__name__)
        rgb = self.swin.patch_embed(rgb)  # (B, H/4, W/4, C) with its LayerNorm
        ir = self.patch_embed_ir(ir)
        B, H, W, C = rgb.shape
        prompt = self.initial_prompt(rgb.reshape(B, H * W, C), ir.reshape(B, H * W, C),
                                     (H, W))
        x = rgb + prompt.reshape(B, H, W, C)

        outs = []
        for s in range(self.num_run_stages):
            stage = self.swin.layers[s]
            x = stage.downsample(x)  # identity for stage 0, patch merging after
            B, H, W, C = x.shape
            if s > 0:  # the stage input is the prompt of all the stage's blocks
                prompt = x.reshape(B, H * W, C)
            for j in range(len(stage.blocks)):
                if self.with_cp and x.requires_grad:
                    x = checkpoint(self._block, s, j, x, prompt, use_reentrant=False)
                else:
                    x = self._block(s, j, x, prompt)
            if s in self.out_indices:
                out = F.layer_norm(x, (C,)) if self.out_norm else x
                outs.append(out.permute(0, 3, 1, 2).contiguous())
        return tuple(outs)


__all__ = ['IVTuningSwin', 'timm_swin_to_ours', 'ARCH_ALIASES']
