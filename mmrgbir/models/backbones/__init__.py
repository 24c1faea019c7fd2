# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .dplnet_mit import DPLNetMiT
from .dual_stream import DualStreamBackbone, SingleModalityBackbone
from .ivtuning_swin import IVTuningSwin
from .ivtuning_vit import IVTuningViT
from .multi_stream import MultiStreamBackbone
from .unirgbir_vit import UniRGBIRViT

__all__ = ['DPLNetMiT', 'DualStreamBackbone', 'IVTuningSwin', 'IVTuningViT',
           'MultiStreamBackbone', 'SingleModalityBackbone', 'UniRGBIRViT']
