# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Frozen backbones whose weights come from a complete checkpoint (tools side).

``tools/train.py`` (``load_from`` / ``--resume``), ``tools/test.py`` and
:func:`mmrgbir.apis.init_model` call :func:`frozen_weights_from_checkpoint` on the
config before the model is built: a method backbone without ``pretrained`` is then
built with ``allow_random_frozen='checkpoint'`` instead of stopping. Once the model
exists, :func:`verify_frozen_weights` checks that the checkpoint holds every frozen
tensor of those backbones (see :mod:`mmrgbir.models.utils.frozen_weights`).
"""
import os.path as osp
from typing import List, Optional

import torch
import torch.nn as nn

from mmrgbir.models.utils.frozen_weights import (backbones_from_checkpoint,
                                                 check_checkpoint_covers_frozen)

#: registered names of the backbones with a frozen foundation model
FROZEN_BACKBONES = ('UniRGBIRViT', 'DPLNetMiT', 'IVTuningViT', 'IVTuningSwin')


def _frozen_backbone_cfgs(node) -> List[dict]:
    found = []
    if isinstance(node, dict):
        if str(node.get('type', '')).split('.')[-1] in FROZEN_BACKBONES:
            found.append(node)
        for value in node.values():
            found += _frozen_backbone_cfgs(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            found += _frozen_backbone_cfgs(value)
    return found


def frozen_weights_from_checkpoint(model_cfg: dict, checkpoint: Optional[str]) -> int:
    """Mark the method backbones of ``model_cfg`` whose ``pretrained`` is unset or
    names a file that is not there as supplied by ``checkpoint`` (in place).

    Returns how many were marked. Nothing is marked without a checkpoint, so the
    backbone's own check still stops the build. A ``pretrained`` file that exists is
    kept (loaded by ``init_weights``, then overwritten by the checkpoint).
    """
    if not checkpoint:
        return 0
    marked = 0
    for bb in _frozen_backbone_cfgs(model_cfg):
        if bb.get('allow_random_frozen', False):
            continue
        pretrained = bb.get('pretrained')
        if pretrained is None or not osp.isfile(osp.expanduser(str(pretrained))):
            bb['pretrained'] = None
            bb['allow_random_frozen'] = 'checkpoint'
            marked += 1
    return marked


def allow_random_frozen_weights(model_cfg: dict) -> int:
    """Let the method backbones of ``model_cfg`` build without weights (in place):
    for parameter counts, FLOPs, speed benchmarks and config tests, where the values
    of the weights do not matter. Returns how many backbones were changed."""
    found = _frozen_backbone_cfgs(model_cfg)
    for bb in found:
        bb['allow_random_frozen'] = True
    return len(found)


def checkpoint_state_keys(checkpoint: str) -> List[str]:
    """Keys of the state dict stored in ``checkpoint`` (memory-mapped, tensors not read)."""
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    ckpt = torch.load(checkpoint, map_location='cpu', mmap=True, weights_only=False)
    state = ckpt
    if isinstance(ckpt, dict):
        for key in ('state_dict', 'model', 'module'):
            if isinstance(ckpt.get(key), dict):
                state = ckpt[key]
                break
    if not isinstance(state, dict):
        raise TypeError(f'{checkpoint}: expected a state dict, got {type(state).__name__}')
    return [k[len('module.'):] if k.startswith('module.') else k for k in state]


def verify_frozen_weights(model: nn.Module, checkpoint: Optional[str]) -> None:
    """Check that ``checkpoint`` covers the frozen tensors it is meant to supply."""
    model = getattr(model, 'module', model)  # DDP / TTA wrappers
    if checkpoint is None or not any(True for _ in backbones_from_checkpoint(model)):
        return
    check_checkpoint_covers_frozen(model, checkpoint_state_keys(checkpoint), checkpoint)
