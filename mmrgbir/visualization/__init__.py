# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .panels import colorize_label, overlay, side_by_side, x_to_display

__all__ = ['colorize_label', 'overlay', 'side_by_side', 'x_to_display']
