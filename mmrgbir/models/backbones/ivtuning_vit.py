# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""IV-tuning (arXiv 2412.16654) on a frozen plain ViT / EVA02 from timm.

The frozen foundation model is a timm ``VisionTransformer`` or ``Eva`` built with
``pretrained=False`` (weights come from a local file, see :func:`timm_vit_to_ours`).
Trainable parts (``trainable_patterns``):

* ``patch_embed_ir``: the patch embedding of the IR image. As in the official code it
  starts from PyTorch's default initialisation (``ir_patch_embed_init='random'``);
  ``'copy_rgb'`` copies the pretrained RGB patch embedding;
* ``initial_prompt``: MP-alpha, P0 from the RGB and IR tokens, added to the RGB
  tokens before the position embedding;
* ``attn_adapters`` / ``mlp_adapters``: MP-beta after the attention residual and after
  the MLP residual of every block. Block 0's prompt is P0, block i's prompt is the
  output tokens of block i - 1.

Outputs: the patch tokens of blocks ``out_indices`` as maps, bilinearly resized to
``out_strides`` (default blocks 7, 11, 15, 23 at strides 4, 8, 16, 32 for a 24-block
model with 16-pixel patches).

Default = the published EVA02-L: timm ``eva02_large_patch14_224`` (the MIM-pretrained
EVA02-L) rebuilt with ``patch_size=16, img_size=512`` as EVA02's dense-prediction
backbones are. It has exactly the published full-fine-tuning count (304.24 M) and
gives the published 8.90 M trainable parameters; with 14-pixel patches the IR
patch embedding is smaller and the count is 8.72 M.

Weights (``pretrained``): the EVA02 file written by
``tools/model_converters/eva2mmrgbir.py`` (from the released
``eva02_L_pt_m38m_p14to16.pt``, whose patch embedding EVA-02 resampled from 14 to 16
pixels, or from a patch-14 file, resampled the same way), or a timm-format file. An
EVA02 file with another patch size is refused (timm's resampling differs from the
one the official weights went through). The absolute position embedding is resampled
to the construction grid as the official loader does (bicubic, ``align_corners=False``,
no anti-aliasing).

Like timm's ``eva02_large_patch14_224``, the official IV-tuning EVA02 attention has no
sub-LayerNorm before its output projection (``inner_attn_ln``); the converter drops
such weights where a file has them.
"""
import copy
import functools
from typing import Dict, Optional, Sequence, Tuple, Union

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from timm.models import eva as timm_eva
from timm.models import vision_transformer as timm_vit
from torch.utils.checkpoint import checkpoint

from mmrgbir.models.adapters.ivtuning_prompts import (InitialPromptGenerator,
                                                      PromptedBlockAdapter)
from mmrgbir.models.utils.freeze import FrozenBackboneMixin
from mmrgbir.models.utils.frozen_weights import require_frozen_weights
from mmrgbir.models.utils.pretrained import load_pretrained
from mmrgbir.registry import MODELS

# Short names for the published foundation models (any timm ViT / EVA name also works).
ARCH_ALIASES: Dict[str, str] = {
    'eva02-large': 'eva02_large_patch14_224',
    'eva02-base': 'eva02_base_patch14_224',
    'vit-large': 'vit_large_patch16_224',
    'vit-base': 'vit_base_patch16_224',
}

EVA02_WEIGHTS = 'EVA02-L MIM m38m (eva02_L_pt_m38m_p14to16.pt)'
EVA02_CONVERTER = ('python tools/model_converters/eva2mmrgbir.py '
                   'eva02_L_pt_m38m_p14to16.pt checkpoints/eva02_L_pt_m38m_p16_mmrgbir.pth')

# Top-level timm modules the backbone removes (classification only).
_HEAD_MODULES = ('head', 'fc_norm', 'norm', 'attn_pool', 'lm_head', 'mask_token',
                 'head_drop')


def split_rgb_ir(inputs: torch.Tensor, x_channels: int, who: str
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
    """(B, 3 + Cx, H, W) -> RGB (B, 3, H, W), IR (B, 3, H, W) (a 1-channel IR repeated)."""
    expected = 3 + x_channels
    if inputs.dim() != 4 or inputs.shape[1] != expected:
        raise ValueError(
            f'{who}: expected a (B, {expected}, H, W) input (3 RGB channels + '
            f'x_channels={x_channels} X channels), got {tuple(inputs.shape)}')
    rgb, ir = inputs[:, :3], inputs[:, 3:]
    if x_channels == 1:
        ir = ir.expand(-1, 3, -1, -1)
    return rgb, ir


def drop_head_keys(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Drop the classification-only entries (head, final norms, MIM heads)."""
    return {k: v for k, v in state_dict.items() if k.split('.')[0] not in _HEAD_MODULES}


