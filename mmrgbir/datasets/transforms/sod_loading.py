# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Binary salient-object masks, read as 0 / 1."""
import numpy as np
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

from .loading import decode_image, read_bytes


def binarize_sod_mask(mask: np.ndarray, path: str, threshold: int = 128) -> np.ndarray:
    """(H, W) mask -> (H, W) uint8 in {0, 1}, by the rule of :class:`LoadSODAnnotations`.

    Accepted encodings: 0 / 1 (kept), 0 / 255 on 8 bits and 0 / 65535 on 16 bits
    (possibly anti-aliased: any value of 0..full scale, thresholded at ``threshold``
    on the 8-bit scale). Anything else (e.g. class ids 0 / 1 / 2, or a mask whose
    maximum is neither 1 nor full scale) is ambiguous and raises, naming ``path``.
    An all-zero mask (no salient object) is valid.
    """
    if mask.dtype not in (np.uint8, np.uint16):
        raise TypeError(f'SOD mask {path} has dtype {mask.dtype}; expected an 8- or 16-bit '
                        f'0/1 or 0/255 mask')
    full = 65535 if mask.dtype == np.uint16 else 255
    top = int(mask.max()) if mask.size else 0
    if top <= 1:  # 0 / 1 (or empty): already binary
        return mask.astype(np.uint8)
    if top == full:  # 0 / 255 (0 / 65535), anti-aliased edges allowed
        thr = threshold * (257 if full == 65535 else 1)
        return (mask >= thr).astype(np.uint8)
    values = np.unique(mask)
    shown = ', '.join(str(int(v)) for v in values[:8]) + (', ...' if len(values) > 8 else '')
    raise ValueError(
        f'SOD mask {path} has values {{{shown}}} (max {top}); expected a binary mask '
        f'stored as 0/1 or 0/{full} (anti-aliased 0..{full} edges allowed). Re-save the '
        f'mask with salient = {full} (or 1) and background = 0.')


@TRANSFORMS.register_module()
class LoadSODAnnotations(LoadAnnotations):
    """Load a salient-object mask as 0 / 1.

    Masks stored as 0 / 1 are kept; masks stored as 0 / 255 (0 / 65535 for 16-bit),
    possibly anti-aliased, are thresholded: pixels ``>= threshold`` (on the 8-bit
    scale) are salient. Any other value range is an error naming the file (it
    would otherwise load as an empty or wrong mask). A 3-channel mask must have
    identical channels.

    Added keys: ``gt_seg_map`` (H, W) uint8 in {0, 1}, appended to ``seg_fields``.
    """

    def __init__(self, threshold: int = 128, **kwargs) -> None:
        kwargs.setdefault('reduce_zero_label', None)
        super().__init__(**kwargs)
        if not 1 <= threshold <= 255:
            raise ValueError(f'LoadSODAnnotations: threshold must be in 1..255 (8-bit '
                             f'scale), got {threshold}')
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
        results['gt_seg_map'] = binarize_sod_mask(mask, path, self.threshold)
        results['seg_fields'].append('gt_seg_map')
