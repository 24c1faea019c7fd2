# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Multi-scale deformable attention (Deformable DETR) with a pure-PyTorch path.

Each query looks at ``n_points`` sampled locations per head and per feature level,
around its reference point, and mixes the bilinearly sampled values with learned
weights that are normalised (softmax) over all levels and points of a head.

Two implementations of the core sampling:

* :func:`multi_scale_deformable_attn_pytorch` -- ``F.grid_sample`` per level, runs on
  any device (the only path on CPU);
* mmcv's compiled CUDA kernel (``MultiScaleDeformableAttnFunction``), used by
  :class:`MSDeformAttn` only for CUDA tensors and only when the compiled op imports.

The kernel saves only its inputs for backward; autograd through the pure-PyTorch path
would instead keep every sampled value (B*heads, d, Nq, L*P) plus ``grid_sample``'s
buffers, about 60 MiB per call for UniRGB-IR at 768 x 768. :class:`MSDeformAttn`
therefore recomputes the sampling in backward (``checkpoint_core``), which gives the
CPU path the kernel's memory footprint for one extra forward of the core.
"""
import math
import warnings
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp

__all__ = ['multi_scale_deformable_attn_pytorch', 'level_start_index',
           'reference_points_on_grid', 'MSDeformAttn']

_MMCV_FUNCTION = None   # resolved on first CUDA use; False when unavailable


def _mmcv_cuda_function():
    """Return mmcv's CUDA autograd function, or ``None`` if it cannot be imported."""
    global _MMCV_FUNCTION
    if _MMCV_FUNCTION is None:
        try:
            from mmcv.ops.multi_scale_deform_attn import \
                MultiScaleDeformableAttnFunction
            _MMCV_FUNCTION = MultiScaleDeformableAttnFunction
        except Exception as exc:  # noqa: BLE001 - mmcv without compiled ops
            warnings.warn(f'mmcv deformable-attention CUDA op unavailable ({exc}); '
                          f'using the pure-PyTorch path')
            _MMCV_FUNCTION = False
    return _MMCV_FUNCTION or None


def level_start_index(spatial_shapes: torch.Tensor) -> torch.Tensor:
    """Offsets of each level in the concatenated value tokens.

    Args:
        spatial_shapes: (L, 2) long, ``(H_l, W_l)`` per level.

    Returns:
        (L,) long: ``[0, H_0*W_0, H_0*W_0 + H_1*W_1, ...]``.
    """
    sizes = spatial_shapes.prod(1)
    return torch.cat([sizes.new_zeros(1), sizes.cumsum(0)[:-1]])


