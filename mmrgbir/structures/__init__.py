# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .modality_layout import (X_KINDS, find_modality, make_layout, make_multimodal_layout,
                              modality_names, modality_parts, modality_slice, num_channels,
                              rgb_slice, split_channels, x_slice)

__all__ = ['X_KINDS', 'find_modality', 'make_layout', 'make_multimodal_layout',
           'modality_names', 'modality_parts', 'modality_slice', 'num_channels',
           'rgb_slice', 'split_channels', 'x_slice']
