# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
# RGBXDetDataPreprocessor lives in det_data_preprocessor.py (imports mmdet); it is
# registered lazily in mmrgbir/det.py so that segmentation never imports mmdet.
from .normalize import RGBXNormalizer
from .seg_data_preprocessor import RGBXSegDataPreProcessor
from .stock_check import check_rgbx_preprocessor, install_stock_preprocessor_check

# a stock SegDataPreProcessor / DetDataPreprocessor given stacked RGB-X samples raises
install_stock_preprocessor_check()

__all__ = ['RGBXNormalizer', 'RGBXSegDataPreProcessor', 'check_rgbx_preprocessor',
           'install_stock_preprocessor_check']
