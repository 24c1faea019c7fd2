# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""DPLNet (arXiv 2312.00360, IROS 2024): a frozen SegFormer MiT adapted with dual prompts.

The RGB image runs through a frozen Mix Vision Transformer (MiT-B5 by default). Two
trainable prompt paths adapt it to RGB + X (depth or thermal):

* a :class:`MultimodalPromptGenerator` (MPG) per stage adds a prompt, computed from the
  X image (stage 1) or the previous prompt (later stages), to the tokens right after
  the frozen patch embedding;
* a :class:`MultimodalFeatureAdapter` (MFA) inside every attention (52 in B5) adds a
  prompt attention over learnable prompt tokens (30 x 32, shared by all blocks) to the
  frozen attention output.

The frozen MiT is written here (not taken from mmseg) because MFA needs the projected
query of each attention and mmseg's attention hides it inside ``nn.MultiheadAttention``.
It loads three weight formats, one key-map function each:

* NVIDIA SegFormer (``patch_embed1.proj.weight``, ``block1.0.attn.q.weight``,
  ``block1.0.attn.kv.weight``, ``block1.0.mlp.fc1.weight``, ``norm1.weight``; the
  released ``segformer.b5.640x640.ade.160k.pth`` with its ``backbone.`` prefix and the
  ImageNet ``mit_b5.pth``): :func:`nvidia_mit_to_ours`;
* mmseg 1.x ``MixVisionTransformer`` (``layers.0.0.projection.weight``,
  ``layers.0.1.0.attn.attn.in_proj_weight`` fused q/k/v, 1x1-conv FFN):
  :func:`mmseg_mit_to_ours`;
* ours (``patch_embeds.0.proj.weight``, ``stages.0.0.attn.q.weight``, optionally under
  ``backbone.``), the file that ``tools/model_converters/mit2mmrgbir.py`` writes.

