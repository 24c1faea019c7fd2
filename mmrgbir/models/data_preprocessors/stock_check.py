# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Stop a stock data preprocessor from normalising stacked ``[RGB | X]`` images.

mmseg's ``SegDataPreProcessor`` and mmdet's ``DetDataPreprocessor`` take a mean of
any length, normalise every channel with one mean / std list, and apply
``bgr_to_rgb`` only to 3-channel inputs: on a stacked RGB-X image they silently
leave RGB in BGR order. Those classes are stock code, so the check lives on our
side: the RGB-X packers (``PackRGBXSegInputs`` / ``PackRGBXDetInputs``) record the
``modality_layout`` in every data sample, and a global module forward pre-hook,
installed when mmrgbir is imported, raises when a data preprocessor that is not an
RGB-X one receives such samples. It runs at the first training, validation or
test step of any Runner (``tools/train.py``, mmseg / mmdet tools, ``mim``), before
the model sees a tensor. Its cost is an ``isinstance`` test per module call.

A custom preprocessor that handles stacked inputs itself opts out with the class
attribute ``accepts_rgbx = True``.
"""
from typing import Any, Optional

from mmengine.model import BaseDataPreprocessor
from torch.nn.modules.module import register_module_forward_pre_hook

_HANDLE = None


def _first_metainfo(samples: Any) -> Optional[dict]:
    """Metainfo of the first data sample of a (possibly nested, TTA) list."""
    while isinstance(samples, (list, tuple)) and samples:
        samples = samples[0]
    return getattr(samples, 'metainfo', None)


def suggested_preprocessor(module) -> str:
    names = {cls.__name__ for cls in type(module).__mro__}
    if 'DetDataPreprocessor' in names:
        return 'RGBXDetDataPreprocessor'
    if 'SegDataPreProcessor' in names:
        return 'RGBXSegDataPreProcessor'
    return 'RGBXSegDataPreProcessor (segmentation) or RGBXDetDataPreprocessor (detection)'


def check_rgbx_preprocessor(module, data: Any) -> None:
    """Raise ``TypeError`` if ``module`` is a data preprocessor without RGB-X support
    and ``data`` holds samples packed from stacked RGB-X images."""
    if getattr(module, 'accepts_rgbx', False) or not isinstance(data, dict):
        return
    meta = _first_metainfo(data.get('data_samples'))
    layout = meta.get('modality_layout') if meta else None
    if layout is None:
        return
    x0, x1 = layout['x']
    r0, r1 = layout['rgb']
    suggest = suggested_preprocessor(module)
    raise TypeError(
        f'{type(module).__name__} received stacked RGB-X images ({r1 - r0} RGB + {x1 - x0} '
        f'{layout.get("x_kind", "X")} channels, packed by PackRGBX*Inputs, e.g. '
        f'{meta.get("img_path")}), but this stock data preprocessor normalises every '
        f'channel with one mean / std and skips bgr_to_rgb on inputs of more than 3 '
        f'channels, so RGB would reach the model in BGR order. Use '
        f'model.data_preprocessor=dict(type="{suggest}", mean=[3 RGB values], '
        f'std=[...], x_mean=[{x1 - x0} X value(s)], x_std=[...], bgr_to_rgb=True, ...).')


def _pre_hook(module, args) -> None:
    if args and isinstance(module, BaseDataPreprocessor):
        check_rgbx_preprocessor(module, args[0])


def install_stock_preprocessor_check() -> None:
    """Install the global forward pre-hook (once per process)."""
    global _HANDLE
    if _HANDLE is None:
        _HANDLE = register_module_forward_pre_hook(_pre_hook)
