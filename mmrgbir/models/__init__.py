# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .decode_heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
from mmrgbir.registry import MODELS, register_lazy

# Detection preprocessor: imports mmdet, so it is only imported on first use.
register_lazy(MODELS, 'RGBXDetDataPreprocessor',
              'mmrgbir.models.data_preprocessors.det_data_preprocessor')
