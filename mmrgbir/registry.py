# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Where mmrgbir registers its components.

Components that both hosts use (transforms, backbones, necks, metrics, hooks) are
registered in mmengine's root registries. mmseg's and mmdet's registries are children
of these roots, so a config with ``default_scope='mmseg'`` or ``'mmdet'`` finds them
by their plain names, next to the stock classes (see docs/design.md).

Classes that subclass mmseg types (the segmentation preprocessor, datasets, metric
wrappers) register into ``mmseg.registry``; classes that subclass mmdet types are
defined in modules that import mmdet and are *not* imported by ``import mmrgbir``, so
segmentation never imports mmdet. Their public names are registered in the root as
lazy builders (:func:`register_lazy`) that import the defining module on first use.
"""
import importlib

from mmengine.registry import DATASETS, HOOKS, METRICS, MODELS, TRANSFORMS, VISUALIZERS

__all__ = ['DATASETS', 'HOOKS', 'METRICS', 'MODELS', 'TRANSFORMS', 'VISUALIZERS',
           'register_lazy']


def register_lazy(registry, name: str, module: str) -> None:
    """Register ``module.name`` under ``name`` without importing ``module`` now.

    The registered object is a function that imports ``module`` (which also
    registers the real class in its host registry) and builds ``name`` from it.
    """

    def build(*args, **kwargs):
        cls = getattr(importlib.import_module(module), name)
        return cls(*args, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__module__ = module
    build.__doc__ = f'Builds :class:`{module}.{name}` (imported on first use).'
    registry.register_module(name=name, module=build)
