# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Semantic segmentation and salient-object datasets of RGB + X folders."""
import difflib
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
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


ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadSODAnnotations')


def check_prefix_keys(data_prefix: Optional[dict], known: Sequence[str], dataset: str) -> None:
    """Raise ``KeyError`` for a ``data_prefix`` key the dataset does not read (a typo
    such as ``seg_map`` for ``seg_map_path`` would otherwise surface only when a sample
    is loaded, or never)."""
    unknown = sorted(set(data_prefix or {}) - set(known))
    if unknown:
        def hint(key: str) -> str:
            close = difflib.get_close_matches(key, known, 1) or [
                k for k in known if key.startswith(k) or k.startswith(key)][:1]
            return f'{key!r} (did you mean {close[0]!r}?)' if close else repr(key)

        hints = [hint(k) for k in unknown]
        raise KeyError(f'{dataset}: data_prefix has unknown key(s) {", ".join(hints)}; '
                       f'the keys it reads are {list(known)}')


def _pipeline_names(pipeline) -> List[str]:
    names = []
    for t in getattr(pipeline, 'transforms', pipeline) or []:
        name = t.get('type', '') if isinstance(t, dict) else type(t).__name__
        names.append(name.split('.')[-1] if isinstance(name, str) else
                     getattr(name, '__name__', ''))
    return names


def check_label_values(seg, path, num_classes: int, ignore_index: int, dataset: str,
                       hint: str = '') -> None:
    """Raise when a loaded ground truth (after ``label_map`` / ``reduce_zero_label``)
    is not 2-D or holds a value outside ``0..num_classes - 1`` other than
    ``ignore_index``: mmseg's metric would ignore those pixels silently and the loss
    would fail without naming the file.

    Args:
        seg: (H, W) array or (1, H, W) tensor / array of class ids.
    """
    shape = tuple(seg.shape)
    if not (len(shape) == 2 or (len(shape) == 3 and shape[0] == 1)):
        raise ValueError(f'{dataset}: the ground truth of {path} has shape {shape}; expected '
                         f'one class id per pixel (H, W). A colour label map must be '
                         f'converted to class ids first.')
    arr = seg.cpu().numpy() if hasattr(seg, 'cpu') else np.asarray(seg)
    bad = (arr >= num_classes) & (arr != ignore_index)
    if arr.dtype.kind == 'i':
        bad |= arr < 0
    if bad.any():
        values, counts = np.unique(arr[bad], return_counts=True)
        shown = ', '.join(f'{int(v)} ({int(c)} px)' for v, c in zip(values[:10], counts[:10]))
        raise ValueError(
            f'{dataset}: label map {path} has label value(s) {shown} outside the '
            f'{num_classes} classes 0..{num_classes - 1} of metainfo["classes"] and not the '
            f'ignore index {ignore_index}; the metric would ignore them silently and the '
            f'loss would fail. Give every class in metainfo["classes"], map the ids with '
            f'label_map={{id: new_id or {ignore_index}}}, or check reduce_zero_label{hint}.')


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
        ignore_index: the label value that the loss and the metric ignore (255, as
            in mmseg). Every loaded ground truth must hold only class ids
            ``0..len(classes) - 1`` and this value (checked per sample, after
            ``label_map`` / ``reduce_zero_label``; an error names the file).
        **kwargs: everything ``BaseSegDataset`` takes (``reduce_zero_label``,
            ``metainfo``, ``pipeline``, ``test_mode``, ...).
    """

    METAINFO: Dict = dict()
    PREFIX_KEYS = ('img_path', 'x_path', 'seg_map_path')

    def __init__(self, x_suffix: str = '.png', x_kind: str = 'thermal',
                 label_map: Optional[Dict[int, int]] = None, check_files: bool = True,
                 split: Optional[str] = None, ignore_index: int = 255, **kwargs) -> None:
        if x_kind not in X_KINDS:
            raise ValueError(f'x_kind must be one of {X_KINDS}, got {x_kind!r}')
        check_prefix_keys(kwargs.get('data_prefix'), self.known_prefix_keys(),
                          type(self).__name__)
        self.ignore_index = ignore_index
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
        # one sample tells the X dtype (read only when XOnly wraps an 8-bit transform)
        sample = self.get_data_info(0) if self._fully_initialized and len(self) else None
        check_rgbx_pipeline(self.pipeline, type(self).__name__, sample=sample)
        loaders = [n for n in _pipeline_names(self.pipeline) if n in ANNOTATION_LOADERS]
        if loaders and not self.data_prefix.get('seg_map_path'):
            raise KeyError(
                f'{type(self).__name__}: the pipeline has {loaders[0]} but data_prefix gives '
                f'no "seg_map_path" (the label folder), got {self.data_prefix}')

    def known_prefix_keys(self) -> Sequence[str]:
        """The ``data_prefix`` keys this dataset reads (others are a typo: error)."""
        # datasets of several modalities name one folder per modality
        return tuple(self.PREFIX_KEYS) + tuple(getattr(self, 'modalities', ()))

    def prepare_data(self, idx: int):
        """Run the pipeline on sample ``idx`` and check its ground truth's class ids."""
        out = super().prepare_data(idx)
        if out is not None:
            self._check_gt(out)
        return out

    def _check_gt(self, out: dict) -> None:
        sample = out.get('data_samples')
        if sample is not None and 'gt_sem_seg' in sample:
            seg, path = sample.gt_sem_seg.data, sample.metainfo.get('seg_map_path')
        elif 'gt_seg_map' in out:
            seg, path = out['gt_seg_map'], out.get('seg_map_path')
        else:
            return
        hint = f' (now {self.reduce_zero_label})'
        check_label_values(seg, path, len(self.metainfo['classes']), self.ignore_index,
                           type(self).__name__, hint)

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

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        # the loaders check only the size of a mask: LoadSODAnnotations reads gray
        # masks stored in 3 channels or 16 bits itself
        info['sod_mask'] = True
        return info
