# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from mmrgbir.registry import TRANSFORMS, register_lazy
from .formatting import PackRGBXSegInputs, check_stacked_channels
from .loading import LoadRGBXImageFromFile
from .modality_only import ModalityOnly
from .multimodal_loading import LoadMultiModalImageFromFile
from .rgbx_resize import RGBXRandomResize
from .robustness import ModalityCorruption, RandomModalityDropout, RandomXMisalignment
from .sod_loading import LoadSODAnnotations
from .stacked_loading import LoadStackedRGBXImageFromFile
from .wrappers import RGBOnly, XOnly

# Detection transforms import mmdet: registered here, imported on first use.
for _name in ('PackRGBXDetInputs', 'RGBXPad'):
    register_lazy(TRANSFORMS, _name, 'mmrgbir.datasets.transforms.det_transforms')

__all__ = ['LoadMultiModalImageFromFile', 'LoadRGBXImageFromFile', 'LoadSODAnnotations',
           'LoadStackedRGBXImageFromFile', 'ModalityCorruption', 'ModalityOnly',
           'PackRGBXSegInputs', 'RGBOnly', 'RGBXRandomResize', 'RandomModalityDropout',
           'RandomXMisalignment', 'XOnly', 'check_stacked_channels']
