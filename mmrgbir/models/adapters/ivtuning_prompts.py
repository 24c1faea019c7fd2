# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""The visual prompts of IV-tuning (arXiv 2412.16654): MP-alpha and MP-beta.

* :class:`InitialPromptGenerator` (MP-alpha) turns the RGB and IR patch tokens into
  the initial prompt P0, which is added to the RGB tokens after patch embedding.
* :class:`PromptedBlockAdapter` (MP-beta) runs twice in every frozen transformer
  block (after the attention residual and after the MLP residual): a feature adapter
  on the tokens plus a prompt adapter on the current prompt.

Every module here takes tokens ``(B, N, C)`` with their grid ``hw_shape = (H, W)``,
``N == H * W``, flattened row-major (the order of a patch-embedding map's
``flatten(2)``). Tokens become maps as ``(B, H, W, C) -> (B, C, H, W)``; the public
implementation reshapes as ``(B, W, H, C)``, which scrambles non-square grids.
"""
from typing import Tuple

import torch
import torch.nn as nn
from torch.nn.init import trunc_normal_

from .simam import SimAM
from .split_fuse_enhancer import SplitFuseEnhancer

HW = Tuple[int, int]


def tokens_to_map(tokens: torch.Tensor, hw_shape: HW) -> torch.Tensor:
    """(B, H * W, C) row-major tokens -> (B, C, H, W) map."""
    B, N, C = tokens.shape
    H, W = hw_shape
    if N != H * W:
        raise ValueError(f'{N} tokens do not form a {H}x{W} grid')
    return tokens.reshape(B, H, W, C).permute(0, 3, 1, 2)


def map_to_tokens(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) map -> (B, H * W, C) row-major tokens."""
    return x.flatten(2).transpose(1, 2)


def _init_linear(module: nn.Module) -> None:
    # the published adapters inherit the ViT initialisation of their host
    for m in module.modules():
        if isinstance(m, nn.Linear):
            trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class TokenAffine(nn.Module):
    """Optional LayerNorm (with its own affine) followed by a learned per-channel
    scale (init 1) and shift (init 0). Input and output (..., C)."""

    def __init__(self, dim: int, norm: bool = True, eps: float = 1e-5) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=eps) if norm else None
        self.scale = nn.Parameter(torch.ones(dim))
        self.shift = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.norm is not None:
            x = self.norm(x)
        return x * self.scale + self.shift


class InitialPromptGenerator(nn.Module):
    """MP-alpha: the initial prompt P0 from the RGB and IR patch tokens.

    One LayerNorm shared by both modalities; RGB: 1x1 conv C->hidden, Split-Fuse
    Enhancer; IR: 1x1 conv C->hidden, SimAM; P0 = 1x1 conv hidden->C of the sum.
    Conv and linear weights are Xavier-uniform initialised (biases keep PyTorch's
    default).

    Args:
        embed_dim: C, the token width.
        hidden_dim: the prompt bottleneck (8 as published).
        sfe_ratio: r of the Split-Fuse Enhancer.
        simam_lambda: lambda of SimAM.

    Shapes:
        rgb, ir: (B, H * W, C) tokens; returns P0 (B, H * W, C).
    """

    def __init__(self, embed_dim: int, hidden_dim: int = 8, sfe_ratio: int = 4,
                 simam_lambda: float = 1e-4, norm_eps: float = 1e-5) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(embed_dim, eps=norm_eps)
        self.rgb_reduce = nn.Conv2d(embed_dim, hidden_dim, 1)
        self.ir_reduce = nn.Conv2d(embed_dim, hidden_dim, 1)
        self.rgb_enhance = SplitFuseEnhancer(hidden_dim, ratio=sfe_ratio)
        self.ir_attention = SimAM(simam_lambda)
        self.expand = nn.Conv2d(hidden_dim, embed_dim, 1)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, rgb: torch.Tensor, ir: torch.Tensor, hw_shape: HW) -> torch.Tensor:
        if rgb.shape != ir.shape:
            raise ValueError(f'RGB tokens {tuple(rgb.shape)} and IR tokens '
                             f'{tuple(ir.shape)} differ')
        rgb = self.rgb_reduce(tokens_to_map(self.norm(rgb), hw_shape))
        ir = self.ir_reduce(tokens_to_map(self.norm(ir), hw_shape))
        prompt = self.rgb_enhance(rgb) + self.ir_attention(ir)
        return map_to_tokens(self.expand(prompt))


