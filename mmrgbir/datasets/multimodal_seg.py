# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Segmentation datasets of RGB plus any number of pixel-aligned modalities."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmseg.registry import DATASETS

from .rgbx_seg import RGBXSegDataset, check_files_exist


@DATASETS.register_module()
class MultiModalSegDataset(RGBXSegDataset):
    """Folders of RGB images, one folder per extra modality, and label maps.

    Layout (names relative to ``data_root``)::

        modalities=('thermal', 'depth'),
        data_prefix=dict(img_path='rgb', thermal='thermal', depth='depth',
                         seg_map_path='labels')
        rgb/0001.png  thermal/0001.png  depth/0001.png  labels/0001.png

    Each sample gets ``modality_paths = {name: path}`` for
    ``LoadMultiModalImageFromFile``. Everything else (split files, ``label_map``,
    the file checks, the pipeline check) is :class:`RGBXSegDataset`'s.

    Args:
        modalities: the modalities after RGB, in stacking order; each needs a
            ``data_prefix`` entry of the same name.
        modality_suffix: ``{name: suffix}`` (default '.png' for every modality).
        **kwargs: the arguments of :class:`RGBXSegDataset` (not ``x_suffix`` /
            ``x_kind``: they describe a single X modality).
    """

    def __init__(self, modalities: Sequence[str],
                 modality_suffix: Optional[Dict[str, str]] = None, **kwargs) -> None:
        for key in ('x_suffix', 'x_kind'):
            if key in kwargs:
                raise ValueError(f'MultiModalSegDataset: {key} describes one X modality; '
                                 f'use modalities=[...] and modality_suffix={{name: '
                                 f'suffix}}')
        self.modalities = tuple(modalities)
        if not self.modalities or len(set(self.modalities)) != len(self.modalities):
            raise ValueError(f'MultiModalSegDataset: modalities must be a non-empty list '
                             f'of unique names, got {list(modalities)}')
        suffix = dict(modality_suffix or {})
        unknown = sorted(set(suffix) - set(self.modalities))
        if unknown:
            raise KeyError(f'MultiModalSegDataset: modality_suffix names {unknown}, not in '
                           f'modalities={list(self.modalities)}')
        self.modality_suffix = {m: suffix.get(m, '.png') for m in self.modalities}
        prefix = kwargs.get('data_prefix') or {}
        missing = [m for m in self.modalities if m not in prefix]
        if missing:
            raise KeyError(f'MultiModalSegDataset: data_prefix needs a folder for each '
                           f'modality; missing {missing} in {dict(prefix)}')
        if 'x_path' in prefix:
            raise KeyError('MultiModalSegDataset: give one data_prefix entry per modality '
                           f'name ({list(self.modalities)}), not x_path')
        # the parent reads the first modality as its X (x_kind only labels the layout,
        # which LoadMultiModalImageFromFile rewrites)
        kwargs['data_prefix'] = dict(prefix, x_path=prefix[self.modalities[0]])
        super().__init__(x_suffix=self.modality_suffix[self.modalities[0]], x_kind='x',
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        first = self.modalities[0]
        x_dir = self.data_prefix['x_path']
        for info in data_list:
            rel = osp.relpath(info['x_path'], x_dir) if x_dir else info['x_path']
            base = rel[:len(rel) - len(self.x_suffix)] if self.x_suffix else rel
            info['modality_paths'] = {
                m: osp.join(self.data_prefix[m], base + self.modality_suffix[m])
                for m in self.modalities}
            assert info['modality_paths'][first] == info['x_path']
            info.pop('x_kind', None)
        if self.check_files:
            flat = [{m: info['modality_paths'][m] for m in self.modalities[1:]}
                    for info in data_list]
            check_files_exist(flat, self.modalities[1:], type(self).__name__,
                              self.backend_args)
        return data_list
