# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Which parameters of a frozen-backbone model train, declared in one place.

A backbone lists the names of its trainable parameters as regular expressions in the
class attribute ``trainable_patterns``; a config may override the list with the
``trainable`` argument of the backbone. :func:`apply_trainable` sets ``requires_grad``
from the patterns and :class:`FrozenBackboneMixin` keeps the BatchNorm layers whose
parameters are all frozen in eval mode, so their running statistics never change.
The parameter report (:mod:`.param_report`) reads the same ``requires_grad`` flags.
"""
import re
from typing import Iterable, List, Optional, Sequence

import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm


def compile_patterns(patterns: Iterable[str]) -> List['re.Pattern']:
    """Compile parameter-name patterns (``re.fullmatch`` semantics)."""
    compiled = []
    for p in patterns:
        try:
            compiled.append(re.compile(p))
        except re.error as exc:
            raise ValueError(f'invalid trainable-parameter pattern {p!r}: {exc}') from exc
    return compiled


def apply_trainable(module: nn.Module, patterns: Sequence[str],
                    strict: bool = True) -> List[str]:
    """Freeze every parameter of ``module`` except those whose name matches a pattern.

    Args:
        module: the model (usually a backbone).
        patterns: regular expressions matched with ``re.fullmatch`` against the
            parameter names of ``module.named_parameters()``.
        strict: raise when a pattern matches no parameter (a typo in a config
            would otherwise silently freeze everything).

    Returns:
        The names of the trainable parameters.
    """
    compiled = compile_patterns(patterns)
    used = [False] * len(compiled)
    trainable = []
    for name, param in module.named_parameters():
        hit = False
        for i, pat in enumerate(compiled):
            if pat.fullmatch(name):
                used[i] = True
                hit = True
        param.requires_grad_(hit)
        if hit:
            trainable.append(name)
    if strict:
        unused = [p for p, u in zip(patterns, used) if not u]
        if unused:
            raise ValueError(
                f'{type(module).__name__}: trainable pattern(s) {unused} match no '
                f'parameter; parameter names look like '
                f'{[n for n, _ in list(module.named_parameters())[:5]]}')
    return trainable


def frozen_batchnorms(module: nn.Module):
    """Yield the BatchNorm layers whose affine parameters are all frozen."""
    for m in module.modules():
        if isinstance(m, _BatchNorm):
            params = list(m.parameters(recurse=False))
            if all(not p.requires_grad for p in params):
                yield m


class FrozenBatchNormMixin:
    """``train()`` keeps the BatchNorm layers whose parameters are all frozen in eval
    mode, so their running statistics stay frozen too."""

    def train(self, mode: bool = True):
        super().train(mode)
        if mode:
            for m in frozen_batchnorms(self):
                m.eval()
        return self


class FrozenBackboneMixin(FrozenBatchNormMixin):
    """Mixin for backbones with a frozen foundation model and trainable parts.

    Subclasses set ``trainable_patterns`` (the method's published choice) and call
    ``self._init_trainable(trainable)`` at the end of ``__init__`` where ``trainable``
    is the optional config override. ``train()`` keeps frozen BatchNorm layers in
    eval mode so that their running statistics stay frozen.
    """

    trainable_patterns: Sequence[str] = ()

    def _init_trainable(self, trainable: Optional[Sequence[str]] = None,
                        freeze: bool = True) -> None:
        self.freeze = freeze
        if not freeze:
            for p in self.parameters():
                p.requires_grad_(True)
            self.trainable_names = [n for n, _ in self.named_parameters()]
            return
        patterns = self.trainable_patterns if trainable is None else trainable
        self.trainable_names = apply_trainable(self, list(patterns))
