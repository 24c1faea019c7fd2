# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Apply transforms to one named modality of a stacked multimodal image."""
from typing import List, Union

from mmrgbir.registry import TRANSFORMS
from mmrgbir.structures import find_modality, modality_slice
from .wrappers import RGBOnly, XOnly


@TRANSFORMS.register_module()
class ModalityOnly(XOnly):
    """``XOnly`` for one modality of ``[RGB | M1 | M2 | ...]``, chosen by name.

    ``ModalityOnly(modality='depth', transforms=[...])`` runs the transforms on the
    depth channels only; ``'x'`` means every channel after RGB (= ``XOnly``) and
    ``'rgb'`` the RGB part (= ``RGBOnly``, with its 8-bit handling). The same rules as
    for ``XOnly`` apply: no geometric transform inside (it would misalign the
    modalities), no 8-bit-only transform on 16-bit data.

    Args:
        modality: a name of the sample's modality layout ('thermal', 'depth', ...),
            'x' or 'rgb'.
        transforms: the wrapped transforms.
    """

    def __init__(self, modality: str, transforms: List[Union[dict, callable]]) -> None:
        if not isinstance(modality, str) or not modality:
            raise ValueError(f'ModalityOnly: modality must be a name, got {modality!r}')
        super().__init__(transforms)
        self.modality = modality
        self.part = modality
        # 'rgb' behaves exactly as RGBOnly
        self._rgb = RGBOnly(transforms) if modality == 'rgb' else None

    def _slice(self, layout: dict) -> slice:
        return modality_slice(layout, self.modality)

    def _stored_dtype(self, layout: dict, part) -> str:
        # the modality's own file dtype: an 8-bit thermal part of a float32 stack
        # (next to 16-bit depth) is still 8-bit data
        return str(find_modality(layout, self.modality).get('dtype', part.dtype))

    def transform(self, results: dict):
        if self._rgb is not None:
            return self._rgb.transform(results)
        return super().transform(results)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(modality={self.modality!r}, transforms={self.transforms})'
