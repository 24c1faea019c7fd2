# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Adapter-only checkpoints: the trainable part of a frozen-backbone model.

A frozen-backbone model (UniRGB-IR, DPLNet, IV-tuning) trains a few million parameters
on top of a foundation model of 85-300 M parameters that never changes. An adapter
checkpoint stores only what training changed, plus the name and SHA-256 of the base
weights it was trained on, so that it is loaded onto the right foundation model:

.. code-block:: python

    {'meta': {'format': 'mmrgbir-adapter/1', 'mmrgbir_version': '0.1.0',
              'model_type': 'EncoderDecoder',
              'base_weights': {'name': 'vit-b.pth', 'sha256': '...'} or None,
              'trainable_names': [...], 'buffer_names': [...],
              'num_params': 8_900_000, 'num_total_params': 94_000_000, ...},
     'state_dict': {name: tensor}}   # trainable parameters + their modules' buffers

What is saved (:func:`adapter_state_dict`):

* every parameter with ``requires_grad=True``;
* the persistent buffers of a module whose own parameters train (e.g. the running
  statistics of a trainable BatchNorm), and of a parameter-free module (e.g. a
  BatchNorm without affine) whose nearest ancestor with parameters trains entirely.
  Buffers of frozen modules (frozen BatchNorms are kept in eval mode by
  :class:`~mmrgbir.models.utils.freeze.FrozenBackboneMixin`) are part of the base.

The file holds tensors and plain Python values only and loads with
``torch.load(..., weights_only=True)``.
"""
import hashlib
import logging
import os
import os.path as osp
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

FORMAT = 'mmrgbir-adapter/1'


def sha256_file(path: str, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file (read in chunks: base checkpoints are hundreds of MB)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'base weights not found: {path}')
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk_size), b''):
            digest.update(block)
    return digest.hexdigest()


def describe_base_weights(path: Optional[str]) -> Optional[Dict[str, str]]:
    """``{'name': file name, 'sha256': hex digest}`` of the base file, or None."""
    if path is None:
        return None
    return dict(name=osp.basename(path), sha256=sha256_file(path))


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if is_model_wrapper(model) else model


def _module_trains(module: nn.Module, cache: Dict[int, Optional[bool]]) -> Optional[bool]:
    """True / False when all / not all of a module's parameters (recursively) train;
    None when it has no parameters."""
    key = id(module)
    if key not in cache:
        flags = [p.requires_grad for p in module.parameters()]
        cache[key] = all(flags) if flags else None
    return cache[key]


def adapter_buffer_names(model: nn.Module) -> List[str]:
    """Names (as in ``model.state_dict()``) of the buffers that belong to the adapter.

    A module's persistent buffers are included when one of its own (non-recursive)
    parameters trains, or, for a module without own parameters, when the nearest
    ancestor that has parameters has only trainable ones.
    """
    cache: Dict[int, Optional[bool]] = {}
    modules = dict(model.named_modules(remove_duplicate=False))
    names = []
    seen = set()
    for mod_name, module in model.named_modules(remove_duplicate=False):
        own_buffers = [(n, b) for n, b in module.named_buffers(recurse=False)
                       if b is not None and n not in module._non_persistent_buffers_set]
        if not own_buffers:
            continue
        own_params = list(module.parameters(recurse=False))
        if own_params:
            include = any(p.requires_grad for p in own_params)
        else:
            include = False
            parts = mod_name.split('.') if mod_name else []
            for depth in range(len(parts), -1, -1):  # the module itself, then ancestors
                verdict = _module_trains(modules['.'.join(parts[:depth])], cache)
                if verdict is not None:
                    include = verdict
                    break
        if include:
            for n, b in own_buffers:
                if id(b) in seen:
                    continue
                seen.add(id(b))
                names.append(f'{mod_name}.{n}' if mod_name else n)
    return names


def adapter_state_dict(model: nn.Module) -> 'OrderedDict[str, torch.Tensor]':
    """The trainable parameters and adapter buffers of ``model`` (detached, on CPU)."""
    model = _unwrap(model)
    wanted = {n for n, p in model.named_parameters() if p.requires_grad}
    wanted.update(adapter_buffer_names(model))
    state = model.state_dict()
    missing = wanted - set(state)
    if missing:  # a trainable tensor that state_dict() does not export cannot be saved
        raise RuntimeError(f'trainable tensors missing from state_dict(): {sorted(missing)}')
    return OrderedDict((k, v.detach().cpu().clone()) for k, v in state.items() if k in wanted)


def save_adapter_checkpoint(model: nn.Module, path: str, base_weights: Optional[str] = None,
                            extra_meta: Optional[dict] = None,
                            base_info: Optional[Dict[str, str]] = None) -> dict:
    """Save the trainable part of ``model`` to ``path``.

    Args:
        model: the model (a model wrapper such as DDP is unwrapped).
        path: output file (``.pth``); parent folders are created.
        base_weights: path of the frozen base checkpoint the adapter was trained on;
            its file name and SHA-256 are recorded.
        extra_meta: more plain values to store under ``meta`` (e.g. ``iter``).
        base_info: a precomputed :func:`describe_base_weights` result (the hook
            hashes the base file once), used instead of ``base_weights``.

    Returns:
        The ``meta`` dict that was written.
    """
    model = _unwrap(model)
    from mmrgbir.version import __version__
    state = adapter_state_dict(model)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    trainable_set = set(trainable)
    buffers = [n for n in state if n not in trainable_set]
    num_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    meta = dict(format=FORMAT, mmrgbir_version=__version__, torch_version=str(torch.__version__),
                model_type=type(model).__name__,
                base_weights=base_info if base_info is not None
                else describe_base_weights(base_weights),
                trainable_names=trainable, buffer_names=buffers, num_params=int(num_params),
                num_total_params=int(sum(p.numel() for p in model.parameters())))
    if extra_meta:
        meta.update(extra_meta)
    parent = osp.dirname(osp.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = path + '.tmp'
    torch.save(dict(meta=meta, state_dict=state), tmp)
    os.replace(tmp, path)  # never leave a half-written checkpoint under the real name
    return meta


@dataclass
class AdapterLoadReport:
    """What :func:`load_adapter_checkpoint` did.

    ``missing``: trainable parameters of the model that the file does not hold (they
    keep their current values); ``unexpected``: file entries the model does not have;
    ``loaded``: the names that were loaded; ``meta``: the file's meta.
    """

    loaded: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


class BaseWeightsMismatchError(ValueError):
    """The base weights given do not match those the adapter was trained on."""


def check_base_weights(meta: dict, base_weights: Optional[str], adapter_path: str = '') -> None:
    """Compare the recorded base-weights hash with the file ``base_weights``.

    Raises :class:`BaseWeightsMismatchError` on a different hash; warns when either
    side is unknown (nothing can be verified).
    """
    recorded = meta.get('base_weights')
    if base_weights is None:
        if recorded:
            print_log(f'{adapter_path}: trained on base weights {recorded["name"]} '
                      f'(sha256 {recorded["sha256"]}); pass base_weights=<path> to verify '
                      f'that the model holds them', logger='current', level=logging.WARNING)
        return
    if not recorded:
        print_log(f'{adapter_path}: no base weights recorded in the adapter checkpoint; '
                  f'cannot verify {base_weights}', logger='current', level=logging.WARNING)
        return
    actual = sha256_file(base_weights)
    if actual != recorded['sha256']:
        raise BaseWeightsMismatchError(
            f'adapter checkpoint {adapter_path} was trained on base weights '
            f'{recorded["name"]} (sha256 {recorded["sha256"]}), but {base_weights} has '
            f'sha256 {actual}: the adapter does not belong to these base weights '
            f'(pass check_sha=False to load anyway)')


def read_adapter_checkpoint(path: str) -> dict:
    """Read an adapter checkpoint (``{'meta', 'state_dict'}``) and check its format."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'adapter checkpoint not found: {path}')
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    if not isinstance(ckpt, dict) or 'state_dict' not in ckpt or \
            ckpt.get('meta', {}).get('format') != FORMAT:
        raise ValueError(f'{path} is not an mmrgbir adapter checkpoint ({FORMAT}); '
                         f'a full checkpoint loads with load_from / load_checkpoint')
    return ckpt


