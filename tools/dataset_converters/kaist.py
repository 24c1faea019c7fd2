# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""KAIST multispectral pedestrians: bbGt text annotations -> a COCO json.

Input::

    images/set00/V000/visible/I00000.jpg   images/set00/V000/lwir/I00000.jpg
    <image list>      one frame per line: set00/V000/I00000 or set00_V000_I00000
                      (e.g. the sanitized training list, 7,601 frames, or the
                      test list, 2,252 frames)
    <annotations>     Piotr Dollar's bbGt v3 text, one file per frame, laid out as
      nested:  <ann-root>/set00/V000/I00000.txt     (original / sanitized releases)
      flat:    <ann-root>/set00_V000_I00000.txt     (improved test annotations)
      paired:  <ann-root>/set00/V000/{visible,lwir}/I00000.txt
               (KAIST-paired annotations: one box set per modality)

Output (what ``KAISTDataset`` reads): ``file_name`` =
``setNN/VNNN/visible/INNNNN.jpg``, ``x_file_name`` = the lwir image, one category
``person``. Every box keeps ``height`` (box height in pixels), ``occlusion`` (0 none,
1 partial, 2 heavy) and ``kaist_label``. Boxes labelled other than ``person``
(``people``, ``cyclist``, ``person?``) and boxes flagged ignore become ignore
regions (``iscrowd: 1``), as in the Caltech / KAIST evaluation. With the paired
layout, ``--box-modality`` picks which modality's boxes are the ground truth; when
the other file lists the same objects (same count and labels), each box also gets
the other modality's box as ``x_bbox``. The json appears only when complete
(``--overwrite`` replaces an existing one); ``--nproc N`` reads frames on N processes.

Example::

    python tools/dataset_converters/kaist.py data/kaist-rgbt/images \\
        data/kaist-rgbt/annotations_paired --list data/kaist-rgbt/train-all-02.txt \\
        --ann-layout paired --out data/kaist-rgbt/coco/kaist_train.json
"""
import argparse
import os.path as osp
import re
from collections import Counter
from typing import List, Optional

from mmrgbir.datasets.benchmarks.annotation_formats import (CocoBuilder, image_size,
                                                            read_bbgt_txt, read_id_list)
from mmrgbir.utils.atomic_output import check_output_files, write_files_atomically
from mmrgbir.utils.progress import check_nproc, track_map

FRAME_ID = re.compile(r'set(\d{2})[/_]V(\d{3})[/_](?:(?:visible|lwir)[/_])?I(\d{5})')
LAYOUTS = ('nested', 'flat', 'paired')
MODALITIES = ('visible', 'lwir')


def parse_frame_id(text: str, where: str) -> tuple:
    """``('set00', 'V000', 'I00000')`` from any of the KAIST id spellings."""
    match = FRAME_ID.search(text)
    if match is None:
        raise ValueError(f'{where}: "{text}" is not a KAIST frame id '
                         f'(setNN/VNNN/INNNNN or setNN_VNNN_INNNNN)')
    s, v, i = match.groups()
    return f'set{s}', f'V{v}', f'I{i}'


def annotation_path(ann_root: str, frame: tuple, layout: str, modality: str) -> str:
    s, v, i = frame
    if layout == 'nested':
        return osp.join(ann_root, s, v, i + '.txt')
    if layout == 'flat':
        return osp.join(ann_root, f'{s}_{v}_{i}.txt')
    return osp.join(ann_root, s, v, modality, i + '.txt')


def convert_kaist(image_root: str, ann_root: str, list_file: str, out: str,
                  ann_layout: str = 'nested', box_modality: str = 'visible', nproc: int = 1,
                  overwrite: bool = False, progress: bool = True) -> str:
    """Write the json for the frames of ``list_file``; returns the summary."""
    if ann_layout not in LAYOUTS:
        raise ValueError(f'ann_layout must be one of {LAYOUTS}, got {ann_layout!r}')
    if box_modality not in MODALITIES:
        raise ValueError(f'box_modality must be one of {MODALITIES}, got {box_modality!r}')
    check_output_files(out, overwrite=overwrite)
    check_nproc(nproc)
    other = 'lwir' if box_modality == 'visible' else 'visible'

    def read_frame(line: str) -> tuple:
        """(rgb, x, width, height, objects, partners) of one list line."""
        frame = parse_frame_id(line, list_file)
        s, v, i = frame
        rgb = f'{s}/{v}/visible/{i}.jpg'
        x = f'{s}/{v}/lwir/{i}.jpg'
        if not osp.isfile(osp.join(image_root, x)):
            raise FileNotFoundError(f'lwir image missing: {osp.join(image_root, x)}')
        width, height = image_size(osp.join(image_root, rgb))
        ann_path = annotation_path(ann_root, frame, ann_layout, box_modality)
        if not osp.isfile(ann_path):
            raise FileNotFoundError(f'annotation missing for {line}: {ann_path}')
        objects = read_bbgt_txt(ann_path)
        partners = None
        if ann_layout == 'paired':
            other_path = annotation_path(ann_root, frame, ann_layout, other)
            if osp.isfile(other_path):
                candidates = read_bbgt_txt(other_path)
                if [o['label'] for o in candidates] == [o['label'] for o in objects]:
                    partners = candidates
        return rgb, x, width, height, objects, partners

    builder, labels = CocoBuilder(['person']), Counter()
    unpaired = 0
    frames = track_map(read_frame, read_id_list(list_file), nproc, progress=progress)
    for rgb, x, width, height, objects, partners in frames:
        if ann_layout == 'paired' and partners is None and objects:
            unpaired += 1
        image_id = builder.add_image(rgb, width, height, x_file_name=x)
        for k, obj in enumerate(objects):
            labels[obj['label']] += 1
            ignore = obj['label'] != 'person' or obj['ignore'] > 0
            extra = dict(height=obj['bbox'][3], occlusion=obj['occlusion'],
                         kaist_label=obj['label'])
            if partners is not None:
                extra['x_bbox'] = partners[k]['bbox']
            builder.add_box(image_id, 'person', obj['bbox'], iscrowd=int(ignore), **extra)
    write_files_atomically({out: builder.dump}, overwrite)
    summary = (builder.summary() + f'; labels {dict(sorted(labels.items()))}' +
               (f'; {unpaired} frames without matching {other} boxes' if unpaired else ''))
    print(f'KAIST {osp.basename(list_file)}: {summary} -> {out}')
    return summary


def main(argv: Optional[List[str]] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('image_root', help='KAIST images/ folder (setNN/VNNN/{visible,lwir})')
    parser.add_argument('ann_root', help='annotation folder')
    parser.add_argument('--list', required=True, help='frame list (one id per line)')
    parser.add_argument('--out', required=True, help='output COCO json')
    parser.add_argument('--ann-layout', choices=LAYOUTS, default='nested')
    parser.add_argument('--box-modality', choices=MODALITIES, default='visible',
                        help='paired layout: whose boxes are the ground truth')
    parser.add_argument('--nproc', type=int, default=1,
                        help='processes reading frames (default 1)')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing json')
    args = parser.parse_args(argv)
    return convert_kaist(args.image_root, args.ann_root, args.list, args.out,
                         args.ann_layout, args.box_modality, nproc=args.nproc,
                         overwrite=args.overwrite)


if __name__ == '__main__':
    main()
