# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""The modality layout: which channels of the stacked image are RGB and which are X.

The loader writes it, the packing step puts it into each data sample's metainfo, and
backbones / visualizers read it. It is a plain dict in results and metainfo (so that it
pickles, collates and prints), and this module is the one place that builds and reads it.
"""
from typing import Dict, Tuple

X_KINDS = ('thermal', 'depth', 'x')


def make_layout(x_channels: int, x_kind: str = 'thermal', x_dtype: str = 'uint8',
                rgb_channels: int = 3) -> Dict:
    """Build the layout of an image stacked as ``[RGB | X]`` along channels.

    Args:
        x_channels: number of X channels (1 or 3 in practice).
        x_kind: 'thermal', 'depth' or 'x'.
        x_dtype: dtype of the X file as stored ('uint8', 'uint16', 'float32').
        rgb_channels: number of RGB channels (3).
    """
    if x_kind not in X_KINDS:
        raise ValueError(f'x_kind must be one of {X_KINDS}, got {x_kind!r}')
    if x_channels < 1:
        raise ValueError(f'x_channels must be >= 1, got {x_channels}')
    return dict(rgb=(0, rgb_channels), x=(rgb_channels, rgb_channels + x_channels),
                x_kind=x_kind, x_dtype=str(x_dtype), channels=rgb_channels + x_channels)


def rgb_slice(layout: Dict) -> slice:
    """Channel slice of the RGB part."""
    return slice(*layout['rgb'])


def x_slice(layout: Dict) -> slice:
    """Channel slice of the X part."""
    return slice(*layout['x'])


def num_channels(layout: Dict) -> int:
    """Total channel count of the stacked image."""
    return int(layout['channels'])


def split_channels(layout: Dict) -> Tuple[int, int]:
    """``(rgb_channels, x_channels)``."""
    r0, r1 = layout['rgb']
    x0, x1 = layout['x']
    return r1 - r0, x1 - x0
