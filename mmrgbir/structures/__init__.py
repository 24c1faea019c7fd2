# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .modality_layout import (X_KINDS, make_layout, num_channels, rgb_slice,
                              split_channels, x_slice)

__all__ = ['X_KINDS', 'make_layout', 'num_channels', 'rgb_slice', 'split_channels',
           'x_slice']
