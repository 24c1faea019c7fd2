# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Import (and so register in mmdet's registries) every detection component now.

``import mmrgbir`` registers these lazily, so configs need only
``custom_imports=dict(imports=['mmrgbir'])``; this module is for code that wants
the classes themselves.
"""
from mmrgbir.datasets.rgbx_coco import RGBXCocoDataset  # noqa: F401
from mmrgbir.datasets.transforms.det_transforms import PackRGBXDetInputs, RGBXPad  # noqa: F401
from mmrgbir.models.data_preprocessors.det_data_preprocessor import \
    RGBXDetDataPreprocessor  # noqa: F401
from mmrgbir.datasets.benchmarks.det_benchmarks import (FLIRAlignedDataset,  # noqa: F401
                                                        KAISTDataset, LLVIPDataset,
                                                        M3FDDataset)
