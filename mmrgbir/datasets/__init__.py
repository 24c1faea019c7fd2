# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from mmrgbir.registry import DATASETS, register_lazy
from .pipeline_check import check_rgbx_pipeline
from .rgbx_seg import RGBXSegDataset, RGBXSODDataset
from .transforms import *  # noqa: F401,F403

# COCO-format detection datasets import mmdet: registered here, imported on first use.
register_lazy(DATASETS, 'RGBXCocoDataset', 'mmrgbir.datasets.rgbx_coco')

__all__ = ['RGBXSegDataset', 'RGBXSODDataset', 'check_rgbx_pipeline']
