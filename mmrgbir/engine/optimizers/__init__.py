# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .layer_decay_constructor import ViTLayerDecayOptimWrapperConstructor, vit_layer_id

__all__ = ['ViTLayerDecayOptimWrapperConstructor', 'vit_layer_id']
