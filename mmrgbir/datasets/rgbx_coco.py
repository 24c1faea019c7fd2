# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""COCO-format detection with a pixel-aligned X image per RGB image (imports mmdet)."""
import json
import math
import os.path as osp
import warnings
from collections import Counter
from typing import Dict, List, Optional, Sequence, Union

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from mmrgbir.structures import X_KINDS
from .pipeline_check import check_rgbx_pipeline
from .rgbx_seg import check_files_exist, check_prefix_keys, format_listing


def check_coco_json(path: str, who: str) -> dict:
    """Fail early, naming the file, on a json that is not a COCO annotation file;
    returns the parsed json."""
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
    return coco


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_coco_content(coco: dict, path: str, who: str,
                       classes: Sequence[str]) -> Dict[str, List[str]]:
    """Check what mmdet's ``CocoDataset`` would otherwise mis-read or skip silently.

    Errors (naming the json and the offending entries): an image without ``id`` /
    ``file_name`` / positive ``width`` and ``height``, duplicate image ids, an
    annotation whose ``image_id`` is not an image of the json, a ``bbox`` that is not
    4 finite numbers or has a negative width / height, an ``area`` missing, a
    ``category_id`` that is not a json category, a class of ``metainfo['classes']``
    that is no category name (mmdet would shift every label after it).

    Returns the annotations that mmdet drops by its (and COCO's) convention, as
    ``{reason: ["file_name: ann id ... bbox ...", ...]}``: boxes narrower or lower
    than 1 pixel or with ``area <= 0``, boxes entirely outside their image, and boxes
    flagged ``ignore``.
    """
    def fail(problem: str, items: List[str]) -> None:
        raise ValueError(f'{who}: {path}: {len(items)} {problem}:{format_listing(items)}')

    images = coco['images']
    bad_images = []
    for i, img in enumerate(images):
        lacks = [k for k in ('id', 'file_name', 'width', 'height')
                 if not isinstance(img, dict) or k not in img]
        if lacks:
            name = img.get('file_name', '?') if isinstance(img, dict) else repr(img)[:40]
            bad_images.append(f'images[{i}] ({name}) has no {lacks}')
        elif not all(_is_number(img[k]) and img[k] > 0 for k in ('width', 'height')):
            bad_images.append(f'images[{i}] ({img["file_name"]}) has width / height '
                              f'{img["width"]!r} / {img["height"]!r}')
    if bad_images:
        fail('image entries cannot be used (each needs "id", "file_name" and positive '
             '"width" / "height")', bad_images)
    dup = [f'id {k} ({n} images)' for k, n in Counter(img['id'] for img in images).items()
           if n > 1]
    if dup:
        fail('image ids are used more than once', dup)
    by_id = {img['id']: img for img in images}

    cats = coco['categories']
    bad_cats = [f'categories[{i}] = {c!r}' for i, c in enumerate(cats)
                if not isinstance(c, dict) or 'id' not in c or 'name' not in c]
    if bad_cats:
        fail('categories lack "id" / "name"', bad_cats)
    cat_names = {c['id']: c['name'] for c in cats}
    absent = [c for c in classes if c not in set(cat_names.values())]
    if absent:
        raise ValueError(
            f'{who}: {path}: the classes {absent} of metainfo["classes"] are not category '
            f'names of the json ({sorted(set(cat_names.values()))}); mmdet would skip them '
            f'and shift the labels of the classes after them. Fix the class names.')

    errors: Dict[str, List[str]] = {}
    dropped: Dict[str, List[str]] = {}
    for i, ann in enumerate(coco['annotations']):
        if not isinstance(ann, dict):
            ann = {}
        aid = ann.get('id', f'#{i}')
        if ann.get('image_id') not in by_id:
            errors.setdefault('annotations refer to an image_id that is not in "images"',
                              []).append(f'annotation {aid}: image_id {ann.get("image_id")!r}')
            continue
        img = by_id[ann['image_id']]
        where = f'{img["file_name"]}: annotation {aid}'
        box = ann.get('bbox')
        if (not isinstance(box, (list, tuple)) or len(box) != 4
                or not all(_is_number(v) for v in box)):
            errors.setdefault('annotations have no "bbox" of 4 finite numbers [x, y, w, h]',
                              []).append(f'{where}: bbox {box!r}')
            continue
        x, y, w, h = box
        if w < 0 or h < 0:
            errors.setdefault('boxes have a negative width or height (COCO boxes are '
                              '[x, y, width, height], not [x1, y1, x2, y2])',
                              []).append(f'{where}: bbox {list(box)}')
            continue
        if ann.get('category_id') not in cat_names:
            errors.setdefault('annotations have a category_id that is not in "categories"',
                              []).append(f'{where}: category_id {ann.get("category_id")!r}')
            continue
        if 'area' not in ann:
            errors.setdefault('annotations have no "area"', []).append(where)
            continue
        if ann.get('ignore', False):
            dropped.setdefault('flagged "ignore"', []).append(where)
            continue
        inter_w = max(0, min(x + w, img['width']) - max(x, 0))
        inter_h = max(0, min(y + h, img['height']) - max(y, 0))
        if inter_w * inter_h == 0:
            dropped.setdefault('entirely outside their image', []).append(
                f'{where}: bbox {list(box)} in {img["width"]}x{img["height"]}')
        elif ann['area'] <= 0 or w < 1 or h < 1:
            dropped.setdefault('smaller than 1 pixel or with area <= 0', []).append(
                f'{where}: bbox {list(box)}, area {ann["area"]}')
    for problem, items in errors.items():
        fail(problem, items)
    return dropped


