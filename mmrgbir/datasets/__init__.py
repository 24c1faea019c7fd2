# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from mmrgbir.registry import DATASETS, register_lazy
from .pipeline_check import check_rgbx_pipeline
from .rgbx_seg import RGBXSegDataset, RGBXSODDataset
from .multimodal_seg import MultiModalSegDataset
from .benchmarks import (FMBDataset, MFNetDataset, NYUDv2Dataset, PST900Dataset,
                         SUNRGBDDataset, VT821Dataset, VT1000Dataset, VT5000Dataset)
from .transforms import *  # noqa: F401,F403

# COCO-format detection datasets import mmdet: registered here, imported on first use.
register_lazy(DATASETS, 'RGBXCocoDataset', 'mmrgbir.datasets.rgbx_coco')

__all__ = ['FMBDataset', 'MFNetDataset', 'MultiModalSegDataset', 'NYUDv2Dataset',
           'PST900Dataset', 'RGBXSegDataset', 'RGBXSODDataset', 'SUNRGBDDataset',
           'VT1000Dataset', 'VT5000Dataset', 'VT821Dataset', 'check_rgbx_pipeline']
