# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""RGB-thermal and RGB-depth semantic segmentation benchmarks.

Class names, label ids, default folders and splits of MFNet, PST900, FMB, NYUDv2 and
SUN RGB-D. Layouts, counts, protocols and the published numbers that the configs
target are in docs/datasets.md.
"""
from typing import Dict, List

from mmseg.registry import DATASETS

from ..rgbx_seg import RGBXSegDataset
from .folder_layout import BenchmarkLayoutMixin

__all__ = ['MFNetDataset', 'PST900Dataset', 'FMBDataset', 'NYUDv2Dataset',
           'SUNRGBDDataset', 'bit_palette']


def bit_palette(num: int) -> List[List[int]]:
    """A deterministic palette of ``num`` distinct colours (PASCAL VOC bit pattern).

    Colour ``i`` spreads the bits of ``i`` over the high bits of R, G and B, so
    neighbouring ids get clearly different colours and id 0 is black.
    """
    palette = []
    for i in range(num):
        r = g = b = 0
        c = i
        for shift in range(7, -1, -1):
            r |= (c & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette.append([r, g, b])
    return palette


def _check_loader(dataset, stacked: bool) -> None:
    """Fail at construction when the pipeline's loader does not match the storage."""
    names = [type(t).__name__ for t in getattr(dataset.pipeline, 'transforms', [])]
    wrong = 'LoadRGBXImageFromFile' if stacked else 'LoadStackedRGBXImageFromFile'
    if wrong in names:
        right = 'LoadStackedRGBXImageFromFile' if stacked else 'LoadRGBXImageFromFile'
        storage = ('one 4-channel PNG per pair (stacked=True)' if stacked else
                   'separate RGB and thermal files (stacked=False)')
        raise ValueError(f'{type(dataset).__name__}: the data is stored as {storage}, '
                         f'but the pipeline loads with {wrong}; use {right}')


@DATASETS.register_module()
class MFNetDataset(BenchmarkLayoutMixin, RGBXSegDataset):
    """MFNet RGB-thermal urban scenes (Ha et al., IROS 2017): 1,569 pairs, 480 x 640.

    9 classes; id 0 is "unlabeled" and, in the published protocol, counts as a class
    in the mIoU (``ignore_unlabeled=True`` drops it instead).

    Two storages:

    - ``stacked=False`` (default), the converted layout written by
      ``tools/dataset_converters/mfnet.py``: ``rgb/``, ``thermal/``, ``labels/``.
    - ``stacked=True``, the original download: ``images/`` holds 4-channel PNGs
      (RGB + thermal) read with ``LoadStackedRGBXImageFromFile``, ``labels/``.

    Both have the official split lists ``train.txt`` (784), ``val.txt`` (392) and
    ``test.txt`` (393) in ``data_root``. ``split`` picks one of ``train``, ``val``,
    ``test``, ``trainval`` (train + val, 1,176: the usual training set of the
    train+val -> test protocol), ``test_day`` and ``test_night`` (test images whose
    name ends in D / N).
    """

    METAINFO = dict(
        classes=('unlabeled', 'car', 'person', 'bike', 'curve', 'car_stop', 'guardrail',
                 'color_cone', 'bump'),
        palette=[[0, 0, 0], [64, 0, 128], [64, 64, 0], [0, 128, 192], [0, 0, 192],
                 [128, 128, 0], [64, 64, 128], [192, 128, 128], [192, 64, 0]])
    DEFAULT_PREFIX = dict(img_path='rgb', x_path='thermal', seg_map_path='labels')
    STACKED_PREFIX = dict(img_path='images', seg_map_path='labels')
    SPLIT_FILES = dict(train=('train.txt', ), val=('val.txt', ), test=('test.txt', ),
                       trainval=('train.txt', 'val.txt'), test_day=('test.txt', ),
                       test_night=('test.txt', ))
    X_KIND = 'thermal'

    def __init__(self, stacked: bool = False, **kwargs) -> None:
        self.stacked = stacked
        super().__init__(**kwargs)
        _check_loader(self, stacked)

    def default_prefix(self) -> Dict[str, str]:
        return dict(self.STACKED_PREFIX if self.stacked else self.DEFAULT_PREFIX)

    def _required_prefixes(self):
        return ('img_path', ) if self.stacked else ('img_path', 'x_path')

    def _x_path(self, name: str, img_path: str) -> str:
        # stacked storage: X is channel 3 of the RGB file itself
        return img_path if self.stacked else super()._x_path(name, img_path)

    def sample_names(self) -> List[str]:
        names = super().sample_names()
        if self.benchmark_split in ('test_day', 'test_night'):
            # MFNet names end in D (day) or N (night), e.g. 00001D, 01234N
            tag = 'D' if self.benchmark_split == 'test_day' else 'N'
            names = [n for n in names if n.endswith(tag)]
        return names


@DATASETS.register_module()
class PST900Dataset(BenchmarkLayoutMixin, RGBXSegDataset):
    """PST900 subterranean RGB-thermal (Shivakumar et al., ICRA 2020): 720 x 1280.

    Official layout: ``train/`` and ``test/``, each with ``rgb/``, ``thermal/``
    (8-bit AGC; ``thermal_raw/`` holds 16-bit), ``depth/`` and ``labels/`` PNGs.
    ``split='train'`` / ``'test'`` picks the folder. 5 classes, background included
    in the mIoU.
    """

    METAINFO = dict(
        classes=('background', 'fire_extinguisher', 'backpack', 'hand_drill', 'survivor'),
        palette=[[0, 0, 0], [255, 0, 0], [0, 128, 255], [255, 200, 0], [255, 255, 255]])
    DEFAULT_PREFIX = dict(img_path='rgb', x_path='thermal', seg_map_path='labels')
    SPLIT_FOLDERS = dict(train='train', test='test')
    X_KIND = 'thermal'


