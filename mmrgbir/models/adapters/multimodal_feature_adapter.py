# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""DPLNet's multimodal feature adapter (MFA): prompt attention beside a frozen attention.

Every attention of the frozen MiT gets one MFA. A small set of learnable prompt tokens
(``T x D``, published 30 x 32) is shared by all blocks and owned by the backbone; each
MFA turns them into keys and values of the block's width and lets the block's projected
query attend to them in a reduced space (``C / 32``)::

    p      = LN(prompt_tokens)                               (T, D)
    k, v   = split(Linear_{D -> 2C}(p))                      (T, C) each
    q', k', v' = Linear_{C -> C/r}(q), (k), (v)             r = 32
    y      = Linear_{C/r -> C}(softmax(q' k'^T * s) v')     per head, s = frozen scale
    attention output <- frozen attention output + y

``q`` is the frozen attention's projected query (after its ``q`` Linear), ``s`` is the
frozen attention's scale ``(C / heads) ** -0.5`` (not the reduced head width), and
the reduced space is split into the frozen attention's number of heads.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class MultimodalFeatureAdapter(nn.Module):
    """Prompt attention added to one frozen efficient-attention layer.

    Args:
        embed_dims: width ``C`` of the frozen attention.
        num_heads: heads of the frozen attention; the reduced space ``C // reduction``
            is split into as many heads.
        prompt_dim: width ``D`` of the shared prompt tokens (published 32).
        reduction: the query / prompt keys / prompt values are mapped to
            ``C // reduction`` channels (published 32).
        scale: attention scale; ``None`` = ``(C / num_heads) ** -0.5``, the scale of the
            frozen attention, as published.
        bias: bias of the prompt key/value and reduction Linears (published: the
            frozen attention's ``qkv_bias``, True).
        norm_eps: epsilon of the prompt LayerNorm (1e-6: published, it is built with
            the MiT blocks' ``norm_layer``).
        attn_drop: dropout on the prompt attention weights.
        proj_drop: dropout after the output projection.

    Shapes: ``forward(query (B, N, C), prompt_tokens (T, D) or (B, T, D)) -> (B, N, C)``.
    """

    def __init__(self, embed_dims: int, num_heads: int, prompt_dim: int = 32,
                 reduction: int = 32, scale: Optional[float] = None, bias: bool = True,
                 norm_eps: float = 1e-6, attn_drop: float = 0.0, proj_drop: float = 0.0):
        super().__init__()
        if embed_dims % reduction or (embed_dims // reduction) % num_heads:
            raise ValueError(
                f'MultimodalFeatureAdapter: embed_dims={embed_dims} must be divisible by '
                f'reduction={reduction} and embed_dims // reduction by num_heads={num_heads}')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.hidden_dims = embed_dims // reduction
        self.scale = scale if scale is not None else (embed_dims // num_heads) ** -0.5
        self.attn_drop = attn_drop

        self.prompt_norm = nn.LayerNorm(prompt_dim, eps=norm_eps)
        self.prompt_kv = nn.Linear(prompt_dim, 2 * embed_dims, bias=bias)
        self.query_reduce = nn.Linear(embed_dims, self.hidden_dims)
        self.key_reduce = nn.Linear(embed_dims, self.hidden_dims, bias=bias)
        self.value_reduce = nn.Linear(embed_dims, self.hidden_dims, bias=bias)
        self.out_proj = nn.Linear(self.hidden_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # As published: truncated normal (std 0.02) Linears, zero biases, unit LayerNorm.
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.ones_(self.prompt_norm.weight)
        nn.init.zeros_(self.prompt_norm.bias)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., L, h * d) -> (..., h, L, d)``."""
        x = x.unflatten(-1, (self.num_heads, -1))
        return x.transpose(-3, -2)

    def forward(self, query: torch.Tensor, prompt_tokens: torch.Tensor) -> torch.Tensor:
        """Attend from the frozen projected query to the prompt tokens.

        Args:
            query: the frozen attention's projected query ``(B, N, C)``.
            prompt_tokens: the shared prompt tokens ``(T, D)`` (or ``(B, T, D)``).

        Returns:
            ``(B, N, C)``, to be added to the frozen attention output.
        """
        b, n, _ = query.shape
        # The prompt path does not depend on the image: computed once, broadcast on B.
        prompt_k, prompt_v = self.prompt_kv(self.prompt_norm(prompt_tokens)).split(
            self.embed_dims, dim=-1)
        k = self._split_heads(self.key_reduce(prompt_k))       # (h, T, d) or (B, h, T, d)
        v = self._split_heads(self.value_reduce(prompt_v))
        q = self._split_heads(self.query_reduce(query))         # (B, h, N, d)
        if k.dim() == 3:
            k = k.unsqueeze(0).expand(b, -1, -1, -1)
            v = v.unsqueeze(0).expand(b, -1, -1, -1)
        out = F.scaled_dot_product_attention(
            q, k.to(q.dtype), v.to(q.dtype),
            dropout_p=self.attn_drop if self.training else 0.0, scale=self.scale)
        out = out.transpose(1, 2).reshape(b, n, self.hidden_dims)
        return self.proj_drop(self.out_proj(out))


__all__ = ['MultimodalFeatureAdapter']
