# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Refuse to train or evaluate on a frozen backbone that nobody gives weights to.

A frozen foundation model with random weights trains without complaint and gives
garbage; the loss curve looks like an adapter that learns slowly. Every method
backbone therefore calls :func:`require_frozen_weights` in ``__init__``: without
``pretrained``, or with a ``pretrained`` file that does not exist, the build stops
with the config key to set and the converter that writes the file, unless the config
says where else the weights come from:

``allow_random_frozen=True``
    the frozen part may stay random (unit tests, tiny configs, parameter counting);
``allow_random_frozen='checkpoint'``
    a complete checkpoint loaded after the build (``load_from``, ``--resume``,
    ``tools/test.py CHECKPOINT``, ``init_model(cfg, checkpoint)``) supplies them.
    ``tools/train.py`` / ``tools/test.py`` set this themselves when they are given
    such a checkpoint, and :func:`check_checkpoint_covers_frozen` then verifies that
    the checkpoint really holds every frozen tensor (an adapter-only checkpoint
    does not).
"""
import os.path as osp
from typing import Iterable, List, Optional, Union

import torch.nn as nn

AllowRandomFrozen = Union[bool, str]
_ALLOWED = (False, True, 'checkpoint')


class RandomFrozenWeightsError(ValueError):
    """A frozen backbone would keep its random initialisation."""


def require_frozen_weights(owner: str, pretrained: Optional[str],
                           allow_random_frozen: AllowRandomFrozen, *,
                           weights: str, converter: str) -> None:
    """Raise :class:`RandomFrozenWeightsError` unless the frozen part gets weights.

    Args:
        owner: class name of the backbone (for the message).
        pretrained: the backbone's ``pretrained`` argument.
        allow_random_frozen: ``False`` (default: weights required), ``True`` (random
            on purpose) or ``'checkpoint'`` (a full checkpoint loaded later).
        weights: which published weights the frozen part expects, e.g.
            ``'ViTDet ViT-B COCO (relative-position tables removed)'``.
        converter: the command that writes the file, e.g.
            ``'python tools/model_converters/vitdet2mmrgbir.py SRC DST'``.
    """
    if allow_random_frozen not in _ALLOWED or isinstance(allow_random_frozen, int) and \
            not isinstance(allow_random_frozen, bool):
        raise ValueError(f'{owner}: allow_random_frozen must be False, True or '
                         f"'checkpoint', got {allow_random_frozen!r}")
    if allow_random_frozen:
        return
    if pretrained is not None:
        if osp.isfile(osp.expanduser(str(pretrained))):
            return
        raise RandomFrozenWeightsError(
            f'{owner}: model.backbone.pretrained={pretrained!r} does not exist. Write it '
            f'from {weights} with `{converter}` (docs/methods.md lists where each file '
            f'comes from), or point model.backbone.pretrained at your copy.')
    raise RandomFrozenWeightsError(
        f'{owner}: the frozen backbone has no weights (pretrained=None) and would '
        f'train and evaluate from its random initialisation. Set '
        f'model.backbone.pretrained to a local file of {weights}, converted with '
        f'`{converter}` (docs/methods.md lists where each file comes from). If a '
        f'complete checkpoint provides these weights, use tools/train.py with '
        f'load_from / --resume or tools/test.py CHECKPOINT (they check it), or set '
        f"model.backbone.allow_random_frozen='checkpoint'; for tests and tiny "
        f'configs set model.backbone.allow_random_frozen=True.')


def frozen_state_keys(module: nn.Module, prefix: str = '') -> List[str]:
    """State-dict keys of ``module``'s frozen tensors (parameters without gradient and
    the buffers of submodules whose parameters are all frozen), under ``prefix``."""
    keys = [prefix + n for n, p in module.named_parameters() if not p.requires_grad]
    for mod_name, mod in module.named_modules():
        own = list(mod.parameters(recurse=False))
        if own and any(p.requires_grad for p in own):
            continue
        for b_name, buf in mod.named_buffers(recurse=False):
            if buf is None or b_name in getattr(mod, '_non_persistent_buffers_set', ()):
                continue
            keys.append(prefix + (f'{mod_name}.' if mod_name else '') + b_name)
    return keys


def backbones_from_checkpoint(model: nn.Module) -> Iterable:
    """``(prefix, module)`` of every submodule built with
    ``allow_random_frozen='checkpoint'``."""
    for name, mod in model.named_modules():
        if getattr(mod, 'allow_random_frozen', False) == 'checkpoint':
            yield (f'{name}.' if name else ''), mod


def check_checkpoint_covers_frozen(model: nn.Module, checkpoint_keys: Iterable[str],
                                   checkpoint: str) -> None:
    """Raise :class:`RandomFrozenWeightsError` when ``checkpoint`` lacks a frozen
    tensor of a backbone whose weights it is meant to supply.

    Args:
        model: the built model (unwrapped, keys as in its ``state_dict``).
        checkpoint_keys: the keys of the checkpoint's state dict.
        checkpoint: its path, for the message.
    """
    have = set(checkpoint_keys)
    for prefix, mod in backbones_from_checkpoint(model):
        missing = [k for k in frozen_state_keys(mod, prefix) if k not in have]
        if missing:
            raise RandomFrozenWeightsError(
                f'{checkpoint} lacks {len(missing)} frozen tensors of '
                f'{type(mod).__name__} (e.g. {missing[:5]}), so they would stay '
                f'random. It is not a complete checkpoint of this model (an '
                f'adapter-only checkpoint needs the base weights: set '
                f'model.backbone.pretrained, or use load_adapter_checkpoint).')
