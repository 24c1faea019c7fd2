# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""IV-tuning (arXiv 2412.16654) on a frozen Swin Transformer from timm.

The frozen foundation model is a timm ``SwinTransformer`` built with
``pretrained=False``; its weights come from a local file (``pretrained``):

* the file written by ``tools/model_converters/swin2mmrgbir.py`` from an mmdet DINO
  COCO checkpoint (the published detection run starts from one) or any mmdet Swin
  backbone: keys ``[backbone.]swin.*`` and ``[backbone.]out_norms.*``;
* a timm-format or original Microsoft-format Swin checkpoint (ImageNet-22k, see
  :func:`timm_swin_to_ours`); these have no output norms, which then stay at weight 1,
  bias 0, as in the official runs that start from such a file.

Trainable parts (``trainable_patterns``):

* ``patch_embed_ir``: the patch embedding (conv + LayerNorm) of the IR image. As in
  the official code it starts from PyTorch's default initialisation
  (``ir_patch_embed_init='random'``); ``'copy_rgb'`` copies the pretrained RGB one;
* ``initial_prompt``: MP-alpha, P0 added to the RGB tokens after patch embedding;
* ``attn_adapters`` / ``mlp_adapters`` (indexed ``[stage][block]``): MP-beta after the
  attention residual and after the MLP residual of every block. All blocks of a stage
  share one prompt: P0 for stage 0, the stage input (the tokens after patch merging)
  for the later stages.

