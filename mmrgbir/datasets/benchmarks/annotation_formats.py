# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Readers of the box formats that RGB-X benchmarks ship, and a COCO writer.

Used by ``tools/dataset_converters``. Every reader raises an error naming the file
(and the line) of malformed input; :class:`CocoBuilder` refuses to overwrite an
existing output. Boxes are kept in continuous pixel coordinates: a VOC box
(xmin, ymin, xmax, ymax) becomes the COCO box (xmin, ymin, xmax - xmin, ymax - ymin).
"""
import hashlib
import json
import os
import os.path as osp
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

__all__ = ['refuse_existing', 'image_size', 'read_voc_xml', 'read_yolo_txt', 'yolo_to_xywh',
           'read_bbgt_txt', 'read_id_list', 'hash_split', 'CocoBuilder', 'add_voc_objects']


def refuse_existing(*paths: str) -> None:
    """Raise ``FileExistsError`` naming the first output that already exists."""
    for path in paths:
        if osp.lexists(path):
            raise FileExistsError(f'output already exists: {path} (remove it or choose '
                                  f'another output; converters never overwrite)')


def image_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` of an image file, reading its header only."""
    from PIL import Image
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    try:
        with Image.open(path) as img:
            return int(img.size[0]), int(img.size[1])
    except Exception as exc:  # noqa: BLE001 - PIL raises several types
        raise OSError(f'cannot read the size of image {path}: {exc}') from exc


def _xml_number(node: ET.Element, tag: str, path: str, where: str) -> float:
    text = node.findtext(tag)
    if text is None:
        raise ValueError(f'{path}: {where} has no <{tag}>')
    try:
        return float(text)
    except ValueError:
        raise ValueError(f'{path}: {where} <{tag}> is {text!r}, not a number') from None


