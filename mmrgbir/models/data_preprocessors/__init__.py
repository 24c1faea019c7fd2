# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
# RGBXDetDataPreprocessor lives in det_data_preprocessor.py (imports mmdet); it is
# registered lazily in mmrgbir/det.py so that segmentation never imports mmdet.
from .normalize import RGBXNormalizer
from .seg_data_preprocessor import RGBXSegDataPreProcessor

__all__ = ['RGBXNormalizer', 'RGBXSegDataPreProcessor']