def reference_points_on_grid(height: int, width: int,
                             device: Optional[torch.device] = None,
                             dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Normalised centres of a ``height x width`` token grid, row-major.

    Returns:
        (1, height*width, 1, 2) with ``(x, y)`` in (0, 1); the level axis has size 1
        so that the same point is used on every level.
    """
    ys = (torch.arange(height, device=device, dtype=dtype) + 0.5) / height
    xs = (torch.arange(width, device=device, dtype=dtype) + 0.5) / width
    ref_y, ref_x = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack([ref_x.reshape(-1), ref_y.reshape(-1)], -1)[None, :, None]


def multi_scale_deformable_attn_pytorch(value: torch.Tensor,
                                        value_spatial_shapes: torch.Tensor,
                                        sampling_locations: torch.Tensor,
                                        attention_weights: torch.Tensor) -> torch.Tensor:
    """Core of multi-scale deformable attention with ``F.grid_sample``.

    Same contract as mmcv's function of the same name.

    Args:
        value: (B, Nv, heads, head_dim), the levels concatenated row-major.
        value_spatial_shapes: (L, 2) long, ``(H_l, W_l)``; ``sum(H_l*W_l) == Nv``.
        sampling_locations: (B, Nq, heads, L, P, 2), ``(x, y)`` normalised to [0, 1]
            on each level (outside samples read zeros).
        attention_weights: (B, Nq, heads, L, P), normalised over ``L*P``.

    Returns:
        (B, Nq, heads*head_dim).
    """
    batch, _, heads, head_dim = value.shape
    _, num_queries, _, num_levels, num_points, _ = sampling_locations.shape
    sizes = [int(h) * int(w) for h, w in value_spatial_shapes.tolist()]
    value_per_level = value.split(sizes, dim=1)
    # grid_sample wants coordinates in [-1, 1]; align_corners=False matches
    # "pixel i covers [i, i+1)" of the [0, 1] normalisation of the reference points.
    grids = 2 * sampling_locations - 1
    sampled = []
    for lvl, (h, w) in enumerate(value_spatial_shapes.tolist()):
        # (B, Hl*Wl, heads, d) -> (B*heads, d, Hl, Wl)
        v = value_per_level[lvl].flatten(2).transpose(1, 2).reshape(
            batch * heads, head_dim, int(h), int(w))
        # (B, Nq, heads, P, 2) -> (B*heads, Nq, P, 2)
        g = grids[:, :, :, lvl].transpose(1, 2).flatten(0, 1)
        sampled.append(F.grid_sample(v, g, mode='bilinear', padding_mode='zeros',
                                     align_corners=False))   # (B*heads, d, Nq, P)
    # (B*heads, d, Nq, L*P) weighted by (B*heads, 1, Nq, L*P)
    sampled = torch.stack(sampled, dim=-2).flatten(-2)
    weights = attention_weights.transpose(1, 2).reshape(
        batch * heads, 1, num_queries, num_levels * num_points)
    out = (sampled * weights).sum(-1).view(batch, heads * head_dim, num_queries)
    return out.transpose(1, 2).contiguous()


class MSDeformAttn(nn.Module):
    """Multi-scale deformable cross-attention without residual.

    Args:
        d_model: width of the queries and of the value tokens (C).
        n_levels: number of feature levels (L).
        n_heads: attention heads; ``int(d_model * ratio)`` must be divisible by it.
        n_points: sampling points per head and level (P).
        ratio: the value projection maps C -> ``int(C * ratio)`` (ViT-Adapter's
            ``deform_ratio``); the output projection maps it back to C.
        im2col_step: batch chunk of the mmcv CUDA kernel.
        checkpoint_core: on the pure-PyTorch path, store only the inputs of the
            sampling core and recompute it in backward (the memory behaviour of the
            CUDA kernel); outputs and gradients are unchanged.
    """

    def __init__(self, d_model: int = 768, n_levels: int = 3, n_heads: int = 12,
                 n_points: int = 4, ratio: float = 0.5, im2col_step: int = 64,
                 checkpoint_core: bool = True):
        super().__init__()
        value_dim = int(d_model * ratio)
        if value_dim % n_heads != 0:
            raise ValueError(f'MSDeformAttn: value width int({d_model} * {ratio}) = '
                             f'{value_dim} is not divisible by n_heads={n_heads}')
        self.d_model, self.n_levels, self.n_heads, self.n_points = (
            d_model, n_levels, n_heads, n_points)
        self.value_dim = value_dim
        self.im2col_step = im2col_step
        self.checkpoint_core = checkpoint_core
        self.sampling_offsets = nn.Linear(d_model, n_heads * n_levels * n_points * 2)
        self.attention_weights = nn.Linear(d_model, n_heads * n_levels * n_points)
        self.value_proj = nn.Linear(d_model, value_dim)
        self.output_proj = nn.Linear(value_dim, d_model)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Deformable-DETR initialisation.

        Offsets start on a per-head direction (head ``h`` points at angle
        ``2*pi*h/heads``, scaled so that the larger coordinate is 1), point ``p`` at
        ``p + 1`` times that direction, on every level; attention starts uniform.
        """
        nn.init.zeros_(self.sampling_offsets.weight)
        angles = torch.arange(self.n_heads, dtype=torch.float32) * (
            2.0 * math.pi / self.n_heads)
        direction = torch.stack([angles.cos(), angles.sin()], -1)
        direction = direction / direction.abs().max(-1, keepdim=True)[0]
        grid = direction.view(self.n_heads, 1, 1, 2).repeat(
            1, self.n_levels, self.n_points, 1)
        grid = grid * torch.arange(1, self.n_points + 1,
                                   dtype=torch.float32).view(1, 1, -1, 1)
        self.sampling_offsets.bias.copy_(grid.view(-1))
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        nn.init.xavier_uniform_(self.value_proj.weight)
        nn.init.zeros_(self.value_proj.bias)
        nn.init.xavier_uniform_(self.output_proj.weight)
        nn.init.zeros_(self.output_proj.bias)

    def forward(self, query: torch.Tensor, reference_points: torch.Tensor,
                value: torch.Tensor, spatial_shapes: torch.Tensor,
                level_start_index: torch.Tensor) -> torch.Tensor:
        """Attend from ``query`` to the multi-level ``value`` tokens.

        Args:
            query: (B, Nq, C).
            reference_points: (B, Nq, L, 2) or (B, Nq, 1, 2) (broadcast over levels),
                ``(x, y)`` normalised to [0, 1]; the batch axis may be 1.
            value: (B, Nv, C), levels concatenated, ``Nv = sum(H_l * W_l)``.
            spatial_shapes: (L, 2) long, ``(H_l, W_l)``.
            level_start_index: (L,) long, see :func:`level_start_index`.

        Returns:
            (B, Nq, C): the attention output only (no residual).
        """
        batch, num_queries, _ = query.shape
        num_values = value.shape[1]
        if spatial_shapes.shape != (self.n_levels, 2):
            raise ValueError(f'MSDeformAttn: spatial_shapes must be ({self.n_levels}, 2), '
                             f'got {tuple(spatial_shapes.shape)}')
        if int(spatial_shapes.prod(1).sum()) != num_values:
            raise ValueError(f'MSDeformAttn: value has {num_values} tokens but the '
                             f'spatial shapes {spatial_shapes.tolist()} sum to '
                             f'{int(spatial_shapes.prod(1).sum())}')
        if reference_points.shape[-1] != 2:
            raise ValueError('MSDeformAttn: only 2-d reference points (x, y) are '
                             f'supported, got last dim {reference_points.shape[-1]}')

        v = self.value_proj(value).view(batch, num_values, self.n_heads,
                                        self.value_dim // self.n_heads)
        offsets = self.sampling_offsets(query).view(
            batch, num_queries, self.n_heads, self.n_levels, self.n_points, 2)
        weights = self.attention_weights(query).view(
            batch, num_queries, self.n_heads, self.n_levels * self.n_points)
        weights = weights.softmax(-1).view(
            batch, num_queries, self.n_heads, self.n_levels, self.n_points)
        # offsets are in pixels of each level: normalise by (W_l, H_l); the locations
        # are kept in at least fp32 (fp16 would move samples by a few % of a pixel)
        normalizer = torch.stack([spatial_shapes[:, 1], spatial_shapes[:, 0]], -1).to(
            torch.promote_types(offsets.dtype, torch.float32))
        locations = (reference_points[:, :, None, :, None, :]
                     + offsets / normalizer[None, None, None, :, None, :])

        fn = _mmcv_cuda_function() if v.is_cuda else None
        if fn is not None:
            # the kernel wants contiguous fp32 (under AMP the projections are fp16)
            out = fn.apply(v.float().contiguous(), spatial_shapes.long(),
                           level_start_index.long(), locations.float().contiguous(),
                           weights.float().contiguous(), self.im2col_step).to(query.dtype)
        else:
            # grid_sample needs one dtype for values and locations
            dtype = torch.promote_types(v.dtype, locations.dtype)
            args = (v.to(dtype), spatial_shapes, locations.to(dtype), weights.to(dtype))
            if self.checkpoint_core and torch.is_grad_enabled() and any(
                    a.requires_grad for a in args):
                out = cp.checkpoint(multi_scale_deformable_attn_pytorch, *args,
                                    use_reentrant=False)
            else:
                out = multi_scale_deformable_attn_pytorch(*args)
            out = out.to(query.dtype)
        return self.output_proj(out)

    def extra_repr(self) -> str:
        return (f'd_model={self.d_model}, n_levels={self.n_levels}, '
                f'n_heads={self.n_heads}, n_points={self.n_points}, '
                f'value_dim={self.value_dim}, checkpoint_core={self.checkpoint_core}')
