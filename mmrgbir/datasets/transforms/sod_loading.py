# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Binary salient-object masks, read as 0 / 1."""
import numpy as np
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

from .loading import decode_image, read_bytes


@TRANSFORMS.register_module()
class LoadSODAnnotations(LoadAnnotations):
    """Load a saliency mask stored as 0 / 255 (possibly anti-aliased) as 0 / 1.

    Pixels ``>= threshold`` (on the 8-bit scale; 16-bit masks are scaled) are
    salient. A 3-channel mask must have identical channels.

    Added keys: ``gt_seg_map`` (H, W) uint8 in {0, 1}, appended to ``seg_fields``.
    """

    def __init__(self, threshold: int = 128, **kwargs) -> None:
        kwargs.setdefault('reduce_zero_label', None)
        super().__init__(**kwargs)
        self.threshold = threshold

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        mask = decode_image(read_bytes(path, 'SOD mask', self.backend_args), path,
                            'SOD mask', flag='unchanged')
        if mask.ndim == 3:
            if not all(np.array_equal(mask[..., 0], mask[..., c])
                       for c in range(1, mask.shape[2])):
                raise ValueError(f'SOD mask {path} has {mask.shape[2]} different channels; '
                                 f'expected a single-channel (or gray) 0/255 mask')
            mask = mask[..., 0]
        thr = self.threshold * (257 if mask.dtype == np.uint16 else 1)
        results['gt_seg_map'] = (mask >= thr).astype(np.uint8)
        results['seg_fields'].append('gt_seg_map')
