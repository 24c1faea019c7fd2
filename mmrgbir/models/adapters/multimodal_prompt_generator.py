# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""DPLNet's multimodal prompt generator (MPG) and the overlapping patch embedding.

One MPG sits at the entrance of every MiT stage. It embeds the auxiliary path (the X
image at stage 1, the previous stage's prompt map afterwards) with its own trainable
copy of that stage's overlapping patch embedding, and fuses it with the RGB tokens
that the frozen patch embedding produced::

    d_i = PatchEmbed_i'(aux_i)                       (B, N_i, C_i)
    P_i = W3 (W1 d_i + W2 x_i)                        W1, W2: C_i -> C_i/4, W3: C_i/4 -> C_i
    x_i <- x_i + P_i,   aux_{i+1} = P_i as a map      (B, C_i, H_i, W_i)

No activation and no normalisation in the fusion (as published).
"""
import math
from typing import Tuple

import torch
import torch.nn as nn


class OverlapPatchEmbed(nn.Module):
    """SegFormer's overlapping patch embedding: strided conv + LayerNorm.

    Args:
        in_channels: input channels.
        embed_dims: output channels ``C``.
        patch_size: conv kernel size (7 at stage 1, 3 afterwards); padding is
            ``patch_size // 2`` so that the patches overlap.
        stride: conv stride (4 at stage 1, 2 afterwards).
        norm_eps: LayerNorm epsilon (1e-5, PyTorch's default, as in NVIDIA's
            SegFormer and in DPLNet: their patch embeddings build a plain
            ``nn.LayerNorm(C)``).

    Shapes: ``(B, in_channels, H, W) -> (B, H'*W', C), (H', W')`` with
    ``H' = floor((H + 2 * (patch_size // 2) - patch_size) / stride) + 1``.
    """

    def __init__(self, in_channels: int, embed_dims: int, patch_size: int = 7,
                 stride: int = 4, norm_eps: float = 1e-5):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, embed_dims, kernel_size=patch_size,
                              stride=stride, padding=patch_size // 2)
        self.norm = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # SegFormer's initialisation: He-normal on fan-out, zero bias, unit LayerNorm.
        fan_out = self.proj.kernel_size[0] * self.proj.kernel_size[1] * self.proj.out_channels
        nn.init.normal_(self.proj.weight, 0.0, math.sqrt(2.0 / fan_out))
        nn.init.zeros_(self.proj.bias)
        nn.init.ones_(self.norm.weight)
        nn.init.zeros_(self.norm.bias)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        x = self.proj(x)
        hw = (x.shape[2], x.shape[3])
        x = self.norm(x.flatten(2).transpose(1, 2))
        return x, hw


class MultimodalPromptGenerator(nn.Module):
    """One stage's MPG: embeds the auxiliary path and fuses it with the RGB tokens.

    Args:
        in_channels: channels of the auxiliary input of this stage (3 for the X image
            at stage 1, the previous stage's width afterwards).
        embed_dims: width ``C`` of this stage.
        patch_size: kernel of the copied overlapping patch embedding (7 / 3).
        stride: stride of the copied overlapping patch embedding (4 / 2).
        reduction: hidden width of the fusion is ``C // reduction`` (published: 4).
        norm_eps: LayerNorm epsilon of the patch embedding (1e-5, as published).

    The patch embedding is a fresh, trainable module with the frozen one's
    architecture (published: randomly initialised, not copied from the RGB weights);
    the three fusion layers keep PyTorch's default ``nn.Linear`` initialisation, as
    published.
    """

    def __init__(self, in_channels: int, embed_dims: int, patch_size: int = 7,
                 stride: int = 4, reduction: int = 4, norm_eps: float = 1e-5):
        super().__init__()
        if embed_dims % reduction:
            raise ValueError(f'MultimodalPromptGenerator: embed_dims={embed_dims} is not '
                             f'divisible by reduction={reduction}')
        hidden = embed_dims // reduction
        self.patch_embed = OverlapPatchEmbed(in_channels, embed_dims, patch_size, stride,
                                             norm_eps)
        self.aux_reduce = nn.Linear(embed_dims, hidden)   # W1 on the auxiliary tokens
        self.rgb_reduce = nn.Linear(embed_dims, hidden)   # W2 on the RGB tokens
        self.out_proj = nn.Linear(hidden, embed_dims)     # W3 back to the stage width

    def forward(self, aux: torch.Tensor, rgb_tokens: torch.Tensor,
                hw: Tuple[int, int]) -> torch.Tensor:
        """Compute the stage prompt.

        Args:
            aux: auxiliary input map ``(B, in_channels, H_in, W_in)``.
            rgb_tokens: tokens of the frozen patch embedding ``(B, H*W, C)``.
            hw: ``(H, W)`` of ``rgb_tokens``.

        Returns:
            The prompt ``P`` ``(B, H*W, C)``, to be added to ``rgb_tokens``.
        """
        aux_tokens, aux_hw = self.patch_embed(aux)
        if tuple(aux_hw) != tuple(hw):
            raise ValueError(f'MultimodalPromptGenerator: auxiliary grid {tuple(aux_hw)} '
                             f'does not match the RGB grid {tuple(hw)}')
        return self.out_proj(self.aux_reduce(aux_tokens) + self.rgb_reduce(rgb_tokens))


def tokens_to_map(tokens: torch.Tensor, hw: Tuple[int, int]) -> torch.Tensor:
    """``(B, H*W, C) -> (B, C, H, W)`` (row-major tokens, non-square safe)."""
    b, n, c = tokens.shape
    h, w = hw
    if n != h * w:
        raise ValueError(f'{n} tokens do not form a {h}x{w} grid')
    return tokens.transpose(1, 2).reshape(b, c, h, w)


__all__ = ['OverlapPatchEmbed', 'MultimodalPromptGenerator', 'tokens_to_map']
