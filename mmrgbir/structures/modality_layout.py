# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""The modality layout: which channels of the stacked image are RGB and which are X.

The loader writes it, the packing step puts it into each data sample's metainfo, and
backbones / visualizers read it. It is a plain dict in results and metainfo (so that it
pickles, collates and prints), and this module is the one place that builds and reads it.
"""
from typing import Dict, List, Tuple

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


# ---- any number of modalities: [RGB | M1 | M2 | ...] ----
#
# A layout of N modalities keeps the two-modality keys, with ``x`` spanning every
# channel after RGB (so everything written for [RGB | X] -- packing checks, ``XOnly``,
# the preprocessors' ``x_mean`` / ``x_std``, one value per X channel -- keeps working),
# and adds ``modalities``: the ordered parts, each ``dict(name, channels=(start, end),
# kind, dtype)``. Two-modality layouts without that key read as ``rgb`` + one part
# named after their ``x_kind``.


def make_multimodal_layout(parts, rgb_channels: int = 3) -> Dict:
    """Layout of ``[RGB | part_1 | ... | part_k]``.

    Args:
        parts: ordered ``(name, channels, kind, dtype)`` of the modalities after RGB,
            e.g. ``[('thermal', 1, 'thermal', 'uint8'), ('depth', 1, 'depth', 'uint16')]``.
            Names must be unique and not 'rgb' or 'x'.
        rgb_channels: channels of the RGB part (3).
    """
    parts = [tuple(p) for p in parts]
    if not parts:
        raise ValueError('a multimodal layout needs at least one modality after RGB')
    names = [p[0] for p in parts]
    for name in names:
        if name in ('rgb', 'x') or not isinstance(name, str) or not name:
            raise ValueError(f"modality names must be non-empty and not 'rgb' / 'x', "
                             f'got {name!r}')
    if len(set(names)) != len(names):
        raise ValueError(f'modality names must be unique, got {names}')
    modalities = [dict(name='rgb', channels=(0, rgb_channels), kind='rgb', dtype='uint8')]
    start = rgb_channels
    for name, channels, kind, dtype in parts:
        if kind not in X_KINDS:
            raise ValueError(f'modality {name!r}: kind must be one of {X_KINDS}, '
                             f'got {kind!r}')
        if int(channels) < 1:
            raise ValueError(f'modality {name!r}: channels must be >= 1, got {channels}')
        modalities.append(dict(name=name, channels=(start, start + int(channels)),
                               kind=kind, dtype=str(dtype)))
        start += int(channels)
    x_kind = parts[0][2] if len(parts) == 1 else 'x'
    x_dtypes = {str(p[3]) for p in parts}
    x_dtype = x_dtypes.pop() if len(x_dtypes) == 1 else 'float32'
    layout = make_layout(start - rgb_channels, x_kind, x_dtype, rgb_channels)
    layout['modalities'] = modalities
    return layout


def modality_parts(layout: Dict) -> List[Dict]:
    """The ordered parts ``dict(name, channels, kind, dtype)``, RGB first."""
    if 'modalities' in layout:
        return [dict(p) for p in layout['modalities']]
    return [dict(name='rgb', channels=tuple(layout['rgb']), kind='rgb', dtype='uint8'),
            dict(name=layout.get('x_kind', 'x'), channels=tuple(layout['x']),
                 kind=layout.get('x_kind', 'x'), dtype=layout.get('x_dtype', 'uint8'))]


def modality_names(layout: Dict) -> List[str]:
    """Names of the parts, RGB first, e.g. ``['rgb', 'thermal', 'depth']``."""
    return [p['name'] for p in modality_parts(layout)]


def find_modality(layout: Dict, name: str) -> Dict:
    """The part called ``name``; ``'x'`` is every channel after RGB."""
    if name == 'x':
        return dict(name='x', channels=tuple(layout['x']), kind=layout.get('x_kind', 'x'),
                    dtype=layout.get('x_dtype', 'uint8'))
    for part in modality_parts(layout):
        if part['name'] == name:
            return part
    raise KeyError(f"no modality {name!r} in this sample; it has "
                   f"{modality_names(layout) + ['x']}")


def modality_slice(layout: Dict, name: str) -> slice:
    """Channel slice of the part called ``name`` ('rgb', 'x' or a modality name)."""
    return slice(*find_modality(layout, name)['channels'])