def read_voc_xml(path: str) -> dict:
    """Read a Pascal VOC annotation.

    Returns:
        dict: ``filename`` (or None), ``width``, ``height`` (ints) and ``objects``,
        a list of dicts ``name``, ``bbox`` (xmin, ymin, xmax, ymax floats),
        ``difficult`` (0 / 1) and ``truncated`` (0 / 1).
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ValueError(f'{path}: not a valid XML file ({exc})') from None
    except FileNotFoundError:
        raise FileNotFoundError(f'annotation not found: {path}') from None
    size = root.find('size')
    if size is None:
        raise ValueError(f'{path}: no <size> element (width / height of the image)')
    width = int(_xml_number(size, 'width', path, '<size>'))
    height = int(_xml_number(size, 'height', path, '<size>'))
    if width <= 0 or height <= 0:
        raise ValueError(f'{path}: <size> is {width} x {height}; expected positive sizes')
    objects = []
    for i, obj in enumerate(root.findall('object')):
        where = f'<object> #{i}'
        name = (obj.findtext('name') or '').strip()
        if not name:
            raise ValueError(f'{path}: {where} has no <name>')
        box = obj.find('bndbox')
        if box is None:
            raise ValueError(f'{path}: {where} ({name}) has no <bndbox>')
        x1, y1, x2, y2 = (_xml_number(box, t, path, f'{where} <bndbox>')
                          for t in ('xmin', 'ymin', 'xmax', 'ymax'))
        if x2 <= x1 or y2 <= y1:
            raise ValueError(f'{path}: {where} ({name}) has an empty box '
                             f'xmin={x1} ymin={y1} xmax={x2} ymax={y2}')
        objects.append(dict(name=name, bbox=(x1, y1, x2, y2),
                            difficult=int(float(obj.findtext('difficult') or 0)),
                            truncated=int(float(obj.findtext('truncated') or 0))))
    return dict(filename=root.findtext('filename'), width=width, height=height,
                objects=objects)


def read_yolo_txt(path: str, num_classes: Optional[int] = None) -> List[tuple]:
    """Read YOLO labels: one ``class cx cy w h`` line per box (normalised to [0, 1]).

    Returns:
        list[tuple]: ``(class_index, cx, cy, w, h)`` per box.
    """
    boxes = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 5:
                raise ValueError(f'{path}:{lineno}: expected 5 values "class cx cy w h", '
                                 f'got {len(fields)}: {line.strip()!r}')
            try:
                cls = int(fields[0])
                cx, cy, w, h = (float(v) for v in fields[1:])
            except ValueError:
                raise ValueError(f'{path}:{lineno}: not "int float float float float": '
                                 f'{line.strip()!r}') from None
            if cls < 0 or (num_classes is not None and cls >= num_classes):
                raise ValueError(f'{path}:{lineno}: class {cls} outside 0..'
                                 f'{(num_classes or 1) - 1}')
            if w <= 0 or h <= 0 or not all(-0.01 <= v <= 1.01 for v in (cx, cy, w, h)):
                raise ValueError(f'{path}:{lineno}: box {cx} {cy} {w} {h} is not a '
                                 f'normalised (0..1) non-empty box')
            boxes.append((cls, cx, cy, w, h))
    return boxes


def yolo_to_xywh(cx: float, cy: float, w: float, h: float, img_w: int,
                 img_h: int) -> List[float]:
    """Normalised YOLO box -> COCO ``[x, y, w, h]`` in pixels, clipped to the image."""
    x1 = max(0.0, (cx - w / 2) * img_w)
    y1 = max(0.0, (cy - h / 2) * img_h)
    x2 = min(float(img_w), (cx + w / 2) * img_w)
    y2 = min(float(img_h), (cy + h / 2) * img_h)
    return [x1, y1, x2 - x1, y2 - y1]


def read_bbgt_txt(path: str) -> List[dict]:
    """Read a Caltech / KAIST ``bbGt`` annotation (Piotr Dollar's toolbox, version 3).

    Line format after the ``% bbGt version=3`` header::

        label x y w h occlusion vx vy vw vh ignore angle

    (``x y w h`` the full box, ``vx vy vw vh`` the visible part). Lines with only
    ``label x y w h`` are accepted (the rest defaults to 0).

    Returns:
        list[dict]: ``label``, ``bbox`` [x, y, w, h], ``occlusion`` (int; KAIST: 0
        none, 1 partial, 2 heavy), ``visible_bbox``, ``ignore`` (0 / 1), ``angle``.
    """
    objects = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith('%'):
                continue
            fields = text.split()
            if len(fields) not in (5, 12):
                raise ValueError(f'{path}:{lineno}: expected "label x y w h occ vx vy vw vh '
                                 f'ignore angle" (12 fields) or "label x y w h", got '
                                 f'{len(fields)} fields: {text!r}')
            try:
                nums = [float(v) for v in fields[1:]] + [0.0] * (12 - len(fields))
            except ValueError:
                raise ValueError(f'{path}:{lineno}: non-numeric box fields: {text!r}') \
                    from None
            objects.append(dict(label=fields[0], bbox=nums[0:4], occlusion=int(nums[4]),
                                visible_bbox=nums[5:9], ignore=int(nums[9]),
                                angle=nums[10]))
    return objects


def read_id_list(path: str) -> List[str]:
    """Non-empty, non-comment lines of a split list (first field of each)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'split list not found: {path}')
    with open(path) as f:
        ids = [line.split()[0] for line in f if line.strip() and not line.startswith('#')]
    if not ids:
        raise ValueError(f'split list {path} is empty')
    return ids


def hash_split(name: str, val_ratio: float, seed: int = 0) -> str:
    """'train' or 'val' for ``name``, stable across runs and machines.

    The md5 of ``seed:name`` decides, so a sample keeps its split whatever other
    files exist (unlike a shuffled list).
    """
    digest = hashlib.md5(f'{seed}:{name}'.encode()).hexdigest()
    return 'val' if int(digest[:8], 16) / 0xFFFFFFFF < val_ratio else 'train'


