# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""FLIR-aligned (the CFR release): Pascal VOC XML + split lists -> COCO jsons.

Input, the aligned FLIR download (``align/``)::

    JPEGImages/FLIR_00002_RGB.jpg  JPEGImages/FLIR_00002_PreviewData.jpeg
    Annotations/FLIR_00002_PreviewData.xml
    align_train.txt (4,129)  align_validation.txt (1,013)
                                   (or under ImageSets/Main/, as some copies keep them)

Each list line names a pair (``FLIR_00002`` or ``FLIR_00002_PreviewData``).
Output (what ``FLIRAlignedDataset`` reads): ``<out-dir>/flir_aligned_train.json`` and
``flir_aligned_test.json`` (from the validation list, the test set of every paper)
with ``file_name`` = the RGB image and ``x_file_name`` = the thermal image. Classes
person, car, bicycle; other names (``dog``) are dropped and counted. Both jsons are
written together once both are complete (``--overwrite`` replaces existing ones);
``--nproc N`` reads the annotations on N processes.

Example::

    python tools/dataset_converters/flir_aligned.py data/FLIR_aligned/align \\
        --out-dir data/FLIR_aligned/coco
"""
import argparse
import os.path as osp
import re
from collections import Counter
from typing import Dict, List, Optional

from mmrgbir.datasets.benchmarks.annotation_formats import (CocoBuilder, add_voc_objects,
                                                            read_id_list, read_voc_xml)
from mmrgbir.utils.atomic_output import check_output_files, write_files_atomically
from mmrgbir.utils.progress import check_nproc, track_map

CLASSES = ('person', 'car', 'bicycle')
LISTS = dict(train='align_train.txt', test='align_validation.txt')
PAIR_ID = re.compile(r'^(FLIR_\d+)')


def convert_flir_aligned(root: str, out_dir: str, one_based: bool = False,
                         rgb_template: str = '{id}_RGB.jpg',
                         x_template: str = '{id}_PreviewData.jpeg',
                         xml_template: str = '{id}_PreviewData.xml', nproc: int = 1,
                         overwrite: bool = False, progress: bool = True) -> Dict[str, str]:
    """Write one json per list; returns ``{split: summary}``."""
    outputs = {s: osp.join(out_dir, f'flir_aligned_{s}.json') for s in LISTS}
    check_output_files(*outputs.values(), overwrite=overwrite)
    check_nproc(nproc)
    class_map = {c: c for c in CLASSES}
    builders, summaries = {}, {}
    for split, list_name in LISTS.items():
        list_path = osp.join(root, list_name)
        nested = osp.join(root, 'ImageSets', 'Main', list_name)
        if not osp.isfile(list_path) and osp.isfile(nested):
            list_path = nested
        pairs = []
        for line in read_id_list(list_path):
            match = PAIR_ID.match(osp.basename(line))
            if match is None:
                raise ValueError(f'{list_path}: "{line}" does not start with FLIR_<number>')
            pairs.append(match.group(1))

        def read_pair(pair: str) -> tuple:
            """(rgb name, x name, missing image paths, VOC annotation) of one pair."""
            rgb, x = rgb_template.format(id=pair), x_template.format(id=pair)
            missing = [osp.join(root, 'JPEGImages', n) for n in (rgb, x)
                       if not osp.isfile(osp.join(root, 'JPEGImages', n))]
            xml = osp.join(root, 'Annotations', xml_template.format(id=pair))
            return rgb, x, missing, read_voc_xml(xml)

        builder, dropped, missing = CocoBuilder(CLASSES), Counter(), []
        for rgb, x, absent, ann in track_map(read_pair, pairs, nproc, progress=progress):
            missing += absent
            image_id = builder.add_image(rgb, ann['width'], ann['height'], x_file_name=x)
            add_voc_objects(builder, image_id, ann, class_map, dropped, one_based)
        if missing:
            raise FileNotFoundError(f'{len(missing)} image(s) listed in {list_path} are '
                                    f'missing, e.g. {missing[:3]}')
        builders[split] = builder
        summaries[split] = builder.summary() + (
            f'; dropped {dict(dropped)}' if dropped else '')
    write_files_atomically({outputs[s]: b.dump for s, b in builders.items()}, overwrite)
    for split, summary in summaries.items():
        print(f'FLIR-aligned {split}: {summary} -> {outputs[split]}')
    return summaries


def main(argv: Optional[List[str]] = None) -> Dict[str, str]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='aligned FLIR folder (JPEGImages/, Annotations/, '
                        'align_train.txt, align_validation.txt)')
    parser.add_argument('--out-dir', required=True, help='folder of the COCO jsons')
    parser.add_argument('--one-based', action='store_true',
                        help='subtract 1 from xmin / ymin (1-based VOC pixel indices)')
    parser.add_argument('--nproc', type=int, default=1,
                        help='processes reading annotations (default 1)')
    parser.add_argument('--overwrite', action='store_true', help='replace existing jsons')
    args = parser.parse_args(argv)
    return convert_flir_aligned(args.root, args.out_dir, args.one_based, nproc=args.nproc,
                                overwrite=args.overwrite)


if __name__ == '__main__':
    main()
