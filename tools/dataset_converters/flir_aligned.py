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
person, car, bicycle; other names (``dog``) are dropped and counted.

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
                                                            read_id_list, read_voc_xml,
                                                            refuse_existing)

CLASSES = ('person', 'car', 'bicycle')
LISTS = dict(train='align_train.txt', test='align_validation.txt')
PAIR_ID = re.compile(r'^(FLIR_\d+)')


def convert_flir_aligned(root: str, out_dir: str, one_based: bool = False,
                         rgb_template: str = '{id}_RGB.jpg',
                         x_template: str = '{id}_PreviewData.jpeg',
                         xml_template: str = '{id}_PreviewData.xml') -> Dict[str, str]:
    """Write one json per list; returns ``{split: summary}``."""
    outputs = {s: osp.join(out_dir, f'flir_aligned_{s}.json') for s in LISTS}
    refuse_existing(*outputs.values())
    class_map = {c: c for c in CLASSES}
    summaries = {}
    for split, list_name in LISTS.items():
        list_path = osp.join(root, list_name)
        nested = osp.join(root, 'ImageSets', 'Main', list_name)
        if not osp.isfile(list_path) and osp.isfile(nested):
            list_path = nested
        builder, dropped, missing = CocoBuilder(CLASSES), Counter(), []
        for line in read_id_list(list_path):
            match = PAIR_ID.match(osp.basename(line))
            if match is None:
                raise ValueError(f'{list_path}: "{line}" does not start with FLIR_<number>')
            pair = match.group(1)
            rgb = rgb_template.format(id=pair)
            x = x_template.format(id=pair)
            for name in (rgb, x):
                if not osp.isfile(osp.join(root, 'JPEGImages', name)):
                    missing.append(osp.join(root, 'JPEGImages', name))
            ann = read_voc_xml(osp.join(root, 'Annotations', xml_template.format(id=pair)))
            image_id = builder.add_image(rgb, ann['width'], ann['height'], x_file_name=x)
            add_voc_objects(builder, image_id, ann, class_map, dropped, one_based)
        if missing:
            raise FileNotFoundError(f'{len(missing)} image(s) listed in {list_path} are '
                                    f'missing, e.g. {missing[:3]}')
        builder.dump(outputs[split])
        summaries[split] = builder.summary() + (
            f'; dropped {dict(dropped)}' if dropped else '')
        print(f'FLIR-aligned {split}: {summaries[split]} -> {outputs[split]}')
    return summaries


def main(argv: Optional[List[str]] = None) -> Dict[str, str]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='aligned FLIR folder (JPEGImages/, Annotations/, '
                        'align_train.txt, align_validation.txt)')
    parser.add_argument('--out-dir', required=True, help='folder of the COCO jsons')
    parser.add_argument('--one-based', action='store_true',
                        help='subtract 1 from xmin / ymin (1-based VOC pixel indices)')
    args = parser.parse_args(argv)
    return convert_flir_aligned(args.root, args.out_dir, args.one_based)


if __name__ == '__main__':
    main()
