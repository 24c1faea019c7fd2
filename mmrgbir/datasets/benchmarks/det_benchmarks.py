# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""RGB-thermal detection benchmarks as COCO jsons (imports mmdet).

The jsons are written by ``tools/dataset_converters`` from each official download
(layouts in docs/datasets.md). Every class only fixes the classes and the default
folders of :class:`RGBXCocoDataset`; ``data_prefix`` / ``x_key`` can be overridden
for jsons made elsewhere.
"""
from typing import List, Union

from mmdet.registry import DATASETS

from ..rgbx_coco import RGBXCocoDataset

__all__ = ['FLIRAlignedDataset', 'LLVIPDataset', 'M3FDDataset', 'KAISTDataset']


class _DetBenchmark(RGBXCocoDataset):
    """Fills ``data_prefix``, ``x_key`` and ``x_kind`` defaults of a benchmark."""

    DEFAULT_PREFIX = dict(img='', x='')
    DEFAULT_X_KEY = None

    def __init__(self, **kwargs) -> None:
        kwargs['data_prefix'] = dict(self.DEFAULT_PREFIX, **(kwargs.get('data_prefix') or {}))
        kwargs.setdefault('x_key', self.DEFAULT_X_KEY)
        kwargs.setdefault('x_kind', 'thermal')
        super().__init__(**kwargs)


@DATASETS.register_module()
class FLIRAlignedDataset(_DetBenchmark):
    """FLIR ADAS, the aligned RGB-thermal subset (Zhang et al., ICIP 2020 "CFR").

    4,129 train / 1,013 test pairs, 640 x 512, classes person, car, bicycle. Both
    images lie in ``JPEGImages/`` (``FLIR_xxxxx_RGB.jpg`` and
    ``FLIR_xxxxx_PreviewData.jpeg``); the json from
    ``tools/dataset_converters/flir_aligned.py`` names the thermal one in
    ``x_file_name``.
    """

    METAINFO = dict(classes=('person', 'car', 'bicycle'),
                    palette=[(220, 20, 60), (0, 0, 142), (119, 11, 32)])
    DEFAULT_PREFIX = dict(img='JPEGImages', x='JPEGImages')
    DEFAULT_X_KEY = 'x_file_name'


@DATASETS.register_module()
class LLVIPDataset(_DetBenchmark):
    """LLVIP low-light pedestrians (Jia et al., ICCVW 2021): 1280 x 1024, person.

    12,025 train / 3,463 test pairs; ``visible/<split>/`` and ``infrared/<split>/``
    hold the same file names. The json from ``tools/dataset_converters/llvip.py``
    has ``file_name`` = ``<split>/<id>.jpg``.
    """

    METAINFO = dict(classes=('person', ), palette=[(220, 20, 60)])
    DEFAULT_PREFIX = dict(img='visible', x='infrared')


@DATASETS.register_module()
class M3FDDataset(_DetBenchmark):
    """M3FD (Liu et al., CVPR 2022, TarDAL): 4,200 pairs, 1024 x 768, 6 classes.

    ``Vis/`` and ``Ir/`` hold the same file names. There is no official split;
    ``tools/dataset_converters/m3fd.py`` writes a stable hash split or follows a
    given list (see docs/datasets.md).
    """

    METAINFO = dict(classes=('People', 'Car', 'Bus', 'Motorcycle', 'Lamp', 'Truck'),
                    palette=[(220, 20, 60), (0, 0, 142), (0, 60, 100), (0, 0, 230),
                             (250, 170, 30), (0, 0, 70)])
    DEFAULT_PREFIX = dict(img='Vis', x='Ir')


@DATASETS.register_module()
class KAISTDataset(_DetBenchmark):
    """KAIST multispectral pedestrians (Hwang et al., CVPR 2015): 640 x 512, person.

    The json from ``tools/dataset_converters/kaist.py`` lists
    ``setNN/VNNN/visible/INNNNN.jpg`` with the lwir image in ``x_file_name`` (both
    under ``images/``). Non-person boxes (people, cyclist, person?) and boxes flagged
    ignore are ignore regions (``iscrowd: 1`` -> ``ignore_flag=1``); every box keeps
    its KAIST ``height`` and ``occlusion`` (0 none, 1 partial, 2 heavy), which this
    dataset copies into its ``instances`` for :class:`KAISTMissRateMetric` (add
    ``'instances'`` to the packer's ``meta_keys``). The day / night period follows
    from the ``setNN`` in the path.
    """

    METAINFO = dict(classes=('person', ), palette=[(220, 20, 60)])
    DEFAULT_PREFIX = dict(img='images', x='images')
    DEFAULT_X_KEY = 'x_file_name'
    INSTANCE_KEYS = ('height', 'occlusion')

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        info = super().parse_data_info(raw_data_info)
        # mmdet keeps the annotations in order but skips some (out of the image,
        # too small, unknown category): walk both lists to pair them.
        raw = raw_data_info['raw_ann_info']
        j = 0
        for instance in info['instances']:
            while j < len(raw):
                x, y, w, h = raw[j]['bbox']
                if [x, y, x + w, y + h] == instance['bbox']:
                    break
                j += 1
            if j == len(raw):
                raise RuntimeError(f'KAISTDataset: cannot pair an instance of '
                                   f'{info["img_path"]} with its json annotation')
            for key in self.INSTANCE_KEYS:
                if key in raw[j]:
                    instance[key] = raw[j][key]
            j += 1
        return info