def reset_patch_embed_(patch_embed: nn.Module) -> None:
    """Give every layer of a patch embedding PyTorch's default initialisation (conv:
    Kaiming-uniform, LayerNorm: 1 / 0), as the official IV-tuning code leaves its IR
    patch embedding (it is not in the checkpoint it loads)."""
    for m in patch_embed.modules():
        if hasattr(m, 'reset_parameters') and list(m.parameters(recurse=False)):
            m.reset_parameters()


def resample_pos_embed_official(pos_embed: torch.Tensor, grid: Tuple[int, int],
                                num_prefix_tokens: int) -> torch.Tensor:
    """Resample a square absolute position embedding (1, P + S * S, C) to ``grid`` as
    the official EVA02 / BEiT loader does: bicubic, ``align_corners=False``, no
    anti-aliasing (timm's ``resample_abs_pos_embed`` anti-aliases)."""
    prefix, tokens = pos_embed[:, :num_prefix_tokens], pos_embed[:, num_prefix_tokens:]
    side = int(round(tokens.shape[1] ** 0.5))
    if side * side != tokens.shape[1]:
        raise ValueError(f'position embedding with {tokens.shape[1]} patch tokens is not '
                         f'a square grid')
    if (side, side) == tuple(grid):
        return pos_embed
    C = tokens.shape[-1]
    tokens = tokens.reshape(1, side, side, C).permute(0, 3, 1, 2).float()
    tokens = F.interpolate(tokens, size=tuple(grid), mode='bicubic', align_corners=False)
    tokens = tokens.permute(0, 2, 3, 1).reshape(1, grid[0] * grid[1], C)
    return torch.cat([prefix, tokens.to(pos_embed.dtype)], dim=1)


def timm_vit_to_ours(state_dict: Dict[str, torch.Tensor], model: nn.Module
                     ) -> Dict[str, torch.Tensor]:
    """Map a timm ViT / EVA checkpoint (or an original EVA02 one) to ``model``'s names.

    ``model`` is the backbone's frozen timm model (``IVTuningViT.vit``); timm's own
    ``checkpoint_filter_fn`` renames original EVA02 keys (``q_proj``, ``mlp.w1`` ...).
    For EVA models the absolute position embedding is first resampled to the model's
    grid the official way (:func:`resample_pos_embed_official`), and a patch
    embedding of another size is refused (convert it with
    ``tools/model_converters/eva2mmrgbir.py``). The classification head and final
    norms are dropped (the backbone outputs intermediate blocks).
    """
    if isinstance(model, timm_eva.Eva):
        state_dict = dict(state_dict)
        for key in ('state_dict', 'model', 'module'):
            if isinstance(state_dict.get(key), dict):
                state_dict = dict(state_dict[key])
        w = state_dict.get('patch_embed.proj.weight')
        own = model.patch_embed.proj.weight
        if w is not None and tuple(w.shape[-2:]) != tuple(own.shape[-2:]):
            raise ValueError(
                f'EVA checkpoint with {tuple(w.shape[-2:])} patches for a model with '
                f'{tuple(own.shape[-2:])} patches: convert it first with '
                f'`{EVA02_CONVERTER}` (it resamples the patch embedding as EVA-02 did '
                f'for its p14to16 release)')
        pe = state_dict.get('pos_embed')
        if pe is not None and model.pos_embed is not None and pe.shape != model.pos_embed.shape:
            state_dict['pos_embed'] = resample_pos_embed_official(
                pe, model.patch_embed.grid_size, model.num_prefix_tokens)
        state_dict = timm_eva.checkpoint_filter_fn(state_dict, model)
    else:
        state_dict = timm_vit.checkpoint_filter_fn(state_dict, model)
    return drop_head_keys(state_dict)


