# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Semantic segmentation and salient-object datasets of RGB + X folders."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine import fileio
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from mmrgbir.structures import X_KINDS
from .pipeline_check import check_rgbx_pipeline


def format_listing(items: Sequence[str], limit: int = 10) -> str:
    """``items`` as indented lines for an error message, the first ``limit`` of them."""
    more = f'\n  ... and {len(items) - limit} more' if len(items) > limit else ''
    return '\n  ' + '\n  '.join(items[:limit]) + more


def check_files_exist(data_list: List[dict], keys, dataset: str,
                      backend_args: Optional[dict] = None) -> None:
    """Raise ``FileNotFoundError`` listing the missing files of a dataset."""
    missing = []
    for info in data_list:
        for key in keys:
            path = info.get(key)
            if path is None:
                continue
            exists = osp.isfile(path) if backend_args is None else fileio.exists(
                path, backend_args=backend_args)
            if not exists:
                missing.append(f'{key}={path}')
    if missing:
        raise FileNotFoundError(
            f'{dataset}: {len(missing)} file(s) listed by the dataset do not exist:'
            f'{format_listing(missing)}\nCheck data_root, data_prefix and the *_suffix '
            f'arguments.')


@DATASETS.register_module()
class RGBXSegDataset(BaseSegDataset):
    """Folders of RGB images, X images and label maps sharing base names.

    Layout (names relative to ``data_root``)::

        data_prefix=dict(img_path='rgb', x_path='thermal', seg_map_path='labels')
        rgb/0001.png  thermal/0001.png  labels/0001.png

    Args:
        x_suffix: suffix of the X files (``img_suffix`` and ``seg_map_suffix`` as in
            mmseg's ``BaseSegDataset``).
        x_kind: 'thermal', 'depth' or 'x'; recorded in the modality layout.
        ann_file: optional split file: a text file with one base name per line
            (relative to the RGB folder, without suffix), or a ``.json`` mapping
            ``{base name: split name}`` used with ``split``.
        split: the split to take from a ``.json`` ``ann_file`` (e.g. 'train').
        label_map: optional ``{stored id: training id}`` mapping applied when the
            label maps are loaded (replaces the mapping that mmseg derives from a
            subset of ``metainfo['classes']``).
        check_files: verify at construction that every RGB / X / label file exists.
        **kwargs: everything ``BaseSegDataset`` takes (``reduce_zero_label``,
            ``metainfo``, ``pipeline``, ``test_mode``, ...).
    """

    METAINFO: Dict = dict()

    def __init__(self, x_suffix: str = '.png', x_kind: str = 'thermal',
                 label_map: Optional[Dict[int, int]] = None, check_files: bool = True,
                 split: Optional[str] = None, **kwargs) -> None:
        if x_kind not in X_KINDS:
            raise ValueError(f'x_kind must be one of {X_KINDS}, got {x_kind!r}')
        self.x_suffix = x_suffix
        self.x_kind = x_kind
        self.check_files = check_files
        self.split = split
        self._user_label_map = None if label_map is None else {
            int(k): int(v) for k, v in dict(label_map).items()}
        kwargs.setdefault('img_suffix', '.png')
        kwargs.setdefault('seg_map_suffix', '.png')
        classes = (kwargs.get('metainfo') or {}).get('classes', self.METAINFO.get('classes'))
        if not classes:
            raise ValueError(f'{type(self).__name__}: give the class names, e.g. '
                             f'metainfo=dict(classes=("background", "person"))')
        super().__init__(**kwargs)
        if self._user_label_map is not None:
            self.label_map = self._user_label_map
            self._metainfo['label_map'] = self._user_label_map
        check_rgbx_pipeline(self.pipeline, type(self).__name__)

    def load_data_list(self) -> List[dict]:
        if 'x_path' not in self.data_prefix:
            raise KeyError(
                f'{type(self).__name__}: data_prefix needs an "x_path" entry (the X folder), '
                f'got {self.data_prefix}')
        img_dir = self.data_prefix.get('img_path', '')
        if self.ann_file and self.ann_file.endswith('.json'):
            data_list = [self._info_for(img_dir, name) for name in self._json_split_names()]
        else:
            data_list = super().load_data_list()
        x_dir = self.data_prefix['x_path']
        for info in data_list:
            rel = osp.relpath(info['img_path'], img_dir) if img_dir else info['img_path']
            if not rel.endswith(self.img_suffix):
                raise ValueError(f'{info["img_path"]} does not end with img_suffix '
                                 f'{self.img_suffix!r}')
            base = rel[:len(rel) - len(self.img_suffix)] if self.img_suffix else rel
            info['x_path'] = osp.join(x_dir, base + self.x_suffix)
            info['x_kind'] = self.x_kind
            if self._user_label_map is not None:
                info['label_map'] = self._user_label_map
        if not data_list:
            raise FileNotFoundError(
                f'{type(self).__name__}: no sample found (img_path={img_dir!r}, '
                f'img_suffix={self.img_suffix!r}, ann_file={self.ann_file!r})')
        if self.check_files:
            check_files_exist(data_list, ('img_path', 'x_path', 'seg_map_path'),
                              type(self).__name__, self.backend_args)
        return data_list

    def _json_split_names(self) -> List[str]:
        try:
            with open(self.ann_file) as f:
                mapping = json.load(f)
        except (OSError, ValueError) as exc:
            raise ValueError(f'{type(self).__name__}: cannot read the split file '
                             f'{self.ann_file}: {exc}') from exc
        if not isinstance(mapping, dict):
            raise ValueError(f'{self.ann_file}: expected a {{name: split}} mapping')
        splits = sorted(set(map(str, mapping.values())))
        if self.split not in splits:
            raise ValueError(f'{type(self).__name__}: split={self.split!r} is not in '
                             f'{self.ann_file} (splits: {splits})')
        return sorted(k for k, v in mapping.items() if v == self.split)

    def _info_for(self, img_dir: str, name: str) -> dict:
        # the same record that BaseSegDataset builds for a line of a text split file
        info = dict(img_path=osp.join(img_dir, name + self.img_suffix),
                    label_map=self.label_map, reduce_zero_label=self.reduce_zero_label,
                    seg_fields=[])
        ann_dir = self.data_prefix.get('seg_map_path', None)
        if ann_dir is not None:
            info['seg_map_path'] = osp.join(ann_dir, name + self.seg_map_suffix)
        return info


@DATASETS.register_module()
class RGBXSODDataset(RGBXSegDataset):
    """Salient-object detection: RGB + X + binary ground-truth masks.

    Masks are stored as 0 / 255 images and read as 0 / 1 (background / salient):
    ``LoadSODAnnotations`` thresholds them (values >= 128 are salient), and the
    ``label_map`` {255: 1} makes stock ``LoadAnnotations`` read clean 0/255 masks
    the same way.
    """

    METAINFO = dict(classes=('background', 'salient'), palette=[[0, 0, 0], [255, 255, 255]])

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault('label_map', {255: 1})
        super().__init__(**kwargs)
