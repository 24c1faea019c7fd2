# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Public RGB-X benchmarks: segmentation, salient-object detection and detection.

The segmentation and SOD classes register in mmseg's registry on import; the
detection classes import mmdet, so they are registered here by name and imported on
first use (``import mmrgbir`` never imports mmdet).
"""
from mmrgbir.registry import DATASETS, register_lazy
from .seg_benchmarks import (FMBDataset, MFNetDataset, NYUDv2Dataset, PST900Dataset,
                             SUNRGBDDataset)
from .sod_benchmarks import VT821Dataset, VT1000Dataset, VT5000Dataset

DET_BENCHMARKS = ('FLIRAlignedDataset', 'LLVIPDataset', 'M3FDDataset', 'KAISTDataset')
for _name in DET_BENCHMARKS:
    register_lazy(DATASETS, _name, 'mmrgbir.datasets.benchmarks.det_benchmarks')

__all__ = ['MFNetDataset', 'PST900Dataset', 'FMBDataset', 'NYUDv2Dataset', 'SUNRGBDDataset',
           'VT5000Dataset', 'VT1000Dataset', 'VT821Dataset', 'DET_BENCHMARKS']
