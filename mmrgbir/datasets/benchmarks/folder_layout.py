# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Folder layouts of the public RGB-X segmentation / SOD benchmarks.

Every benchmark stores RGB, X and label images in parallel folders under shared base
names; they differ in folder names, suffixes and in how the splits are given:

- split *list files* (MFNet, NYUDv2, SUN RGB-D): ``train.txt`` etc. in ``data_root``,
  one sample per line; a split may join several lists (MFNet ``trainval``).
- split *folders* (PST900, FMB, VT5000): ``data_root/<split>/<rgb folder>/...``.

:class:`BenchmarkLayoutMixin` resolves a named ``split`` to those, reads list lines
in any of the forms the public packs use (``name``, ``name.png``,
``RGB/name.jpg Label/name.png``) and can match files by stem whatever their image
suffix (the VT SOD sets mix ``.jpg``, ``.png`` and ``.bmp``).
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import mmengine
from mmengine import fileio

from ..rgbx_seg import check_files_exist

#: Suffixes recognised when a folder is matched by stem (``ANY_SUFFIX``) and stripped
#: from split-list entries.
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')


def name_from_list_line(line: str) -> Optional[str]:
    """Sample name of one split-list line; None for blank lines and comments.

    ``"00001D"``, ``"00001D.png"``, ``"RGB/00001D.jpg Label/00001D.png"`` all give
    ``"00001D"``: the first field, without folders and without an image suffix.
    """
    line = line.strip()
    if not line or line.startswith('#'):
        return None
    first = line.split()[0].replace('\\', '/')
    base = first.rsplit('/', 1)[-1]
    stem, ext = osp.splitext(base)
    return stem if ext.lower() in IMAGE_SUFFIXES else base


def index_by_stem(folder: str, what: str, backend_args: Optional[dict] = None) -> Dict[str, str]:
    """``{stem: file name}`` of the image files in ``folder`` (any image suffix).

    Raises when the folder is missing, or when two files share a stem (e.g.
    ``a.jpg`` and ``a.png``), since the pairing would then be ambiguous.
    """
    if backend_args is None and not osp.isdir(folder):
        raise FileNotFoundError(f'{what} folder not found: {folder}')
    index: Dict[str, str] = {}
    for name in fileio.list_dir_or_file(folder, list_dir=False, recursive=False,
                                        backend_args=backend_args):
        stem, ext = osp.splitext(name)
        if ext.lower() not in IMAGE_SUFFIXES:
            continue
        if stem in index:
            raise ValueError(f'{what} folder {folder} has two files for "{stem}": '
                             f'{index[stem]} and {name}; keep one')
        index[stem] = name
    return index