def _attn_residual(block: nn.Module, x: torch.Tensor, rope: Optional[torch.Tensor]
                   ) -> torch.Tensor:
    """The attention half of a frozen pre-norm block (timm ``Block`` / ``EvaBlock``)."""
    if isinstance(block, timm_eva.EvaBlock):
        y = block.attn(block.norm1(x), rope=rope)
        if block.gamma_1 is not None:
            y = block.gamma_1 * y
        return x + block.drop_path1(y)
    return x + block.drop_path1(block.ls1(block.attn(block.norm1(x))))


def _mlp_residual(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The MLP half of a frozen pre-norm block (timm ``Block`` / ``EvaBlock``)."""
    if isinstance(block, timm_eva.EvaBlock):
        y = block.mlp(block.norm2(x))
        if block.gamma_2 is not None:
            y = block.gamma_2 * y
        return x + block.drop_path2(y)
    return x + block.drop_path2(block.ls2(block.mlp(block.norm2(x))))


@MODELS.register_module()
class IVTuningViT(FrozenBackboneMixin, BaseModule):
    """IV-tuning on a frozen timm ViT / EVA02.

    Input (B, 3 + x_channels, H, W): normalised RGB then X (IR); output a tuple of
    ``len(out_indices)`` maps (B, C, H / s, W / s) for ``s`` in ``out_strides``
    (exactly ``grid * patch // s`` per side).

    Args:
        model_name: timm model name (``VisionTransformer`` or ``Eva`` with pre-norm
            blocks) or a key of ``ARCH_ALIASES``; built with ``pretrained=False``.
        img_size: the construction size: sets the absolute position-embedding grid
            (resampled on the fly for other input sizes). None: timm's default.
        patch_size: patch size. None: timm's default.
        x_channels: channels of X in the input (1 or 3); 1 is repeated to 3.
        out_indices: blocks whose output tokens are returned.
        out_strides: output stride per returned block (one per ``out_indices``).
        adapter_dim: bottleneck of the MP-beta feature adapter (64).
        prompt_dim: bottleneck of MP-alpha and the MP-beta prompt adapter (8).
        sfe_ratio: r of the Split-Fuse Enhancer (4).
        adapter_dropout: dropout in the feature adapter (0.1).
        simam_lambda: lambda of SimAM (1e-4).
        ir_patch_embed_init: ``'random'`` (PyTorch's default initialisation, as the
            official code) or ``'copy_rgb'`` (a copy of the pretrained RGB one).
        with_cp: gradient checkpointing per block (the frozen block and its adapters);
            the recomputation updates the adapters' BatchNorm statistics a second time.
        pretrained: local checkpoint of the foundation model (see the module
            docstring), loaded in ``init_weights`` with every frozen tensor required;
            required unless ``allow_random_frozen``.
        allow_random_frozen: ``True`` lets the frozen model stay random (tests, tiny
            configs); ``'checkpoint'``: a complete checkpoint loaded later supplies it.
        trainable: override of ``trainable_patterns`` (parameter-name regexes).
        **timm_kwargs: forwarded to ``timm.create_model`` (e.g. ``embed_dim=64,
            depth=4, num_heads=2`` for a tiny model, ``drop_path_rate``).
    """

    trainable_patterns = (r'patch_embed_ir\..+', r'initial_prompt\..+',
                          r'attn_adapters\..+', r'mlp_adapters\..+')

    def __init__(self,
                 model_name: str = 'eva02_large_patch14_224',
                 img_size: Optional[int] = 512,
                 patch_size: Optional[int] = 16,
                 x_channels: int = 1,
                 out_indices: Sequence[int] = (7, 11, 15, 23),
                 out_strides: Sequence[int] = (4, 8, 16, 32),
                 adapter_dim: int = 64,
                 prompt_dim: int = 8,
                 sfe_ratio: int = 4,
                 adapter_dropout: float = 0.1,
                 simam_lambda: float = 1e-4,
                 ir_patch_embed_init: str = 'random',
                 with_cp: bool = False,
                 pretrained: Optional[str] = None,
                 allow_random_frozen: Union[bool, str] = False,
                 trainable: Optional[Sequence[str]] = None,
                 init_cfg: Optional[dict] = None,
                 **timm_kwargs) -> None:
        super().__init__(init_cfg=None)
        name = ARCH_ALIASES.get(model_name, model_name)
        require_frozen_weights(
            type(self).__name__, pretrained, allow_random_frozen,
            weights=EVA02_WEIGHTS if 'eva02' in name else f'timm {name}',
            converter=EVA02_CONVERTER if 'eva' in name else
            'a timm-format checkpoint (no conversion needed)')
        self.allow_random_frozen = allow_random_frozen
        if ir_patch_embed_init not in ('random', 'copy_rgb'):
            raise ValueError(f"IVTuningViT: ir_patch_embed_init must be 'random' or "
                             f"'copy_rgb', got {ir_patch_embed_init!r}")
        self.ir_patch_embed_init = ir_patch_embed_init
        if init_cfg is not None:
            raise ValueError('IVTuningViT: use `pretrained` (foundation-model weights) '
                             'or the runner\'s `load_from` (a whole model), not init_cfg')
        if x_channels not in (1, 3):
            raise ValueError(f'IVTuningViT: x_channels must be 1 or 3, got {x_channels}')
        if len(out_indices) != len(out_strides):
            raise ValueError(f'IVTuningViT: {len(out_indices)} out_indices but '
                             f'{len(out_strides)} out_strides')
        self.model_name = ARCH_ALIASES.get(model_name, model_name)
        self.x_channels = x_channels
        self.pretrained = pretrained
        self.with_cp = with_cp
        self._trainable_override = trainable

        build_kwargs = dict(timm_kwargs)
        if img_size is not None:
            build_kwargs['img_size'] = img_size
        if patch_size is not None:
            build_kwargs['patch_size'] = patch_size
        # any input size: the position embedding (and EVA's RoPE) follow the grid
        build_kwargs['dynamic_img_size'] = True
        vit = timm.create_model(self.model_name, pretrained=False, num_classes=0,
                                **build_kwargs)
        if not isinstance(vit, (timm_eva.Eva, timm_vit.VisionTransformer)):
            raise TypeError(f'IVTuningViT: {self.model_name} is a {type(vit).__name__}, '
                            f'not a timm VisionTransformer / Eva')
        for i, blk in enumerate(vit.blocks):
            if type(blk) not in (timm_eva.EvaBlock, timm_vit.Block):
                raise TypeError(f'IVTuningViT: block {i} of {self.model_name} is a '
                                f'{type(blk).__name__}; only pre-norm timm Block / '
                                f'EvaBlock can take the adapters')
        if getattr(vit, 'rope_mixed', False):
            raise NotImplementedError('IVTuningViT: depth-dependent (mixed) RoPE is not '
                                      'supported')
        if getattr(vit, 'patch_drop', None) is not None and \
                not isinstance(vit.patch_drop, nn.Identity):
            raise ValueError('IVTuningViT: patch dropout cannot be used for dense outputs')
        # classification-only parts are never used: remove them
        for name in _HEAD_MODULES:
            if isinstance(getattr(vit, name, None), nn.Module):
                setattr(vit, name, nn.Identity())
        self.vit = vit

        depth = len(vit.blocks)
        self.out_indices = tuple(int(i) for i in out_indices)
        self.out_strides = tuple(int(s) for s in out_strides)
        if any(not 0 <= i < depth for i in self.out_indices) or \
                list(self.out_indices) != sorted(set(self.out_indices)):
            raise ValueError(f'IVTuningViT: out_indices {self.out_indices} must be '
                             f'increasing block indices of a {depth}-block model')
        # blocks after the last output do not change the outputs: they stay frozen and
        # unused, and get no adapters (no trainable parameter without gradient)
        self.num_run_blocks = self.out_indices[-1] + 1

        dim = vit.embed_dim
        self.embed_dim = dim
        self.out_channels = [dim] * len(self.out_indices)
        self.patch_size = tuple(vit.patch_embed.patch_size)
        self.patch_embed_ir = copy.deepcopy(vit.patch_embed)
        if ir_patch_embed_init == 'random':
            reset_patch_embed_(self.patch_embed_ir)
        self.initial_prompt = InitialPromptGenerator(dim, prompt_dim, sfe_ratio, simam_lambda)
        adapter = functools.partial(PromptedBlockAdapter, dim, adapter_dim, prompt_dim,
                                    sfe_ratio, adapter_dropout, simam_lambda)
        self.attn_adapters = nn.ModuleList(adapter() for _ in range(self.num_run_blocks))
        self.mlp_adapters = nn.ModuleList(adapter() for _ in range(self.num_run_blocks))
        self._init_trainable(trainable)

    def init_weights(self) -> None:
        """Load the foundation model from ``pretrained`` (every frozen tensor
        required); with ``ir_patch_embed_init='copy_rgb'`` copy its patch embedding
        into the IR one. The adapters keep their own initialisation."""
        if self.pretrained is not None:
            load_pretrained(self, self.pretrained,
                            key_map=functools.partial(timm_vit_to_ours, model=self.vit),
                            prefix='vit.', strict=True)
            if self.ir_patch_embed_init == 'copy_rgb':
                self.patch_embed_ir.load_state_dict(self.vit.patch_embed.state_dict())
            self._init_trainable(self._trainable_override)
        self._is_init = True

    def _embed(self, tokens: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """(B, H, W, C) patch tokens -> (B, prefix + H * W, C) with positions, RoPE."""
        out = self.vit._pos_embed(tokens)
        x, rope = out if isinstance(out, tuple) else (out, None)
        return self.vit.norm_pre(x), rope

    def _block(self, i: int, x: torch.Tensor, prompt: torch.Tensor,
               rope: Optional[torch.Tensor], hw_shape: Tuple[int, int]) -> torch.Tensor:
        """Frozen block i with MP-beta after its attention and after its MLP."""
        blk = self.vit.blocks[i]
        n = self.vit.num_prefix_tokens
        x = _attn_residual(blk, x, rope)
        x = torch.cat([x[:, :n], self.attn_adapters[i](x[:, n:], prompt, hw_shape)], dim=1)
        x = _mlp_residual(blk, x)
        x = torch.cat([x[:, :n], self.mlp_adapters[i](x[:, n:], prompt, hw_shape)], dim=1)
        return x

    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        rgb, ir = split_rgb_ir(inputs, self.x_channels, type(self).__name__)
        rgb = self.vit.patch_embed(rgb)  # (B, Hp, Wp, C) (dynamic_img_size: NHWC)
        ir = self.patch_embed_ir(ir)
        B, Hp, Wp, C = rgb.shape
        hw_shape = (Hp, Wp)
        rgb = rgb.reshape(B, Hp * Wp, C)
        prompt = self.initial_prompt(rgb, ir.reshape(B, Hp * Wp, C), hw_shape)
        x, rope = self._embed((rgb + prompt).reshape(B, Hp, Wp, C))
        n = self.vit.num_prefix_tokens

        maps = []
        for i in range(self.num_run_blocks):
            if self.with_cp and x.requires_grad:
                x = checkpoint(self._block, i, x, prompt, rope, hw_shape, use_reentrant=False)
            else:
                x = self._block(i, x, prompt, rope, hw_shape)
            prompt = x[:, n:]  # the next block's prompt is this block's output
            if i in self.out_indices:
                # row-major tokens -> (B, C, Hp, Wp): reshape as (h, w), never (w, h)
                maps.append(prompt.reshape(B, Hp, Wp, C).permute(0, 3, 1, 2).contiguous())

        outs = []
        for feat, stride in zip(maps, self.out_strides):
            size = (max(Hp * self.patch_size[0] // stride, 1),
                    max(Wp * self.patch_size[1] // stride, 1))
            if size != (Hp, Wp):
                feat = F.interpolate(feat, size=size, mode='bilinear', align_corners=False)
            outs.append(feat)
        return tuple(outs)


__all__ = ['IVTuningViT', 'timm_vit_to_ours', 'split_rgb_ir', 'drop_head_keys',
           'ARCH_ALIASES', 'reset_patch_embed_', 'resample_pos_embed_official']