Every LayerNorm has the epsilon of the official code (NVIDIA's SegFormer, which DPLNet
builds on): 1e-5 (``nn.LayerNorm``'s default) in the patch embeddings of the RGB path
and of the prompt generators and in the spatial-reduction norms of the attentions,
1e-6 (the ``norm_layer`` of ``mit_b5``) in the block norms, the stage norms and the
prompt norms of the feature adapters.

The frozen MiT never trains from its random initialisation by accident: without a
``pretrained`` file the build stops (:func:`require_frozen_weights`) unless
``allow_random_frozen`` says where else the weights come from.

The output is the 4 stage maps ``(B, C_i, H/4, W/4) ... (B, C_i, H/32, W/32)``, the
input of :class:`~mmrgbir.models.decode_heads.DPLNetHead` (the official decode head) or
of mmseg's stock ``SegformerHead``.
"""
import re
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmcv.cnn.bricks.drop import DropPath
from mmengine.model import BaseModule

from mmrgbir.models.adapters.multimodal_feature_adapter import MultimodalFeatureAdapter
from mmrgbir.models.adapters.multimodal_prompt_generator import (MultimodalPromptGenerator,
                                                                 OverlapPatchEmbed,
                                                                 tokens_to_map)
from mmrgbir.models.utils.freeze import FrozenBackboneMixin
from mmrgbir.models.utils.frozen_weights import AllowRandomFrozen, require_frozen_weights
from mmrgbir.models.utils.pretrained import load_pretrained
from mmrgbir.registry import MODELS

StateDict = Dict[str, torch.Tensor]

#: SegFormer's MiT variants (the mit_b0 ... mit_b5 of the paper); MLP ratio 4 in all.
MIT_SETTINGS = {
    'b0': dict(embed_dims=(32, 64, 160, 256), num_heads=(1, 2, 5, 8),
               depths=(2, 2, 2, 2), sr_ratios=(8, 4, 2, 1)),
    'b1': dict(embed_dims=(64, 128, 320, 512), num_heads=(1, 2, 5, 8),
               depths=(2, 2, 2, 2), sr_ratios=(8, 4, 2, 1)),
    'b2': dict(embed_dims=(64, 128, 320, 512), num_heads=(1, 2, 5, 8),
               depths=(3, 4, 6, 3), sr_ratios=(8, 4, 2, 1)),
    'b3': dict(embed_dims=(64, 128, 320, 512), num_heads=(1, 2, 5, 8),
               depths=(3, 4, 18, 3), sr_ratios=(8, 4, 2, 1)),
    'b4': dict(embed_dims=(64, 128, 320, 512), num_heads=(1, 2, 5, 8),
               depths=(3, 8, 27, 3), sr_ratios=(8, 4, 2, 1)),
    'b5': dict(embed_dims=(64, 128, 320, 512), num_heads=(1, 2, 5, 8),
               depths=(3, 6, 40, 3), sr_ratios=(8, 4, 2, 1)),
}
PATCH_SIZES = (7, 3, 3, 3)
PATCH_STRIDES = (4, 2, 2, 2)


# --------------------------------------------------------------------------------------
# The frozen MiT
# --------------------------------------------------------------------------------------
class EfficientSelfAttention(nn.Module):
    """SegFormer's efficient self-attention with separate q / kv projections.

    Keys and values come from the tokens spatially reduced by a strided conv
    (``sr_ratio``) and a LayerNorm; with ``sr_ratio == 1`` they come from the tokens.
    An optional ``feature_adapter`` (DPLNet's MFA) receives the projected query and
    its output is added to the attention output. ``sr_norm_eps`` is the epsilon of the
    spatial-reduction LayerNorm (1e-5 in the official code).

    Shapes: ``forward(x (B, N, C), hw=(H, W), prompt_tokens) -> (B, N, C)``.
    """

    def __init__(self, embed_dims: int, num_heads: int, sr_ratio: int = 1,
                 qkv_bias: bool = True, attn_drop: float = 0.0, proj_drop: float = 0.0,
                 sr_norm_eps: float = 1e-5, feature_adapter: Optional[nn.Module] = None):
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims={embed_dims} not divisible by num_heads={num_heads}')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.scale = (embed_dims // num_heads) ** -0.5
        self.sr_ratio = sr_ratio
        self.attn_drop = attn_drop
        self.q = nn.Linear(embed_dims, embed_dims, bias=qkv_bias)
        self.kv = nn.Linear(embed_dims, 2 * embed_dims, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)
        if sr_ratio > 1:
            self.sr = nn.Conv2d(embed_dims, embed_dims, kernel_size=sr_ratio, stride=sr_ratio)
            self.sr_norm = nn.LayerNorm(embed_dims, eps=sr_norm_eps)
        self.feature_adapter = feature_adapter

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (self.num_heads, -1)).transpose(1, 2)   # (B, h, L, d)

    def forward(self, x: torch.Tensor, hw: Tuple[int, int],
                prompt_tokens: Optional[torch.Tensor] = None) -> torch.Tensor:
        b, n, c = x.shape
        q = self.q(x)
        if self.sr_ratio > 1:
            kv_in = self.sr(tokens_to_map(x, hw)).flatten(2).transpose(1, 2)
            kv_in = self.sr_norm(kv_in)
        else:
            kv_in = x
        k, v = self.kv(kv_in).split(c, dim=-1)   # kv Linear rows: [keys; values]
        out = F.scaled_dot_product_attention(
            self._split_heads(q), self._split_heads(k), self._split_heads(v),
            dropout_p=self.attn_drop if self.training else 0.0, scale=self.scale)
        out = self.proj_drop(self.proj(out.transpose(1, 2).reshape(b, n, c)))
        if self.feature_adapter is not None and prompt_tokens is not None:
            out = out + self.feature_adapter(q, prompt_tokens)
        return out


class MixFFN(nn.Module):
    """SegFormer's Mix-FFN: Linear, 3x3 depthwise conv, GELU, Linear.

    Shapes: ``forward(x (B, N, C), hw=(H, W)) -> (B, N, C)``.
    """

    def __init__(self, embed_dims: int, hidden_dims: int, drop: float = 0.0):
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, hidden_dims)
        self.dwconv = nn.Conv2d(hidden_dims, hidden_dims, 3, padding=1, groups=hidden_dims)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dims, embed_dims)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor, hw: Tuple[int, int]) -> torch.Tensor:
        x = self.fc1(x)
        x = self.dwconv(tokens_to_map(x, hw)).flatten(2).transpose(1, 2)
        x = self.drop(self.act(x))
        return self.drop(self.fc2(x))


class MiTBlock(nn.Module):
    """Pre-norm transformer block of MiT: ``x + attn(LN(x))``, ``x + ffn(LN(x))``.

    ``norm_eps``: epsilon of ``norm1`` / ``norm2`` (1e-6); ``sr_norm_eps``: of the
    attention's spatial-reduction norm (1e-5).
    """

    def __init__(self, embed_dims: int, num_heads: int, sr_ratio: int, mlp_ratio: int = 4,
                 qkv_bias: bool = True, drop: float = 0.0, attn_drop: float = 0.0,
                 drop_path: float = 0.0, norm_eps: float = 1e-6, sr_norm_eps: float = 1e-5,
                 feature_adapter: Optional[nn.Module] = None):
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.attn = EfficientSelfAttention(embed_dims, num_heads, sr_ratio, qkv_bias,
                                           attn_drop, drop, sr_norm_eps, feature_adapter)
        self.norm2 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.ffn = MixFFN(embed_dims, mlp_ratio * embed_dims, drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor, hw: Tuple[int, int],
                prompt_tokens: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x), hw, prompt_tokens))
        return x + self.drop_path(self.ffn(self.norm2(x), hw))


def init_mit_weights(module: nn.Module) -> None:
    """SegFormer's random initialisation (used when no pretrained weights are given).

    Linear: truncated normal std 0.02 cut at +-2, i.e. at 100 std, the same
    distribution as a plain normal (which is several times faster on 80 M weights);
    conv: He normal on fan-out; LayerNorm: ones / zeros. The feature adapters inside
    the attentions keep their own initialisation.
    """
    if isinstance(module, MultimodalFeatureAdapter):
        return
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Conv2d):
        fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels
        nn.init.normal_(module.weight, 0.0, (2.0 / (fan_out // module.groups)) ** 0.5)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    for child in module.children():
        init_mit_weights(child)


# --------------------------------------------------------------------------------------
# Key maps: foreign checkpoint names -> ours
# --------------------------------------------------------------------------------------
def _backbone_part(state_dict: StateDict) -> StateDict:
    """Keep the backbone of a segmentor checkpoint (``backbone.`` prefix, decode heads
    dropped); a plain backbone checkpoint loses only its ImageNet classifier ``head.``."""
    if any(k.startswith('backbone.') for k in state_dict):
        return {k[len('backbone.'):]: v for k, v in state_dict.items()
                if k.startswith('backbone.')}
    return {k: v for k, v in state_dict.items() if not k.startswith('head.')}


_NVIDIA_BLOCK_RENAMES = (('attn.norm.', 'attn.sr_norm.'), ('mlp.dwconv.dwconv.', 'ffn.dwconv.'),
                         ('mlp.fc1.', 'ffn.fc1.'), ('mlp.fc2.', 'ffn.fc2.'))


def nvidia_mit_key(key: str) -> Optional[str]:
    """One NVIDIA SegFormer MiT name -> ours, ``None`` for a name of no MiT tensor.

    ``patch_embed{s}.*`` -> ``patch_embeds.{s-1}.*``; ``block{s}.{j}.*`` ->
    ``stages.{s-1}.{j}.*`` (``attn.norm`` -> ``attn.sr_norm``, ``mlp.*`` -> ``ffn.*``,
    ``mlp.dwconv.dwconv`` -> ``ffn.dwconv``); ``norm{s}.*`` -> ``stage_norms.{s-1}.*``.
    Tensors keep their layout (the NVIDIA MiT and ours are the same modules).
    """
    m = re.fullmatch(r'patch_embed(\d)\.((?:proj|norm)\.(?:weight|bias))', key)
    if m:
        return f'patch_embeds.{int(m[1]) - 1}.{m[2]}'
    m = re.fullmatch(r'block(\d)\.(\d+)\.(.+)', key)
    if m:
        rest = m[3]
        for old, new in _NVIDIA_BLOCK_RENAMES:
            if rest.startswith(old):
                rest = new + rest[len(old):]
                break
        return f'stages.{int(m[1]) - 1}.{m[2]}.{rest}'
    m = re.fullmatch(r'norm(\d)\.(weight|bias)', key)
    if m:
        return f'stage_norms.{int(m[1]) - 1}.{m[2]}'
    return None


def nvidia_mit_to_ours(state_dict: StateDict) -> StateDict:
    """NVIDIA SegFormer MiT names -> :class:`DPLNetMiT` names (tensors unchanged), by
    :func:`nvidia_mit_key`. Unknown names are passed through (and reported as
    unexpected by the loader)."""
    out = {}
    for key, value in _backbone_part(state_dict).items():
        new = nvidia_mit_key(key)
        out[key if new is None else new] = value
    return out


_MMSEG_BLOCK_RENAMES = (('attn.attn.out_proj.', 'attn.proj.'), ('attn.norm.', 'attn.sr_norm.'),
                        ('ffn.layers.0.', 'ffn.fc1.'), ('ffn.layers.1.', 'ffn.dwconv.'),
                        ('ffn.layers.4.', 'ffn.fc2.'))


Items = List[Tuple[str, torch.Tensor]]


def mmseg_mit_items(key: str, value: torch.Tensor) -> Optional[Items]:
    """One mmseg 1.x ``MixVisionTransformer`` tensor -> ``[(our name, tensor), ...]``,
    ``None`` for a name of no MiT tensor.

    ``layers.{s}.0`` (PatchEmbed: ``projection``, ``norm``) -> ``patch_embeds.{s}``
    (``proj``, ``norm``); ``layers.{s}.1.{j}`` -> ``stages.{s}.{j}`` with the fused
    ``attn.attn.in_proj_weight/bias`` (rows q, k, v) split into ``attn.q`` (rows q) and
    ``attn.kv`` (rows k, v), ``attn.attn.out_proj`` -> ``attn.proj``, ``attn.norm`` ->
    ``attn.sr_norm`` and the 1x1-conv FFN ``ffn.layers.{0,1,4}`` -> ``ffn.fc1`` (conv
    weight squeezed to Linear), ``ffn.dwconv``, ``ffn.fc2``; ``layers.{s}.2`` ->
    ``stage_norms.{s}``.
    """
    m = re.fullmatch(r'layers\.(\d+)\.0\.(projection|norm)\.(weight|bias)', key)
    if m:
        name = 'proj' if m[2] == 'projection' else 'norm'
        return [(f'patch_embeds.{m[1]}.{name}.{m[3]}', value)]
    m = re.fullmatch(r'layers\.(\d+)\.1\.(\d+)\.(.+)', key)
    if m:
        prefix, rest = f'stages.{m[1]}.{m[2]}.', m[3]
        fused = re.fullmatch(r'attn\.attn\.in_proj_(weight|bias)', rest)
        if fused:
            c = value.shape[0] // 3
            return [(f'{prefix}attn.q.{fused[1]}', value[:c].clone()),
                    (f'{prefix}attn.kv.{fused[1]}', value[c:].clone())]
        for old, new in _MMSEG_BLOCK_RENAMES:
            if rest.startswith(old):
                rest = new + rest[len(old):]
                break
        if rest in ('ffn.fc1.weight', 'ffn.fc2.weight') and value.dim() == 4:
            value = value.flatten(1)   # 1x1 conv (O, I, 1, 1) -> Linear (O, I)
        return [(prefix + rest, value)]
    m = re.fullmatch(r'layers\.(\d+)\.2\.(weight|bias)', key)
    if m:
        return [(f'stage_norms.{m[1]}.{m[2]}', value)]
    return None


def mmrgbir_mit_key(key: str) -> Optional[str]:
    """Our own names (the converter's output): unchanged; ``None`` for a name of no
    MiT tensor of :class:`DPLNetMiT` (its prompts load too when present)."""
    if re.match(r'(patch_embeds|stages|stage_norms|prompt_generators)\.\d', key) or \
            key == 'prompt_tokens':
        return key
    return None


def _single(key_fn: Callable[[str], Optional[str]]) -> Callable[[str, torch.Tensor],
                                                                Optional[Items]]:
    def items(key, value):
        new = key_fn(key)
        return None if new is None else [(new, value)]
    return items


#: per-tensor maps of each format: ``(name, tensor) -> [(our name, tensor)] or None``
MIT_ITEM_MAPS = {'nvidia': _single(nvidia_mit_key), 'mmseg': mmseg_mit_items,
                 'mmrgbir': _single(mmrgbir_mit_key)}


def _map_items(state_dict: StateDict, fmt: str) -> StateDict:
    out = {}
    for key, value in _backbone_part(state_dict).items():
        items = MIT_ITEM_MAPS[fmt](key, value)
        for new, tensor in (items if items is not None else [(key, value)]):
            out[new] = tensor
    return out


def mmseg_mit_to_ours(state_dict: StateDict) -> StateDict:
    """mmseg 1.x ``MixVisionTransformer`` names -> :class:`DPLNetMiT` names, by
    :func:`mmseg_mit_items`. Unknown names are passed through (and reported as
    unexpected by the loader)."""
    return _map_items(state_dict, 'mmseg')


def mmrgbir_mit_to_ours(state_dict: StateDict) -> StateDict:
    """Our own names (``tools/model_converters/mit2mmrgbir.py``): unchanged."""
    return _map_items(state_dict, 'mmrgbir')


MIT_KEY_MAPS = {'nvidia': nvidia_mit_to_ours, 'mmseg': mmseg_mit_to_ours,
                'mmrgbir': mmrgbir_mit_to_ours}
MIT_FORMATS = ('nvidia', 'mmseg', 'mmrgbir', 'auto')


def detect_mit_format(state_dict: StateDict) -> str:
    """``'nvidia'``, ``'mmseg'`` or ``'mmrgbir'`` from the checkpoint's names."""
    keys = list(_backbone_part(state_dict))
    if any(re.match(r'(patch_embed\d|block\d)\.', k) for k in keys):
        return 'nvidia'
    if any(re.match(r'layers\.\d+\.[012]\.', k) for k in keys):
        return 'mmseg'
    if any(re.match(r'(patch_embeds|stages)\.\d+\.', k) for k in keys):
        return 'mmrgbir'
    raise KeyError(f'unknown MiT checkpoint format (neither NVIDIA SegFormer, mmseg nor '
                   f'mmrgbir names); first names: {keys[:5]}')


def mit_to_ours(state_dict: StateDict, fmt: str = 'auto') -> StateDict:
    """Map a MiT checkpoint of format ``fmt`` (``'nvidia'``, ``'mmseg'``,
    ``'mmrgbir'``, ``'auto'``)."""
    if fmt == 'auto':
        fmt = detect_mit_format(state_dict)
    if fmt not in MIT_KEY_MAPS:
        raise ValueError(f'pretrained_format must be one of {MIT_FORMATS}; got {fmt!r}')
    return MIT_KEY_MAPS[fmt](state_dict)


def frozen_mit_keys(keys) -> List[str]:
    """The keys of the frozen MiT among ``keys`` (state-dict names of
    :class:`DPLNetMiT`): patch embeddings, blocks without their feature adapters, stage
    norms. These are what MiT / SegFormer weights must provide."""
    return [k for k in keys
            if k.startswith(('patch_embeds.', 'stages.', 'stage_norms.'))
            and '.feature_adapter.' not in k]


# --------------------------------------------------------------------------------------
# The backbone
# --------------------------------------------------------------------------------------
@MODELS.register_module()
class DPLNetMiT(FrozenBackboneMixin, BaseModule):
    """Frozen SegFormer MiT with DPLNet's prompt generators (MPG) and adapters (MFA).

    Args:
        arch: MiT variant ``'b0'`` ... ``'b5'`` (:data:`MIT_SETTINGS`); published: b5.
        embed_dims, num_heads, depths, sr_ratios: per-stage settings (4 values each)
            that override those of ``arch`` (for tiny variants and tests).
        mlp_ratio: hidden width of Mix-FFN relative to the stage width (4).
        qkv_bias: bias of the q / kv projections (True).
        x_channels: channels of the X modality in the input (1 or 3); the MPG always
            embeds 3 channels, so a 1-channel X is repeated.
        num_prompt_tokens: number of shared MFA prompt tokens (published 30).
        prompt_dim: width of the prompt tokens (published 32).
        mfa_reduction: MFA works in ``C // mfa_reduction`` channels (published 32).
        mpg_reduction: MPG fuses in ``C // mpg_reduction`` channels (published 4).
        drop_rate, attn_drop_rate: dropout rates (0).
        drop_path_rate: stochastic depth, linear over all blocks (0.1); stays active
            on the frozen blocks during training, as published.
        norm_eps: epsilon of the block norms, the stage norms and the feature
            adapters' prompt norms (1e-6, as published).
        patch_norm_eps: epsilon of the patch-embedding norms, of the RGB path and of
            the prompt generators (1e-5, as published: NVIDIA's plain
            ``nn.LayerNorm``; mmseg's MiT uses 1e-6 there).
        sr_norm_eps: epsilon of the attentions' spatial-reduction norms (1e-5, as
            published; mmseg's MiT uses 1e-6).
        out_indices: stages whose maps are returned.
        with_cp: gradient checkpointing of every block (saves memory when training).
        pretrained: local path of MiT / SegFormer weights (NVIDIA, mmseg or mmrgbir
            names), loaded by :meth:`init_weights`. Required unless
            ``allow_random_frozen`` (published: NVIDIA's
            ``segformer.b5.640x640.ade.160k.pth``; see docs/methods.md).
        pretrained_format: ``'nvidia'``, ``'mmseg'``, ``'mmrgbir'`` or ``'auto'``
            (from the names).
        allow_random_frozen: ``False`` (default): building without an existing
            ``pretrained`` file is an error; ``True``: the frozen MiT may stay random
            (tests, tiny configs, parameter counts); ``'checkpoint'``: a complete
            checkpoint loaded after the build supplies it (set by tools/train.py and
            tools/test.py, which then check the checkpoint).
        trainable: override of :attr:`trainable_patterns` (regexes on parameter names).
        init_cfg: mmengine initialisation config.

    Input ``(B, 3 + x_channels, H, W)`` (normalised RGB then X); output a tuple of
    maps ``(B, C_i, ceil(H / s_i), ceil(W / s_i))`` for ``s_i`` = 4, 8, 16, 32.
    """

    #: DPLNet trains the prompt generators, the feature adapters and the prompt tokens.
    trainable_patterns = (
        r'prompt_tokens',
        r'prompt_generators\..+',
        r'stages\.\d+\.\d+\.attn\.feature_adapter\..+',
    )

    def __init__(self,
                 arch: str = 'b5',
                 embed_dims: Optional[Sequence[int]] = None,
                 num_heads: Optional[Sequence[int]] = None,
                 depths: Optional[Sequence[int]] = None,
                 sr_ratios: Optional[Sequence[int]] = None,
                 mlp_ratio: int = 4,
                 qkv_bias: bool = True,
                 x_channels: int = 3,
                 num_prompt_tokens: int = 30,
                 prompt_dim: int = 32,
                 mfa_reduction: int = 32,
                 mpg_reduction: int = 4,
                 drop_rate: float = 0.0,
                 attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.1,
                 norm_eps: float = 1e-6,
                 patch_norm_eps: float = 1e-5,
                 sr_norm_eps: float = 1e-5,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 with_cp: bool = False,
                 pretrained: Optional[str] = None,
                 pretrained_format: str = 'auto',
                 allow_random_frozen: AllowRandomFrozen = False,
                 trainable: Optional[Sequence[str]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if pretrained is not None and not isinstance(pretrained, str):
            raise TypeError(f'pretrained must be a path or None, got {type(pretrained)}')
        # before anything is built: a frozen MiT without weights must not train
        require_frozen_weights(
            type(self).__name__, pretrained, allow_random_frozen,
            weights=f'SegFormer MiT-{arch.upper()} weights (published: NVIDIA\'s '
                    f'segformer.b5.640x640.ade.160k.pth; NVIDIA / mmseg MiT files work too)',
            converter='python tools/model_converters/mit2mmrgbir.py SRC '
                      'checkpoints/mit-b5_segformer-ade20k-640x640.pth')
        self.allow_random_frozen = allow_random_frozen
        if arch not in MIT_SETTINGS:
            raise ValueError(f'arch must be one of {sorted(MIT_SETTINGS)}, got {arch!r}')
        settings = dict(MIT_SETTINGS[arch])
        for name, value in (('embed_dims', embed_dims), ('num_heads', num_heads),
                            ('depths', depths), ('sr_ratios', sr_ratios)):
            if value is not None:
                settings[name] = tuple(value)
            if len(settings[name]) != 4:
                raise ValueError(f'{name} must have 4 values (one per stage), '
                                 f'got {settings[name]}')
        if x_channels not in (1, 3):
            raise ValueError(f'x_channels must be 1 or 3, got {x_channels}')
        if pretrained_format not in MIT_FORMATS:
            raise ValueError(f'pretrained_format must be one of {MIT_FORMATS}, '
                             f'got {pretrained_format!r}')
        self.arch = arch
        self.embed_dims = settings['embed_dims']
        self.num_heads = settings['num_heads']
        self.depths = settings['depths']
        self.sr_ratios = settings['sr_ratios']
        self.x_channels = x_channels
        self.in_channels = 3 + x_channels
        self.out_indices = tuple(out_indices)
        if not self.out_indices or not all(0 <= i < 4 for i in self.out_indices):
            raise ValueError(f'out_indices must be in 0..3, got {out_indices}')
        self.with_cp = with_cp
        self.pretrained = pretrained
        self.pretrained_format = pretrained_format

        # ---- frozen MiT ----
        dpr = torch.linspace(0, drop_path_rate, sum(self.depths), device='cpu').tolist()
        self.patch_embeds = nn.ModuleList()
        self.stages = nn.ModuleList()
        self.stage_norms = nn.ModuleList()
        in_ch, cur = 3, 0
        for i, (dim, heads, depth, sr) in enumerate(
                zip(self.embed_dims, self.num_heads, self.depths, self.sr_ratios)):
            self.patch_embeds.append(
                OverlapPatchEmbed(in_ch, dim, PATCH_SIZES[i], PATCH_STRIDES[i],
                                  patch_norm_eps))
            self.stages.append(nn.ModuleList([
                MiTBlock(dim, heads, sr, mlp_ratio, qkv_bias, drop_rate, attn_drop_rate,
                         dpr[cur + j], norm_eps, sr_norm_eps,
                         feature_adapter=MultimodalFeatureAdapter(
                             dim, heads, prompt_dim, mfa_reduction, bias=qkv_bias,
                             norm_eps=norm_eps, attn_drop=attn_drop_rate,
                             proj_drop=drop_rate))
                for j in range(depth)]))
            self.stage_norms.append(nn.LayerNorm(dim, eps=norm_eps))
            in_ch, cur = dim, cur + depth
        for part in (self.patch_embeds, self.stages, self.stage_norms):
            init_mit_weights(part)

        # ---- trainable prompts ----
        self.prompt_tokens = nn.Parameter(torch.randn(num_prompt_tokens, prompt_dim))
        self.prompt_generators = nn.ModuleList()
        in_ch = 3
        for i, dim in enumerate(self.embed_dims):
            self.prompt_generators.append(MultimodalPromptGenerator(
                in_ch, dim, PATCH_SIZES[i], PATCH_STRIDES[i], mpg_reduction,
                patch_norm_eps))
            in_ch = dim

        self._init_trainable(trainable)

    def blocks(self) -> List[MiTBlock]:
        """All transformer blocks, stage by stage."""
        return [block for stage in self.stages for block in stage]

    # ---- weights ----
    def init_weights(self) -> None:
        """Apply ``init_cfg`` (if any), then load the frozen MiT from ``pretrained``."""
        super().init_weights()
        if self.pretrained is not None:
            self.load_mit_weights(self.pretrained, self.pretrained_format)

    def load_mit_weights(self, path: str, fmt: str = 'auto'):
        """Load NVIDIA-, mmseg- or mmrgbir-format MiT / SegFormer weights into the
        frozen MiT.

        Raises ``KeyError`` when a MiT tensor is missing from the checkpoint or has
        another shape (a frozen random tensor would silently ruin the model); the
        prompt parts (MPG, MFA, prompt tokens) are not in such checkpoints. Returns
        the load report.
        """
        report = load_pretrained(self, path, key_map=partial(mit_to_ours, fmt=fmt))
        mit_missing = frozen_mit_keys(report.missing)
        if mit_missing or report.mismatched:
            raise KeyError(f'{path}: frozen MiT tensors missing or of another shape '
                           f'(wrong arch or format?): {mit_missing[:10]} '
                           f'{report.mismatched[:10]}')
        return report

    # ---- forward ----
    def _split_modalities(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(B, 3 + Cx, H, W) -> rgb (B, 3, H, W), x (B, 3, H, W)``."""
        if inputs.dim() != 4 or inputs.shape[1] != self.in_channels:
            raise ValueError(
                f'DPLNetMiT expects (B, {self.in_channels}, H, W) inputs (3 RGB channels + '
                f'{self.x_channels} X channel(s), x_channels={self.x_channels}), got shape '
                f'{tuple(inputs.shape)}')
        rgb, aux = inputs[:, :3], inputs[:, 3:]
        if self.x_channels == 1:
            aux = aux.expand(-1, 3, -1, -1)
        return rgb, aux

    def _run_block(self, block: MiTBlock, x: torch.Tensor, hw: Tuple[int, int]):
        if self.with_cp and self.training and torch.is_grad_enabled():
            return cp.checkpoint(block, x, hw, self.prompt_tokens, use_reentrant=False)
        return block(x, hw, self.prompt_tokens)

    def forward(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """``(B, 3 + x_channels, H, W)`` -> the maps of the stages in ``out_indices``."""
        feat, aux = self._split_modalities(inputs)
        outs = []
        for i in range(len(self.stages)):
            tokens, hw = self.patch_embeds[i](feat)
            prompt = self.prompt_generators[i](aux, tokens, hw)
            tokens = tokens + prompt
            for block in self.stages[i]:
                tokens = self._run_block(block, tokens, hw)
            feat = tokens_to_map(self.stage_norms[i](tokens), hw)
            aux = tokens_to_map(prompt, hw)   # the next stage's MPG embeds this prompt
            if i in self.out_indices:
                outs.append(feat)
        return tuple(outs)


__all__ = ['DPLNetMiT', 'EfficientSelfAttention', 'MixFFN', 'MiTBlock', 'MIT_SETTINGS',
           'MIT_ITEM_MAPS', 'nvidia_mit_key', 'mmseg_mit_items', 'mmrgbir_mit_key',
           'nvidia_mit_to_ours', 'mmseg_mit_to_ours', 'mmrgbir_mit_to_ours',
           'detect_mit_format', 'mit_to_ours', 'frozen_mit_keys']