class FeatureAdapter(nn.Module):
    """MP-beta feature adapter on the tokens (residual).

    ``x + up(dropout(gelu(SFE(down(affine(x))))))`` with ``affine`` = LayerNorm +
    per-channel scale/shift, ``down``: Linear C->hidden, SFE on the hidden map,
    ``up``: Linear hidden->C.

    Shapes: x (B, H * W, C) -> (B, H * W, C).
    """

    def __init__(self, embed_dim: int, hidden_dim: int = 64, sfe_ratio: int = 4,
                 dropout: float = 0.1, norm_eps: float = 1e-5) -> None:
        super().__init__()
        self.affine = TokenAffine(embed_dim, norm=True, eps=norm_eps)
        self.down = nn.Linear(embed_dim, hidden_dim)
        self.enhance = SplitFuseEnhancer(hidden_dim, ratio=sfe_ratio)
        self.act = nn.GELU()
        self.drop = nn.Dropout(dropout)
        self.up = nn.Linear(hidden_dim, embed_dim)
        _init_linear(self)

    def forward(self, x: torch.Tensor, hw_shape: HW) -> torch.Tensor:
        h = self.enhance(tokens_to_map(self.down(self.affine(x)), hw_shape))
        return x + self.up(self.drop(self.act(map_to_tokens(h))))


class PromptAdapter(nn.Module):
    """MP-beta prompt adapter: the contribution of the current prompt.

    ``gelu(affine_out(up(gelu(SimAM(down(affine_in(p)))))))`` with ``affine_in`` =
    LayerNorm + scale/shift, ``down``: Linear C->hidden, ``up``: Linear hidden->C,
    ``affine_out`` = per-channel scale/shift (no norm).

    Shapes: prompt (B, H * W, C) -> (B, H * W, C).
    """

    def __init__(self, embed_dim: int, hidden_dim: int = 8, simam_lambda: float = 1e-4,
                 norm_eps: float = 1e-5) -> None:
        super().__init__()
        self.affine_in = TokenAffine(embed_dim, norm=True, eps=norm_eps)
        self.down = nn.Linear(embed_dim, hidden_dim)
        self.attention = SimAM(simam_lambda)
        self.act = nn.GELU()
        self.up = nn.Linear(hidden_dim, embed_dim)
        self.affine_out = TokenAffine(embed_dim, norm=False)
        self.act_out = nn.GELU()
        _init_linear(self)

    def forward(self, prompt: torch.Tensor, hw_shape: HW) -> torch.Tensor:
        p = self.attention(tokens_to_map(self.down(self.affine_in(prompt)), hw_shape))
        p = self.up(self.act(map_to_tokens(p)))
        return self.act_out(self.affine_out(p))


class PromptedBlockAdapter(nn.Module):
    """MP-beta: feature adapter on the tokens plus prompt adapter on the prompt.

    Placed after the attention residual and after the MLP residual of a frozen block
    (two independent instances per block).

    Args:
        embed_dim: C, the token width of the block.
        hidden_dim: bottleneck of the feature adapter (64 as published).
        prompt_dim: bottleneck of the prompt adapter (8 as published).
        sfe_ratio: r of the Split-Fuse Enhancer.
        dropout: dropout of the feature adapter (0.1 as published).
        simam_lambda: lambda of SimAM.

    Shapes:
        x, prompt: (B, H * W, C) -> updated tokens (B, H * W, C) =
        ``feature(x) + prompt_adapter(prompt)`` (the feature adapter carries the
        residual).
    """

    def __init__(self, embed_dim: int, hidden_dim: int = 64, prompt_dim: int = 8,
                 sfe_ratio: int = 4, dropout: float = 0.1,
                 simam_lambda: float = 1e-4, norm_eps: float = 1e-5) -> None:
        super().__init__()
        self.feature = FeatureAdapter(embed_dim, hidden_dim, sfe_ratio, dropout, norm_eps)
        self.prompt = PromptAdapter(embed_dim, prompt_dim, simam_lambda, norm_eps)

    def forward(self, x: torch.Tensor, prompt: torch.Tensor, hw_shape: HW) -> torch.Tensor:
        if x.shape != prompt.shape:
            raise ValueError(f'tokens {tuple(x.shape)} and prompt {tuple(prompt.shape)} '
                             f'differ')
        return self.feature(x, hw_shape) + self.prompt(prompt, hw_shape)