Outputs: the stage maps (B, C_i, H / 4 .. H / 32), each through its own affine
LayerNorm (``out_norms``, mmdet's ``norm0`` .. ``norm3``): frozen, as in the official
code (only parameters named ``*prompt*`` train there), and loaded from the DINO
checkpoint when the file has them.

Windows (``window_mode``): ``'official'`` computes the shifted-window attention as the
mmdet / Microsoft Swin of the official code does: every block keeps the configured
window and (odd blocks) shift whatever the grid, and a grid that is not a multiple
of the window is zero-padded *before* the cyclic shift. ``'timm'`` runs timm's blocks
unchanged (shift after padding; no shift in stages whose construction grid fits one
window). The two agree when every stage grid is a multiple of the window and larger
than it.

Default = Swin-L: timm ``swin_large_patch4_window12_384`` (window 12, the ImageNet-22k
384 weights that the published DINO Swin-L detector starts from). The window size
does not change the trainable count (6.06 M, as published); it only changes the
frozen relative-position tables.
"""
import copy
import functools
from typing import Dict, Optional, Sequence, Tuple, Union

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from timm.models import swin_transformer as timm_swin
from torch.utils.checkpoint import checkpoint

from mmrgbir.models.adapters.ivtuning_prompts import (InitialPromptGenerator,
                                                      PromptedBlockAdapter)
from mmrgbir.models.backbones.ivtuning_vit import reset_patch_embed_, split_rgb_ir
from mmrgbir.models.utils.freeze import FrozenBackboneMixin
from mmrgbir.models.utils.frozen_weights import require_frozen_weights
from mmrgbir.models.utils.pretrained import load_pretrained, read_state_dict
from mmrgbir.registry import MODELS

ARCH_ALIASES: Dict[str, str] = {
    'swin-large': 'swin_large_patch4_window12_384',
    'swin-base': 'swin_base_patch4_window12_384',
    'swin-tiny': 'swin_tiny_patch4_window7_224',
}

_HEAD_MODULES = ('head', 'norm')

#: what the frozen Swin-L expects, and the command that writes it (error messages)
SWIN_WEIGHTS = 'mmdet DINO 5-scale Swin-L COCO (dino-5scale_swin-l_8xb2-36e_coco)'
SWIN_CONVERTER = ('python tools/model_converters/swin2mmrgbir.py '
                  'dino-5scale_swin-l_8xb2-36e_coco-5486e051.pth '
                  'checkpoints/dino-5scale_swin-l_coco_mmrgbir.pth` or, for a timm / '
                  'Microsoft Swin-L ImageNet-22k file (no output norms), no conversion '
                  'at all: `pretrained=FILE')


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


def shift_window_mask(hw: Tuple[int, int], window: Tuple[int, int],
                      shift: Tuple[int, int], device=None, dtype=None) -> torch.Tensor:
    """Attention mask of the shifted windows on a padded (Hp, Wp) grid.

    Returns (num_windows, wh * ww, wh * ww) with 0 inside a region and -100 across
    regions (the three bands per axis of the Swin paper; Microsoft / mmdet values).
    """
    Hp, Wp = hw
    img = torch.zeros(1, Hp, Wp, 1, device=device, dtype=dtype)
    cnt = 0
    for hs in (slice(0, -window[0]), slice(-window[0], -shift[0]), slice(-shift[0], None)):
        for ws in (slice(0, -window[1]), slice(-window[1], -shift[1]),
                   slice(-shift[1], None)):
            img[:, hs, ws, :] = cnt
            cnt += 1
    win = timm_swin.window_partition(img, window).reshape(-1, window[0] * window[1])
    mask = win.unsqueeze(1) - win.unsqueeze(2)
    return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)


def padded_shifted_window_attention(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The window attention of a timm Swin block computed as mmdet / Microsoft do.

    x: (B, H, W, C) after ``norm1`` -> (B, H, W, C). The grid is zero-padded to a
    multiple of the window first, then cyclically shifted (odd blocks), partitioned,
    attended (with the shift mask of the padded grid) and shifted back.
    """
    window = tuple(block.window_size)
    shift = tuple(block.shift_size)
    B, H, W, C = x.shape
    pad_b = (window[0] - H % window[0]) % window[0]
    pad_r = (window[1] - W % window[1]) % window[1]
    x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
    Hp, Wp = H + pad_b, W + pad_r
    mask = None
    if any(shift):
        x = torch.roll(x, shifts=(-shift[0], -shift[1]), dims=(1, 2))
        mask = shift_window_mask((Hp, Wp), window, shift, x.device, x.dtype)
    windows = timm_swin.window_partition(x, window).reshape(-1, window[0] * window[1], C)
    windows = block.attn(windows, mask=mask)
    x = timm_swin.window_reverse(windows.reshape(-1, window[0], window[1], C), window,
                                 Hp, Wp)
    if any(shift):
        x = torch.roll(x, shifts=shift, dims=(1, 2))
    return x[:, :H, :W, :].contiguous()


@MODELS.register_module()
class IVTuningSwin(FrozenBackboneMixin, BaseModule):
    """IV-tuning on a frozen timm Swin Transformer.

    Input (B, 3 + x_channels, H, W): normalised RGB then X (IR); output a tuple of
    maps (B, C_i, ceil(H / 2^(i+2)), ...) for the stages in ``out_indices``.

    Args:
        model_name: timm Swin name or a key of ``ARCH_ALIASES``; ``pretrained=False``.
        img_size: construction size: in ``window_mode='timm'`` it fixes the window
            sizes of stages whose grid is smaller than the window (timm's rule); any
            input size runs. None: timm's.
        x_channels: channels of X in the input (1 or 3); 1 is repeated to 3.
        out_indices: stages whose outputs are returned.
        out_norm: an affine LayerNorm (frozen) on each output map, as mmdet's Swin.
        window_mode: ``'official'`` (mmdet / Microsoft shifted windows, see the module
            docstring) or ``'timm'``.
        ir_patch_embed_init: ``'random'`` (PyTorch's default initialisation, as the
            official code) or ``'copy_rgb'`` (a copy of the pretrained RGB patch
            embedding).
        adapter_dim, prompt_dim, sfe_ratio, adapter_dropout, simam_lambda: MP-alpha /
            MP-beta sizes (published: 64, 8, 4, 0.1, 1e-4).
        with_cp: gradient checkpointing per block (the frozen block and its adapters);
            the recomputation updates the adapters' BatchNorm statistics a second time.
        pretrained: local file of the frozen Swin (see the module docstring), loaded in
            ``init_weights``; required unless ``allow_random_frozen``.
        allow_random_frozen: ``True`` lets the frozen Swin stay random (tests, tiny
            configs); ``'checkpoint'``: a complete checkpoint loaded later supplies it.
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
                 window_mode: str = 'official',
                 ir_patch_embed_init: str = 'random',
                 adapter_dim: int = 64,
                 prompt_dim: int = 8,
                 sfe_ratio: int = 4,
                 adapter_dropout: float = 0.1,
                 simam_lambda: float = 1e-4,
                 with_cp: bool = False,
                 pretrained: Optional[str] = None,
                 allow_random_frozen: Union[bool, str] = False,
                 trainable: Optional[Sequence[str]] = None,
                 init_cfg: Optional[dict] = None,
                 **timm_kwargs) -> None:
        super().__init__(init_cfg=None)
        require_frozen_weights(type(self).__name__, pretrained, allow_random_frozen,
                               weights=SWIN_WEIGHTS, converter=SWIN_CONVERTER)
        self.allow_random_frozen = allow_random_frozen
        if init_cfg is not None:
            raise ValueError('IVTuningSwin: use `pretrained` (foundation-model weights) '
                             'or the runner\'s `load_from` (a whole model), not init_cfg')
        if x_channels not in (1, 3):
            raise ValueError(f'IVTuningSwin: x_channels must be 1 or 3, got {x_channels}')
        if window_mode not in ('official', 'timm'):
            raise ValueError(f"IVTuningSwin: window_mode must be 'official' or 'timm', "
                             f'got {window_mode!r}')
        if ir_patch_embed_init not in ('random', 'copy_rgb'):
            raise ValueError(f"IVTuningSwin: ir_patch_embed_init must be 'random' or "
                             f"'copy_rgb', got {ir_patch_embed_init!r}")
        self.model_name = ARCH_ALIASES.get(model_name, model_name)
        self.x_channels = x_channels
        self.window_mode = window_mode
        self.ir_patch_embed_init = ir_patch_embed_init
        self.pretrained = pretrained
        self.with_cp = with_cp
        self._trainable_override = trainable

        build_kwargs = dict(timm_kwargs)
        if img_size is not None:
            build_kwargs['img_size'] = img_size
        # any input size: attention masks are built for each input's grid
        build_kwargs['dynamic_img_size'] = True
        if window_mode == 'official':
            # every block keeps its window and shift (mmdet / Microsoft Swin)
            build_kwargs.setdefault('always_partition', True)
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
        # mmdet's norm{i}: LayerNorm (eps 1e-5) per output, frozen
        self.out_norms = nn.ModuleDict(
            {str(i): nn.LayerNorm(dims[i]) for i in self.out_indices}) if out_norm else None

        self.patch_embed_ir = copy.deepcopy(swin.patch_embed)
        if ir_patch_embed_init == 'random':
            reset_patch_embed_(self.patch_embed_ir)
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

    @property
    def out_norm(self) -> bool:
        return self.out_norms is not None

    def init_weights(self) -> None:
        """Load the frozen Swin (and its output norms where the file has them) from
        ``pretrained``; with ``ir_patch_embed_init='copy_rgb'`` copy the RGB patch
        embedding into the IR one. The adapters keep their own initialisation."""
        if self.pretrained is not None:
            self._load_pretrained(self.pretrained)
            if self.ir_patch_embed_init == 'copy_rgb':
                self.patch_embed_ir.load_state_dict(self.swin.patch_embed.state_dict())
            self._init_trainable(self._trainable_override)
        self._is_init = True

    def _load_pretrained(self, path: str) -> None:
        state = read_state_dict(path)
        if any(k.startswith(('backbone.stages.', 'stages.')) for k in state):
            raise KeyError(
                f'IVTuningSwin: {path} is an mmdet Swin checkpoint (keys '
                f'`[backbone.]stages.*`); convert it first: python '
                f'tools/model_converters/swin2mmrgbir.py {path} OUT.pth')
        if any(k.startswith('backbone.swin.') for k in state):
            state = {k[len('backbone.'):]: v for k, v in state.items()
                     if k.startswith('backbone.')}
        if any(k.startswith('swin.') for k in state):
            # converted file: the frozen Swin and the output norms, all required
            own = self.state_dict()
            wanted = [k for k in own if k.startswith(('swin.', 'out_norms.'))]
            missing = [k for k in wanted if k not in state]
            mismatched = [f'{k}: file {tuple(state[k].shape)} vs model '
                          f'{tuple(own[k].shape)}' for k in wanted
                          if k in state and state[k].shape != own[k].shape]
            if missing or mismatched:
                raise KeyError(
                    f'IVTuningSwin: {path} does not fit this backbone: missing '
                    f'{missing[:10]} ({len(missing)}), shape mismatch {mismatched[:5]}; '
                    f'was it converted for the same Swin (model_name, window size, '
                    f'out_indices, out_norm)?')
            self.load_state_dict({k: state[k] for k in wanted}, strict=False)
            print_log(f'IVTuningSwin: loaded {len(wanted)} frozen tensors (Swin and '
                      f'output norms) from {path}', logger='current')
            return
        # timm / Microsoft classification weights: every Swin tensor required; the
        # output norms are not in such files and stay at weight 1, bias 0
        load_pretrained(self, path,
                        key_map=functools.partial(timm_swin_to_ours, model=self.swin),
                        prefix='swin.', strict=True)

    def _block(self, s: int, j: int, x: torch.Tensor, prompt: torch.Tensor) -> torch.Tensor:
        """Frozen block j of stage s with MP-beta after its attention and its MLP.

        x: (B, H, W, C) -> (B, H, W, C); prompt: (B, H * W, C).
        """
        blk = self.swin.layers[s].blocks[j]
        B, H, W, C = x.shape
        if self.window_mode == 'official':
            attn = padded_shifted_window_attention(blk, blk.norm1(x))
        else:
            attn = blk._attn(blk.norm1(x))
        x = x + blk.drop_path1(attn)
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
                out = self.out_norms[str(s)](x) if self.out_norms is not None else x
                outs.append(out.permute(0, 3, 1, 2).contiguous())
        return tuple(outs)


__all__ = ['IVTuningSwin', 'timm_swin_to_ours', 'ARCH_ALIASES',
           'padded_shifted_window_attention', 'shift_window_mask']