def load_adapter_checkpoint(model: nn.Module, path: str, base_weights: Optional[str] = None,
                            check_sha: bool = True, strict: bool = False
                            ) -> AdapterLoadReport:
    """Load an adapter checkpoint into a model that already holds its base weights.

    Args:
        model: the model, with the frozen base weights loaded (e.g. by its backbone's
            ``pretrained`` / ``init_weights`` or ``load_from``).
        path: the adapter checkpoint.
        base_weights: the base file the model's frozen weights come from; with
            ``check_sha`` its SHA-256 must equal the recorded one.
        check_sha: verify the base weights (a mismatch raises
            :class:`BaseWeightsMismatchError`).
        strict: raise ``KeyError`` when a trainable parameter of the model is not in
            the file or the file has entries the model lacks (always logged).

    Returns:
        An :class:`AdapterLoadReport`.
    """
    model = _unwrap(model)
    ckpt = read_adapter_checkpoint(path)
    meta, state = ckpt['meta'], ckpt['state_dict']
    if check_sha:
        check_base_weights(meta, base_weights, path)
    own = model.state_dict()
    unexpected = [k for k in state if k not in own]
    mismatched = [f'{k}: file {tuple(v.shape)} vs model {tuple(own[k].shape)}'
                  for k, v in state.items() if k in own and v.shape != own[k].shape]
    if mismatched:
        raise ValueError(f'{path}: tensors of another shape than the model\'s: {mismatched}')
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    missing = [n for n in trainable if n not in state]
    report = AdapterLoadReport(loaded=[k for k in state if k in own], missing=missing,
                               unexpected=unexpected, meta=meta)
    if missing or unexpected:
        msg = (f'{path}: {len(missing)} trainable parameter(s) of the model not in the '
               f'file (they keep their values): {missing[:10]}; {len(unexpected)} '
               f'unexpected entr(y/ies): {unexpected[:10]}')
        if strict:
            raise KeyError(msg)
        print_log(msg, logger='current', level=logging.WARNING)
    model.load_state_dict({k: state[k] for k in report.loaded}, strict=False)
    return report


__all__ = ['FORMAT', 'sha256_file', 'describe_base_weights', 'adapter_buffer_names',
           'adapter_state_dict', 'save_adapter_checkpoint', 'load_adapter_checkpoint',
           'read_adapter_checkpoint', 'check_base_weights', 'AdapterLoadReport',
           'BaseWeightsMismatchError']
