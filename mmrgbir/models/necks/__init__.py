# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .fusion import (AddFusion, CMXFusion, ConcatFusion, CrossModalAttentionFusion,
                     CrossModalRectification)
from .hub_fusion import CMNeXtFusion, SelfQueryHub
from .simple_fpn import SimpleFeaturePyramid

__all__ = ['AddFusion', 'CMNeXtFusion', 'CMXFusion', 'ConcatFusion',
           'CrossModalAttentionFusion', 'CrossModalRectification', 'SelfQueryHub',
           'SimpleFeaturePyramid']
