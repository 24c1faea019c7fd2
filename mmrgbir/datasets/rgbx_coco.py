# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""COCO-format detection with a pixel-aligned X image per RGB image (imports mmdet)."""
import json
import os.path as osp
from typing import List, Optional, Union

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

from mmrgbir.structures import X_KINDS
from .pipeline_check import check_rgbx_pipeline
from .rgbx_seg import check_files_exist


def check_coco_json(path: str, who: str) -> None:
    """Fail early, naming the file, on a json that is not a COCO annotation file."""
    try:
        with open(path) as f:
            coco = json.load(f)
    except ValueError as exc:
        raise ValueError(f'{who}: {path} is not valid json: {exc}') from exc
    missing = [k for k in ('images', 'annotations', 'categories')
               if not isinstance(coco, dict) or k not in coco]
    if missing:
        raise ValueError(f'{who}: {path} has no {missing}; expected a COCO json with '
                         f'"images", "annotations" and "categories"')


@DATASETS.register_module()
class RGBXCocoDataset(CocoDataset):
    """A COCO json over RGB images plus the X image of each.

    The X image is found under ``data_prefix['x']`` with the RGB ``file_name``,
    or, when ``x_key`` is given, with the per-image json entry ``images[i][x_key]``
    (e.g. ``"x_file_name"``). Boxes are in RGB pixel coordinates, which are X's too.

    Args:
        x_key: optional per-image json key holding the X file name.
        x_kind: 'thermal', 'depth' or 'x'.
        check_files: verify at construction that every RGB and X file exists.
        **kwargs: everything ``CocoDataset`` takes; ``data_prefix`` needs ``img``
            and ``x``.
    """

    def __init__(self, x_key: Optional[str] = None, x_kind: str = 'thermal',
                 check_files: bool = True, **kwargs) -> None:
        if x_kind not in X_KINDS:
            raise ValueError(f'x_kind must be one of {X_KINDS}, got {x_kind!r}')
        self.x_key = x_key
        self.x_kind = x_kind
        self.check_files = check_files
        super().__init__(**kwargs)
        check_rgbx_pipeline(self.pipeline, type(self).__name__)

    def load_data_list(self) -> List[dict]:
        name = type(self).__name__
        if 'x' not in self.data_prefix:
            raise KeyError(f'{name}: data_prefix needs an "x" entry (the X folder), got '
                           f'{self.data_prefix}')
        if osp.isfile(self.ann_file) and osp.getsize(self.ann_file) == 0:
            raise ValueError(f'{name}: annotation file {self.ann_file} is empty; expected a '
                             f'COCO json with "images", "annotations" and "categories"')
        if osp.isfile(self.ann_file):
            check_coco_json(self.ann_file, name)
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(f'{name}: annotation file {self.ann_file} lists no image')
        if self.check_files:
            check_files_exist(data_list, ('img_path', 'x_path'), name, self.backend_args)
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        info = super().parse_data_info(raw_data_info)
        img_info = raw_data_info['raw_img_info']
        if self.x_key is not None:
            if self.x_key not in img_info:
                raise KeyError(f'{type(self).__name__}: image {img_info.get("file_name")} '
                               f'(id {img_info.get("id")}) in {self.ann_file} has no '
                               f'"{self.x_key}" entry (x_key)')
            x_name = img_info[self.x_key]
        else:
            x_name = img_info['file_name']
        info['x_path'] = osp.join(self.data_prefix['x'], x_name)
        info['x_kind'] = self.x_kind
        return info