class CocoBuilder:
    """Accumulates a COCO detection json; categories get ids 1..N in the given order.

    Args:
        categories: category names.
    """

    def __init__(self, categories: Sequence[str]) -> None:
        if len(set(categories)) != len(categories):
            raise ValueError(f'duplicate category names: {list(categories)}')
        self.categories = [dict(id=i + 1, name=n, supercategory='none')
                           for i, n in enumerate(categories)]
        self.cat_ids: Dict[str, int] = {n: i + 1 for i, n in enumerate(categories)}
        self.images: List[dict] = []
        self.annotations: List[dict] = []
        self.box_counts: Counter = Counter()
        self.crowd_count = 0

    def add_image(self, file_name: str, width: int, height: int, **extra) -> int:
        """Add an image; ``extra`` keys (e.g. ``x_file_name``) are stored as given."""
        image_id = len(self.images) + 1
        self.images.append(dict(id=image_id, file_name=file_name, width=int(width),
                                height=int(height), **extra))
        return image_id

    def add_box(self, image_id: int, category: str, bbox: Iterable[float],
                iscrowd: int = 0, **extra) -> int:
        """Add a ``[x, y, w, h]`` box; ``iscrowd=1`` marks an ignore region.

        mmdet's ``CocoDataset`` drops annotations that carry ``ignore: 1`` but turns
        ``iscrowd: 1`` into ``ignore_flag=1``, so ignore regions use ``iscrowd``.
        """
        if category not in self.cat_ids:
            raise KeyError(f'unknown category {category!r}; known: {list(self.cat_ids)}')
        x, y, w, h = (float(v) for v in bbox)
        ann_id = len(self.annotations) + 1
        self.annotations.append(dict(id=ann_id, image_id=image_id,
                                     category_id=self.cat_ids[category], bbox=[x, y, w, h],
                                     area=w * h, iscrowd=int(iscrowd), **extra))
        self.box_counts[category] += 1
        self.crowd_count += int(bool(iscrowd))
        return ann_id

    def to_dict(self) -> dict:
        return dict(images=self.images, annotations=self.annotations,
                    categories=self.categories)

    def summary(self) -> str:
        per_class = ', '.join(f'{c["name"]} {self.box_counts[c["name"]]}'
                              for c in self.categories)
        empty = len(self.images) - len({a['image_id'] for a in self.annotations})
        return (f'{len(self.images)} images ({empty} without boxes), '
                f'{len(self.annotations)} boxes ({per_class}; {self.crowd_count} ignore '
                f'regions)')

    def dump(self, path: str) -> None:
        """Write the json; refuses to overwrite an existing file."""
        refuse_existing(path)
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        with open(path, 'x') as f:
            json.dump(self.to_dict(), f)


def add_voc_objects(builder: CocoBuilder, image_id: int, annotation: dict,
                    class_map: Dict[str, Optional[str]], dropped: Counter,
                    one_based: bool = False) -> int:
    """Add the objects of a :func:`read_voc_xml` result to ``builder``.

    Args:
        class_map: lower-case VOC name -> category name; names not in it (or mapped
            to None) are not added and are counted in ``dropped``.
        one_based: subtract 1 from ``xmin`` / ``ymin`` (VOC's 1-based pixel
            indices, as mmdet 2.x read them); by default the numbers are kept.

    ``difficult`` objects become ignore regions (``iscrowd: 1``), as mmdet's VOC
    evaluation ignores them. Returns the number of boxes added.
    """
    added = 0
    for obj in annotation['objects']:
        category = class_map.get(obj['name'].lower())
        if category is None:
            dropped[obj['name']] += 1
            continue
        x1, y1, x2, y2 = obj['bbox']
        if one_based:
            x1, y1 = x1 - 1, y1 - 1
        builder.add_box(image_id, category, [x1, y1, x2 - x1, y2 - y1],
                        iscrowd=int(obj['difficult'] > 0))
        added += 1
    return added
