# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .panels import colorize_label, overlay, side_by_side, x_to_display
from .rgbx_visualizer import RGBXLocalVisualizer, render_sample

__all__ = ['RGBXLocalVisualizer', 'colorize_label', 'overlay', 'render_sample',
           'side_by_side', 'x_to_display']
