# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Checkpoint converters of ``tools/model_converters``: one module per source format,
each a key map plus the checks of :mod:`mmrgbir.models.utils.weight_conversion`."""
from .dplnet import convert_dplnet  # noqa: F401
from .eva import convert_eva02  # noqa: F401
from .mit import convert_mit  # noqa: F401
from .swin import convert_mmdet_swin  # noqa: F401
from .unirgbir import convert_unirgbir  # noqa: F401
from .vit import convert_vit  # noqa: F401
