# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""UniRGB-IR's supplementary feature injector (SFI) and the gate between stages.

The injector lets the frozen ViT tokens query the multi-modal feature pool with
multi-scale deformable cross-attention and returns the (gamma-scaled) result; the
caller adds it to the tokens. ``gamma`` starts at zero, so an untrained adapter
leaves the frozen ViT untouched.
"""
import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint

from .ms_deform_attn import MSDeformAttn

__all__ = ['SupplementaryFeatureInjector', 'InjectionGate']


class SupplementaryFeatureInjector(nn.Module):
    """LayerNorm(query), LayerNorm(pool) -> MSDeformAttn -> per-channel gamma.

    Args:
        dim: token width C.
        num_heads: deformable-attention heads.
        n_points: sampling points per head and level.
        n_levels: pool levels.
        deform_ratio: value width ratio of the deformable attention.
        init_gamma: initial value of the per-channel output scale (0: identity).
        with_cp: recompute the injector in backward (it then keeps only its inputs,
            instead of two normalised copies of the pool and the sampling buffers).
    """

    def __init__(self, dim: int = 768, num_heads: int = 12, n_points: int = 4,
                 n_levels: int = 3, deform_ratio: float = 0.5, init_gamma: float = 0.0,
                 with_cp: bool = False):
        super().__init__()
        self.with_cp = with_cp
        self.query_norm = nn.LayerNorm(dim, eps=1e-6)
        self.feat_norm = nn.LayerNorm(dim, eps=1e-6)
        # a recomputed injector recomputes its attention core too: no second checkpoint
        self.attn = MSDeformAttn(d_model=dim, n_levels=n_levels, n_heads=num_heads,
                                 n_points=n_points, ratio=deform_ratio,
                                 checkpoint_core=not with_cp)
        self.gamma = nn.Parameter(torch.full((dim, ), float(init_gamma)))

    def forward(self, query: torch.Tensor, reference_points: torch.Tensor,
                feat: torch.Tensor, spatial_shapes: torch.Tensor,
                level_start_index: torch.Tensor) -> torch.Tensor:
        """Compute the injection (no residual).

        Args:
            query: ViT tokens (B, Nq, C).
            reference_points: (B or 1, Nq, 1 or L, 2), normalised ``(x, y)``.
            feat: feature-pool tokens (B, Nv, C).
            spatial_shapes: (L, 2) long; level_start_index: (L,) long.

        Returns:
            (B, Nq, C): ``gamma * attn(norm(query), norm(feat))``.
        """
        args = (query, reference_points, feat, spatial_shapes, level_start_index)
        if self.with_cp and torch.is_grad_enabled():
            return checkpoint(self._forward, *args, use_reentrant=False)
        return self._forward(*args)

    def _forward(self, query: torch.Tensor, reference_points: torch.Tensor,
                 feat: torch.Tensor, spatial_shapes: torch.Tensor,
                 level_start_index: torch.Tensor) -> torch.Tensor:
        attn = self.attn(self.query_norm(query), reference_points, self.feat_norm(feat),
                         spatial_shapes, level_start_index)
        return self.gamma * attn


class InjectionGate(nn.Module):
    """Mix a stage's new injection with the previous stage's one, per image.

    ``z = sigmoid(Linear(2C -> C)([mean_tokens(new); mean_tokens(prev)]))`` and the
    result is ``(1 - z) * prev + z * new`` (one gate vector per image, broadcast over
    the tokens). ``fc`` keeps ``nn.Linear``'s default initialisation, as in the official
    code (whose adapter initialisation covers the pool and the injectors, not the gates).
    """

    def __init__(self, dim: int = 768):
        super().__init__()
        self.fc = nn.Linear(2 * dim, dim)

    def forward(self, new: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """(B, N, C) x 2 -> (B, N, C)."""
        z = torch.sigmoid(self.fc(torch.cat([new.mean(1), prev.mean(1)], -1)))[:, None]
        return (1 - z) * prev + z * new