class BenchmarkLayoutMixin:
    """Named splits and default folders for a benchmark; put it before the dataset base.

    Class attributes a benchmark sets:

    - ``DEFAULT_PREFIX``: default ``data_prefix`` entries (a given ``data_prefix``
      overrides them key by key; a key given as None is dropped).
    - ``DEFAULT_SUFFIXES``: defaults of ``img_suffix`` / ``x_suffix`` / ``seg_map_suffix``.
    - ``SPLIT_FILES``: ``{split: (list file, ...)}``, paths relative to ``data_root``.
    - ``SPLIT_FOLDERS``: ``{split: folder}``; the folder is prepended to every
      ``data_prefix`` entry.
    - ``X_KIND``: default ``x_kind``.
    - ``ANY_SUFFIX``: match RGB / X / label files by stem whatever their suffix
      (the ``*_suffix`` arguments are then unused).

    Args:
        split: a key of ``SPLIT_FILES`` or ``SPLIT_FOLDERS``; None uses ``ann_file``
            if given, otherwise every image of the RGB folder.
        ignore_unlabeled: for benchmarks whose class 0 is ``"unlabeled"``: drop it from
            the classes, so its pixels become ``ignore_index`` (255) and the other ids
            shift down by one (mmseg's class-subset label map).
        **kwargs: everything the dataset base takes.
    """

    DEFAULT_PREFIX: Dict[str, str] = dict(img_path='rgb', x_path='thermal',
                                          seg_map_path='labels')
    DEFAULT_SUFFIXES: Dict[str, str] = dict(img_suffix='.png', x_suffix='.png',
                                            seg_map_suffix='.png')
    SPLIT_FILES: Dict[str, Tuple[str, ...]] = {}
    SPLIT_FOLDERS: Dict[str, str] = {}
    X_KIND = 'thermal'
    ANY_SUFFIX = False

    def __init__(self, split: Optional[str] = None, ignore_unlabeled: bool = False,
                 **kwargs) -> None:
        name = type(self).__name__
        # the given entries override the defaults; an entry set to None is dropped
        prefix = dict(self.default_prefix(), **(kwargs.get('data_prefix') or {}))
        prefix = {k: v for k, v in prefix.items() if v is not None}
        self.benchmark_split = split
        self._split_files: Tuple[str, ...] = ()
        if split is not None:
            if kwargs.get('ann_file'):
                raise ValueError(f'{name}: give either split={split!r} or ann_file='
                                 f'{kwargs["ann_file"]!r}, not both')
            if split in self.SPLIT_FOLDERS:
                folder = self.SPLIT_FOLDERS[split]
                prefix = {k: osp.join(folder, v) for k, v in prefix.items()}
            elif split in self.SPLIT_FILES:
                self._split_files = tuple(self.SPLIT_FILES[split])
            else:
                known = sorted(set(self.SPLIT_FOLDERS) | set(self.SPLIT_FILES))
                raise ValueError(f'{name}: unknown split {split!r}; known: {known}')
        kwargs['data_prefix'] = prefix
        for key, value in self.DEFAULT_SUFFIXES.items():
            kwargs.setdefault(key, value)
        kwargs.setdefault('x_kind', self.X_KIND)
        if ignore_unlabeled:
            classes = tuple(self.METAINFO.get('classes', ()))
            if not classes or classes[0] != 'unlabeled':
                raise ValueError(f'{name}: ignore_unlabeled=True needs class 0 to be '
                                 f'"unlabeled"; the classes are {classes}')
            metainfo = dict(kwargs.get('metainfo') or {})
            if 'classes' in metainfo:
                raise ValueError(f'{name}: give either ignore_unlabeled=True or '
                                 f'metainfo classes, not both')
            metainfo['classes'] = classes[1:]
            kwargs['metainfo'] = metainfo
        self.ignore_unlabeled = ignore_unlabeled
        # RGBXSegDataset keeps ``split`` as an attribute too (its own json splits are
        # not used here: load_data_list is replaced below)
        kwargs['split'] = split
        super().__init__(**kwargs)

    def default_prefix(self) -> Dict[str, str]:
        """Default ``data_prefix`` (a method so that a storage option can change it)."""
        return dict(self.DEFAULT_PREFIX)

    # ----------------------------------------------------------------- listing

    def _read_list(self, path: str) -> List[str]:
        if not fileio.exists(path, backend_args=self.backend_args):
            raise FileNotFoundError(f'{type(self).__name__}: split list not found: {path}')
        names = [name_from_list_line(line) for line in
                 mmengine.list_from_file(path, backend_args=self.backend_args)]
        names = [n for n in names if n is not None]
        if not names:
            raise ValueError(f'{type(self).__name__}: split list {path} is empty')
        return names

    def sample_names(self) -> List[str]:
        """Names of the samples, in split-list order (sorted when listed from a folder)."""
        if self._split_files:
            names: List[str] = []
            for rel in self._split_files:
                path = osp.join(self.data_root, rel) if self.data_root else rel
                names.extend(self._read_list(path))
            return names
        if self.ann_file:
            return self._read_list(self.ann_file)
        img_dir = self.data_prefix.get('img_path', '')
        if self.ANY_SUFFIX:
            return sorted(index_by_stem(img_dir, 'RGB', self.backend_args))
        if self.backend_args is None and not osp.isdir(img_dir):
            raise FileNotFoundError(f'{type(self).__name__}: RGB folder not found: {img_dir}')
        suffix = self.img_suffix
        return sorted(f[:len(f) - len(suffix)] for f in fileio.list_dir_or_file(
            img_dir, list_dir=False, suffix=suffix, recursive=False,
            backend_args=self.backend_args))

    def _x_path(self, name: str, img_path: str) -> str:
        """Path of the X file of sample ``name`` (overridden for stacked storage)."""
        return osp.join(self.data_prefix['x_path'], name + self.x_suffix)

    def _required_prefixes(self) -> Sequence[str]:
        return ('img_path', 'x_path')

    def load_data_list(self) -> List[dict]:
        name = type(self).__name__
        missing = [k for k in self._required_prefixes() if k not in self.data_prefix]
        if missing:
            raise KeyError(f'{name}: data_prefix needs {missing}, got {self.data_prefix}')
        names = self.sample_names()
        if not names:
            raise FileNotFoundError(f'{name}: no sample found (data_prefix='
                                    f'{self.data_prefix}, split={self.benchmark_split!r})')
        img_dir = self.data_prefix['img_path']
        ann_dir = self.data_prefix.get('seg_map_path')
        label_map = self._user_label_map if self._user_label_map is not None \
            else self.label_map
        indexes = {}
        if self.ANY_SUFFIX:
            indexes = {key: index_by_stem(self.data_prefix[key], what, self.backend_args)
                       for key, what in (('img_path', 'RGB'), ('x_path', 'X'),
                                         ('seg_map_path', 'label'))
                       if self.data_prefix.get(key)}
        data_list, unmatched = [], []
        for sample in names:
            if self.ANY_SUFFIX:
                absent = [k for k, index in indexes.items() if sample not in index]
                if absent:
                    unmatched.append(f'{sample} (no file in ' + ', '.join(
                        self.data_prefix[k] for k in absent) + ')')
                    continue
                info = {key: osp.join(self.data_prefix[key], index[sample])
                        for key, index in indexes.items()}
            else:
                info = dict(img_path=osp.join(img_dir, sample + self.img_suffix))
                info['x_path'] = self._x_path(sample, info['img_path'])
                if ann_dir:
                    info['seg_map_path'] = osp.join(ann_dir, sample + self.seg_map_suffix)
            info.update(label_map=label_map, reduce_zero_label=self.reduce_zero_label,
                        seg_fields=[], x_kind=self.x_kind, sample_name=sample)
            data_list.append(info)
        if unmatched:
            shown = '\n  '.join(unmatched[:10])
            more = f'\n  ... and {len(unmatched) - 10} more' if len(unmatched) > 10 else ''
            raise FileNotFoundError(
                f'{name}: {len(unmatched)} sample(s) lack a file:\n  {shown}{more}')
        if self.check_files and not self.ANY_SUFFIX:
            check_files_exist(data_list, ('img_path', 'x_path', 'seg_map_path'), name,
                              self.backend_args)
        return data_list
