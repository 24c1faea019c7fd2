# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Let mmengine 0.10.7 load the checkpoints its Runner writes, on torch >= 2.6.

torch >= 2.6 loads with ``weights_only=True`` by default and mmengine 0.10.7 calls
``torch.load`` without the argument, so ``load_from`` and ``--resume`` fail on every
Runner checkpoint ("Unsupported global: ... HistoryBuffer"). The fix released
upstream after 0.10.7 passes ``weights_only=False``; we register the same behaviour
for local files. Only load checkpoints you trust (as with any pickle).
"""
import os.path as osp

import torch
from mmengine.runner.checkpoint import CheckpointLoader

_PATCHED = False


def _torch_load_needs_patch() -> bool:
    major, minor = (int(v) for v in torch.__version__.split('+')[0].split('.')[:2])
    return (major, minor) >= (2, 6)


def load_local_checkpoint(filename: str, map_location=None):
    """mmengine's local loader with ``weights_only=False``."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    return torch.load(filename, map_location=map_location, weights_only=False)


def patch_checkpoint_loading() -> None:
    """Register :func:`load_local_checkpoint` for local paths (idempotent)."""
    global _PATCHED
    if _PATCHED or not _torch_load_needs_patch():
        return
    CheckpointLoader.register_scheme(prefixes='', force=True)(load_local_checkpoint)
    _PATCHED = True
