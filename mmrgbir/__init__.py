# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""mmrgbir: RGB + thermal / depth perception on stock mmsegmentation and mmdetection.

``import mmrgbir`` (or ``custom_imports=dict(imports=['mmrgbir'])`` in a config)
registers every component. It imports mmseg but never mmdet: detection classes are
registered lazily and imported on first use (see :mod:`mmrgbir.registry`).
"""
from .version import __version__
from .utils import patch_checkpoint_loading

patch_checkpoint_loading()

from . import structures  # noqa: E402,F401
from . import datasets, engine, evaluation, models, visualization  # noqa: E402,F401

__all__ = ['__version__']