@DATASETS.register_module()
class RGBXCocoDataset(CocoDataset):
    """A COCO json over RGB images plus the X image of each.

    The X image is found under ``data_prefix['x']`` with the RGB ``file_name``,
    or, when ``x_key`` is given, with the per-image json entry ``images[i][x_key]``
    (e.g. ``"x_file_name"``). Boxes are in RGB pixel coordinates, which are X's too.

    Args:
        x_key: optional per-image json key holding the X file name.
        x_kind: 'thermal', 'depth' or 'x'.
        check_files: verify at construction that every RGB and X file exists and
            that the json ``width`` / ``height`` of each image are those of its RGB
            file (boxes are filtered and clipped with the json sizes).

    The json is checked at construction (:func:`check_coco_content`): malformed
    entries are errors; boxes that mmdet drops by convention (smaller than 1 pixel,
    entirely outside the image, flagged ``ignore``) are dropped with a warning that
    gives their count and files.
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
        # one sample tells the X dtype (read only when XOnly wraps an 8-bit transform)
        sample = self.get_data_info(0) if self._fully_initialized and len(self) else None
        check_rgbx_pipeline(self.pipeline, type(self).__name__, sample=sample)

    PREFIX_KEYS = ('img', 'x', 'seg')

    def load_data_list(self) -> List[dict]:
        name = type(self).__name__
        check_prefix_keys(self.data_prefix, self.PREFIX_KEYS, name)
        for key, what in (('img', 'the RGB folder'), ('x', 'the X folder')):
            if key not in self.data_prefix:
                raise KeyError(f'{name}: data_prefix needs an "{key}" entry ({what}), got '
                               f'{self.data_prefix}')
        if osp.isfile(self.ann_file) and osp.getsize(self.ann_file) == 0:
            raise ValueError(f'{name}: annotation file {self.ann_file} is empty; expected a '
                             f'COCO json with "images", "annotations" and "categories"')
        if osp.isfile(self.ann_file):
            coco = check_coco_json(self.ann_file, name)
            dropped = check_coco_content(coco, self.ann_file, name, self.metainfo['classes'])
            self._report_dropped(dropped, coco)
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(f'{name}: annotation file {self.ann_file} lists no image')
        if self.check_files:
            check_files_exist(data_list, ('img_path', 'x_path'), name, self.backend_args)
            if self.backend_args is None:
                self._check_image_sizes(data_list)
        return data_list

    def filter_data(self) -> List[dict]:
        """mmdet's filter (images without usable boxes / smaller than ``min_size`` are
        left out of training), with the count logged."""
        kept = super().filter_data()
        if len(kept) < len(self.data_list):
            print_log(f'{type(self).__name__}: {len(self.data_list) - len(kept)} of '
                      f'{len(self.data_list)} images of {self.ann_file} are left out by '
                      f'filter_cfg={self.filter_cfg} (images without usable boxes, as mmdet '
                      f'does in training)', logger='current')
        return kept

    def _report_dropped(self, dropped: Dict[str, List[str]], coco: dict) -> None:
        """Warn (count + examples) about boxes mmdet drops by convention, and log
        the boxes of json categories left out of ``metainfo['classes']``."""
        name = type(self).__name__
        if dropped:
            total = sum(len(v) for v in dropped.values())
            parts = [f'{len(items)} {reason}:{format_listing(items, 5)}'
                     for reason, items in dropped.items()]
            warnings.warn(f'{name}: {self.ann_file}: {total} box(es) are dropped, as mmdet '
                          f'drops them: ' + '\n'.join(parts), stacklevel=2)
        keep = set(self.metainfo['classes'])
        names = {c['id']: c['name'] for c in coco['categories']}
        other = Counter(names[a['category_id']] for a in coco['annotations']
                        if names[a['category_id']] not in keep)
        if other:
            print_log(f'{name}: {self.ann_file}: boxes of categories not in '
                      f'metainfo["classes"] are not used: {dict(other)}', logger='current')

    def _check_image_sizes(self, data_list: List[dict]) -> None:
        """The json width / height of every image must be its RGB file's size."""
        from PIL import Image
        wrong = []
        for info in data_list:
            try:
                with Image.open(info['img_path']) as im:
                    w, h = im.size
            except Exception as exc:  # noqa: BLE001 - PIL raises several types
                raise OSError(f'{type(self).__name__}: cannot read RGB image '
                              f'{info["img_path"]}: {exc}') from exc
            if (w, h) != (info['width'], info['height']):
                wrong.append(f'{info["img_path"]}: json {info["width"]}x{info["height"]}, '
                             f'file {w}x{h}')
        if wrong:
            raise ValueError(
                f'{type(self).__name__}: {self.ann_file}: {len(wrong)} image(s) have a json '
                f'width x height that differs from the file (boxes are checked against the '
                f'json size):{format_listing(wrong)}\nFix the json (or the files).')

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
