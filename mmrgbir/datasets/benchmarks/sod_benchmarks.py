# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""RGB-thermal salient-object-detection benchmarks: VT5000, VT1000, VT821.

Each set stores ``RGB/``, ``T/`` (thermal) and ``GT/`` (0 / 255 masks) under shared
base names, with suffixes that differ between folders and sets (``.jpg``, ``.png``,
``.bmp``): files are matched by stem whatever their image suffix. The standard
protocol trains on VT5000-train and tests on VT5000-test, VT1000 and VT821.
"""
from mmseg.registry import DATASETS

from ..rgbx_seg import RGBXSODDataset
from .folder_layout import BenchmarkLayoutMixin

__all__ = ['VT5000Dataset', 'VT1000Dataset', 'VT821Dataset']


class _VTBenchmark(BenchmarkLayoutMixin, RGBXSODDataset):
    """Folders ``RGB/``, ``T/``, ``GT/`` matched by stem (any image suffix)."""

    DEFAULT_PREFIX = dict(img_path='RGB', x_path='T', seg_map_path='GT')
    X_KIND = 'thermal'
    ANY_SUFFIX = True


@DATASETS.register_module()
class VT5000Dataset(_VTBenchmark):
    """VT5000 (Tu et al., TMM 2022): 5,000 aligned pairs, 2,500 ``Train`` / 2,500 ``Test``.

    ``split='train'`` / ``'test'`` read ``data_root/Train`` / ``data_root/Test``.
    """

    SPLIT_FOLDERS = dict(train='Train', test='Test')


@DATASETS.register_module()
class VT1000Dataset(_VTBenchmark):
    """VT1000 (Tu et al., TMM 2019): 1,000 pairs, test only (``RGB/``, ``T/``, ``GT/``)."""


@DATASETS.register_module()
class VT821Dataset(_VTBenchmark):
    """VT821 (Wang et al., IGTA 2018): 821 pairs, test only (``RGB/``, ``T/``, ``GT/``)."""
