# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Load foreign pretrained weights from local files into our modules.

Each checkpoint format is mapped to our parameter names by one function (a
``key_map``: ``state_dict -> state_dict``); :func:`load_pretrained` does the file
handling, the unwrapping, the shape checks and the report of missing and unexpected
keys. A missing file is an error, never a silent random initialisation.
"""
import os.path as osp
from typing import Callable, Dict, List, NamedTuple, Optional

import torch
import torch.nn as nn
from mmengine.logging import MMLogger, print_log

StateDict = Dict[str, torch.Tensor]


class LoadReport(NamedTuple):
    missing: List[str]       # in the model, not in the (mapped) checkpoint
    unexpected: List[str]    # in the checkpoint, not in the model
    mismatched: List[str]    # present in both with different shapes (not loaded)
    loaded: int              # number of tensors copied


def read_state_dict(path: str) -> StateDict:
    """Read a state dict from a ``.pth`` / ``.pt`` / ``.bin`` / ``.safetensors`` file.

    Common wrappers (``state_dict``, ``model``, ``module``, ``model_ema``) and a
    ``module.`` prefix from DataParallel are removed.
    """
    path = osp.expanduser(str(path))
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'pretrained weights not found: {path} (mmrgbir never downloads weights; '
            f'put the file there or set the path in the config)')
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        ckpt = load_file(path)
    else:
        try:
            ckpt = torch.load(path, map_location='cpu', weights_only=True)
        except Exception:  # noqa: BLE001 - e.g. mmengine checkpoints with message_hub
            ckpt = torch.load(path, map_location='cpu', weights_only=False)
    if not isinstance(ckpt, dict):
        raise TypeError(f'{path}: expected a dict of tensors, got {type(ckpt).__name__}')
    for key in ('state_dict', 'model', 'module', 'model_ema'):
        if key in ckpt and isinstance(ckpt[key], dict):
            ckpt = ckpt[key]
            break
    if ckpt and all(k.startswith('module.') for k in ckpt):
        ckpt = {k[len('module.'):]: v for k, v in ckpt.items()}
    return {k: v for k, v in ckpt.items() if isinstance(v, torch.Tensor)}


def load_pretrained(module: nn.Module, path: str,
                    key_map: Optional[Callable[[StateDict], StateDict]] = None,
                    prefix: str = '', logger: Optional[MMLogger] = None,
                    strict: bool = False) -> LoadReport:
    """Load weights from ``path`` into ``module`` (or into its ``prefix`` sub-part).

    Args:
        module: target module.
        path: local file.
        key_map: maps the checkpoint's names to ours (one function per format).
        prefix: prepended to the mapped names, e.g. ``'vit.'`` to load a plain
            ViT checkpoint into the frozen part of an adapter backbone. Only the
            model keys under this prefix count as missing.
        strict: raise if anything under ``prefix`` is missing or mismatched.
    """
    state = read_state_dict(path)
    if key_map is not None:
        state = key_map(state)
    state = {prefix + k: v for k, v in state.items()}
    own = module.state_dict()
    loaded, mismatched, unexpected = {}, [], []
    for k, v in state.items():
        if k not in own:
            unexpected.append(k)
        elif own[k].shape != v.shape:
            mismatched.append(f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}')
        else:
            loaded[k] = v
    missing = [k for k in own if k.startswith(prefix) and k not in loaded]
    module.load_state_dict(loaded, strict=False)
    report = LoadReport(missing, unexpected, mismatched, len(loaded))
    msg = (f'loaded {len(loaded)} tensors from {path} into {type(module).__name__}'
           f'{" under " + repr(prefix) if prefix else ""}; missing {len(missing)}, '
           f'unexpected {len(unexpected)}, shape mismatch {len(mismatched)}')
    details = ''
    for title, keys in (('missing', missing), ('unexpected', unexpected),
                        ('shape mismatch', mismatched)):
        if keys:
            shown = keys[:20]
            details += f'\n  {title} ({len(keys)}): {shown}' + (' ...' if len(keys) > 20 else '')
    print_log(msg + details, logger=logger or 'current')
    if strict and (missing or mismatched):
        raise KeyError(msg + details)
    if not loaded:
        raise KeyError(f'no tensor of {path} matches {type(module).__name__}: wrong '
                       f'format or key map?{details}')
    return report
