# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Activation recomputation (gradient checkpointing) that is safe for BatchNorm.

``torch.utils.checkpoint`` runs a function twice in a training step: once in forward
(keeping only its inputs) and once more in backward to rebuild the activations. A
BatchNorm layer in training mode would update its running statistics in both runs.
:func:`checkpoint_module` freezes those updates during the second run (momentum 0 and
the batch counter restored), so statistics, outputs and gradients equal those of a
plain forward + backward.
"""
import contextlib
from typing import Callable, Iterator

import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.checkpoint import checkpoint

__all__ = ['checkpoint_module']


@contextlib.contextmanager
def _running_stats_frozen(module: nn.Module) -> Iterator[None]:
    """BatchNorm layers of ``module`` normalise with batch statistics, update nothing."""
    saved = []
    for m in module.modules():
        if isinstance(m, _BatchNorm) and m.training and m.track_running_stats:
            saved.append((m, m.momentum, m.num_batches_tracked.clone()))
            # running = (1 - 0) * running + 0 * batch: bit-identical
            m.momentum = 0.0
    try:
        yield
    finally:
        for m, momentum, tracked in saved:
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)


def checkpoint_module(module: nn.Module, fn: Callable, *args):
    """``fn(*args)`` (a computation of ``module``) with its activations recomputed in
    backward instead of stored; BatchNorm statistics of ``module`` are updated once."""
    return checkpoint(
        fn, *args, use_reentrant=False,
        context_fn=lambda: (contextlib.nullcontext(), _running_stats_frozen(module)))
