# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""YOLO text labels (``class cx cy w h``, normalised) -> a COCO json.

For RGB-X sets distributed in YOLO format (MSRS detection labels, the YOLO packs of
FLIR-aligned / LLVIP used by CFT / ICAFusion). Input::

    <images>/00001D.png        RGB images (any image suffix), give their sizes
    <labels>/00001D.txt        one line per box; a missing file means no box
    classes                    --classes person,bicycle,car or a classes.txt
                               ("0 person" or "person" per line)

Samples: every image of ``<images>``, or the ids of ``--ids`` (a list file), or those
of ``--split-json`` (``{id: split}``) whose split is ``--split``. The X images must
have the same file names under ``--x-images`` (checked when given); the json's
``file_name`` is the image file name, so ``data_prefix=dict(img=<images>,
x=<x images>)``. The json appears only when complete (``--overwrite`` replaces an
existing one); ``--nproc N`` reads images and labels on N processes.

Example (MSRS, fused labels, train split)::

    python tools/dataset_converters/yolo_to_coco.py MSRS/vi MSRS/labels_yolo/fusion \\
        --classes MSRS/labels_yolo/classes.txt --x-images MSRS/ir \\
        --split-json MSRS/msrs_split.json --split train --out MSRS/coco_train.json
"""
import argparse
import json
import os.path as osp
from typing import List, Optional

from mmrgbir.datasets.benchmarks.annotation_formats import (CocoBuilder, image_size,
                                                            read_id_list, read_yolo_txt,
                                                            yolo_to_xywh)
from mmrgbir.datasets.benchmarks.folder_layout import index_by_stem
from mmrgbir.utils.atomic_output import check_output_files, write_files_atomically
from mmrgbir.utils.progress import check_nproc, track_map


def read_classes(spec: str) -> List[str]:
    """Class names from ``a,b,c`` or from a file (``name`` or ``index name`` lines)."""
    if not osp.isfile(spec):
        if spec.endswith('.txt'):
            raise FileNotFoundError(f'class file not found: {spec}')
        names = [c.strip() for c in spec.split(',') if c.strip()]
        if not names:
            raise ValueError(f'--classes {spec!r} names no class')
        return names
    names = []
    with open(spec) as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) == 2 and fields[0].isdigit():
                if int(fields[0]) != len(names):
                    raise ValueError(f'{spec}:{lineno}: index {fields[0]}, expected '
                                     f'{len(names)} (classes must be listed in order)')
                fields = fields[1:]
            if len(fields) != 1:
                raise ValueError(f'{spec}:{lineno}: expected "name" or "index name", got '
                                 f'{line.strip()!r}')
            names.append(fields[0])
    if not names:
        raise ValueError(f'class file {spec} is empty')
    return names


def convert_yolo(images: str, labels: str, classes: List[str], out: str,
                 x_images: Optional[str] = None, ids: Optional[List[str]] = None,
                 nproc: int = 1, overwrite: bool = False, progress: bool = True) -> str:
    """Write the json; returns the summary."""
    check_output_files(out, overwrite=overwrite)
    check_nproc(nproc)
    if not osp.isdir(labels):
        raise FileNotFoundError(f'label folder not found: {labels}')
    index = index_by_stem(images, 'image')
    if ids is None:
        ids = sorted(index)
    unknown = [i for i in ids if i not in index]
    if unknown:
        raise FileNotFoundError(f'{len(unknown)} id(s) have no image in {images}, e.g. '
                                f'{unknown[:5]}')

    def read_sample(stem: str) -> tuple:
        """(width, height, YOLO rows or None without a label file) of one image."""
        name = index[stem]
        if x_images is not None and not osp.isfile(osp.join(x_images, name)):
            raise FileNotFoundError(f'X image missing for {name}: {osp.join(x_images, name)}')
        width, height = image_size(osp.join(images, name))
        txt = osp.join(labels, stem + '.txt')
        rows = read_yolo_txt(txt, len(classes)) if osp.isfile(txt) else None
        return width, height, rows

    builder, unlabeled = CocoBuilder(classes), 0
    for stem, (width, height, rows) in zip(ids, track_map(read_sample, ids, nproc,
                                                          progress=progress)):
        image_id = builder.add_image(index[stem], width, height)
        if rows is None:
            unlabeled += 1
            continue
        for cls, cx, cy, w, h in rows:
            builder.add_box(image_id, classes[cls], yolo_to_xywh(cx, cy, w, h, width, height))
    write_files_atomically({out: builder.dump}, overwrite)
    summary = builder.summary() + (f'; {unlabeled} images without a label file'
                                   if unlabeled else '')
    print(f'YOLO -> COCO: {summary} -> {out}')
    return summary


def main(argv: Optional[List[str]] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('images', help='RGB image folder')
    parser.add_argument('labels', help='YOLO label folder')
    parser.add_argument('--classes', required=True, help='a,b,c or a classes file')
    parser.add_argument('--out', required=True, help='output COCO json')
    parser.add_argument('--x-images', help='X image folder (same file names), checked')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--ids', help='list file of the ids to convert')
    group.add_argument('--split-json', help='json {id: split}; use with --split')
    parser.add_argument('--split', help='split to take from --split-json')
    parser.add_argument('--nproc', type=int, default=1,
                        help='processes reading images and labels (default 1)')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing json')
    args = parser.parse_args(argv)
    ids = None
    if args.ids:
        ids = read_id_list(args.ids)
    elif args.split_json:
        if not args.split:
            parser.error('--split-json needs --split')
        with open(args.split_json) as f:
            mapping = json.load(f)
        ids = sorted(k for k, v in mapping.items() if v == args.split)
        if not ids:
            raise ValueError(f'{args.split_json} has no id in split {args.split!r} '
                             f'(splits: {sorted(set(mapping.values()))})')
    return convert_yolo(args.images, args.labels, read_classes(args.classes), args.out,
                        args.x_images, ids, nproc=args.nproc, overwrite=args.overwrite)


if __name__ == '__main__':
    main()
