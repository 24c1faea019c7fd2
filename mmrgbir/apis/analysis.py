# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Build a config's model and report its trainable / frozen parameters."""
import copy
from typing import Optional, Sequence

import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

from mmrgbir.apis.frozen_weights import allow_random_frozen_weights
from mmrgbir.models.utils.param_report import count_parameters, parameter_table


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``Config.fromfile`` (which imports ``custom_imports``) plus ``--cfg-options``."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_model_from_cfg(cfg: Config) -> nn.Module:
    """Build ``cfg.model`` in the config's default scope (mmseg / mmdet), on the CPU.

    The weights are not initialised (``init_weights`` is not called), so no
    pretrained file is read: parameter counts and ``requires_grad`` flags are fixed
    when the model is constructed, and the frozen backbones are allowed to stay
    random (``allow_random_frozen=True``).
    """
    if 'model' not in cfg:
        raise KeyError('the config has no `model`')
    scope = cfg.get('default_scope', None)
    if scope is not None:
        init_default_scope(scope)
    # mmrgbir registers into mmengine's root registry; the default scope's child
    # registry (mmseg / mmdet) is searched first, then the root.
    model_cfg = copy.deepcopy(cfg.model)
    allow_random_frozen_weights(model_cfg)
    return MODELS.build(model_cfg)


def parameter_report(model: nn.Module, depth: int = 2) -> str:
    """The ParameterReportHook table of ``model`` followed by exact totals."""
    trainable, total = count_parameters(model)
    lines = [f'model: {type(model).__name__}', parameter_table(model, depth), '',
             f'trainable parameters: {trainable:,}',
             f'frozen parameters:    {total - trainable:,}',
             f'total parameters:     {total:,}']
    top = {}
    for name, child in model.named_children():
        t, n = count_parameters(child)
        if n:
            top[name] = (t, n)
    if top:
        lines.append('by top-level module (trainable / total):')
        width = max(len(k) for k in top)
        lines += [f'  {k:<{width}}  {t:>14,} / {n:>14,}' for k, (t, n) in top.items()]
    return '\n'.join(lines)


def count_params(config: str, depth: int = 2, cfg_options: Optional[dict] = None
                 ) -> str:
    """Build the model of the config file ``config`` and return its parameter report."""
    return parameter_report(build_model_from_cfg(load_config(config, cfg_options)), depth)


__all__: Sequence[str] = ['load_config', 'build_model_from_cfg', 'parameter_report',
                          'count_params']
