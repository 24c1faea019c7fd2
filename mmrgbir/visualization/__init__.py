# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .output_paths import OutputPathGuard, image_root_of, relative_output_path
from .panels import colorize_label, overlay, side_by_side, x_to_display
from .rgbx_visualizer import RGBXLocalVisualizer, render_sample

__all__ = ['OutputPathGuard', 'RGBXLocalVisualizer', 'colorize_label', 'image_root_of',
           'overlay', 'relative_output_path', 'render_sample', 'side_by_side',
           'x_to_display']