@DATASETS.register_module()
class FMBDataset(BenchmarkLayoutMixin, RGBXSegDataset):
    """FMB RGB-infrared street scenes (Liu et al., ICCV 2023, SegMiF): 600 x 800.

    Official layout: ``train/`` and ``test/``, each with ``Visible/``,
    ``Infrared/`` and ``Label/`` PNGs (1,220 / 280 pairs). 15 classes: 14 labelled
    classes and "unlabeled" (id 0), which the public code counts as a class; use
    ``ignore_unlabeled=True`` to evaluate the 14 labelled classes only.
    """

    METAINFO = dict(
        classes=('unlabeled', 'road', 'sidewalk', 'building', 'lamp', 'sign', 'vegetation',
                 'sky', 'person', 'car', 'truck', 'bus', 'motorcycle', 'bicycle', 'pole'),
        palette=[[0, 0, 0], [228, 228, 179], [133, 57, 181], [177, 162, 67],
                 [50, 178, 200], [199, 45, 132], [84, 172, 66], [79, 73, 179],
                 [166, 99, 76], [253, 121, 66], [91, 165, 137], [152, 97, 155],
                 [140, 153, 105], [158, 215, 222], [90, 113, 135]])
    DEFAULT_PREFIX = dict(img_path='Visible', x_path='Infrared', seg_map_path='Label')
    SPLIT_FOLDERS = dict(train='train', test='test')
    X_KIND = 'thermal'


SUNRGBD_CLASSES = (
    'wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window',
    'bookshelf', 'picture', 'counter', 'blinds', 'desk', 'shelves', 'curtain', 'dresser',
    'pillow', 'mirror', 'floor_mat', 'clothes', 'ceiling', 'books', 'fridge', 'tv',
    'paper', 'towel', 'shower_curtain', 'box', 'whiteboard', 'person', 'night_stand',
    'toilet', 'sink', 'lamp', 'bathtub', 'bag')
NYUDV2_CLASSES = SUNRGBD_CLASSES + ('otherstructure', 'otherfurniture', 'otherprop')


class _RGBDBenchmark(BenchmarkLayoutMixin, RGBXSegDataset):
    """Shared by NYUDv2 and SUN RGB-D: the CMX / DFormer data packs.

    Layout: ``RGB/*.jpg``, ``Depth/*.png`` (raw depth) or ``HHA/*.jpg`` (HHA
    encoding, 3 channels), ``Label/*.png``, ``train.txt``, ``test.txt`` in
    ``data_root``. Labels store 0 for void and 1..N for the classes, so
    ``reduce_zero_label`` defaults to True (void -> 255, class k -> k - 1), as in
    every published protocol. ``x_input`` picks raw depth or HHA; both are
    ``x_kind='depth'``.
    """

    DEFAULT_PREFIX = dict(img_path='RGB', x_path='Depth', seg_map_path='Label')
    DEFAULT_SUFFIXES = dict(img_suffix='.jpg', x_suffix='.png', seg_map_suffix='.png')
    X_INPUTS = dict(depth=dict(x_path='Depth', x_suffix='.png'),
                    hha=dict(x_path='HHA', x_suffix='.jpg'))
    SPLIT_FILES = dict(train=('train.txt', ), test=('test.txt', ))
    X_KIND = 'depth'

    def __init__(self, x_input: str = 'depth', **kwargs) -> None:
        if x_input not in self.X_INPUTS:
            raise ValueError(f'{type(self).__name__}: x_input must be one of '
                             f'{sorted(self.X_INPUTS)}, got {x_input!r}')
        self.x_input = x_input
        kwargs.setdefault('x_suffix', self.X_INPUTS[x_input]['x_suffix'])
        kwargs.setdefault('reduce_zero_label', True)
        super().__init__(**kwargs)

    def default_prefix(self) -> Dict[str, str]:
        return dict(self.DEFAULT_PREFIX, x_path=self.X_INPUTS[self.x_input]['x_path'])


@DATASETS.register_module()
class NYUDv2Dataset(_RGBDBenchmark):
    """NYU Depth v2 (Silberman et al., ECCV 2012), 40-class labels (Gupta et al.).

    1,449 labelled RGB-D frames, 480 x 640: 795 train (``split='train'``) / 654
    test (``split='test'``). Layout and options: see :class:`_RGBDBenchmark`.
    """

    METAINFO = dict(classes=NYUDV2_CLASSES, palette=bit_palette(len(NYUDV2_CLASSES) + 1)[1:])


@DATASETS.register_module()
class SUNRGBDDataset(_RGBDBenchmark):
    """SUN RGB-D (Song et al., CVPR 2015), 37 classes.

    10,335 RGB-D images of varying sizes (530 x 730 for most Kinect v2 frames):
    5,285 train (``split='train'``) / 5,050 test (``split='test'``). Layout and
    options: see :class:`_RGBDBenchmark`.
    """

    METAINFO = dict(classes=SUNRGBD_CLASSES, palette=bit_palette(len(SUNRGBD_CLASSES) + 1)[1:])
