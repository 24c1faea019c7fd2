# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""LLVIP: Pascal VOC XML annotations -> one COCO json per split.

Input, the official download::

    Annotations/010001.xml          one per pair (boxes valid for both images)
    visible/train/010001.jpg        infrared/train/010001.jpg
    visible/test/190001.jpg         infrared/test/190001.jpg

Output (what ``LLVIPDataset`` reads, with ``data_prefix=dict(img='visible',
x='infrared')``): ``<out-dir>/llvip_<split>.json`` with ``file_name`` =
``<split>/<id>.jpg``, category ``person``. Boxes: COCO [xmin, ymin, xmax - xmin,
ymax - ymin] from the XML numbers (``--one-based`` subtracts 1 from xmin / ymin).
The jsons are written together once all are complete (``--overwrite`` replaces existing
ones); ``--nproc N`` reads the annotations on N processes.

Example::

    python tools/dataset_converters/llvip.py data/LLVIP --out-dir data/LLVIP/coco
"""
import argparse
import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional

from mmrgbir.datasets.benchmarks.annotation_formats import (CocoBuilder, add_voc_objects,
                                                            read_voc_xml)
from mmrgbir.utils.atomic_output import check_output_files, write_files_atomically
from mmrgbir.utils.progress import check_nproc, track_map

CLASS_MAP = {'person': 'person'}
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png')


def convert_llvip(root: str, out_dir: str, splits=('train', 'test'),
                  one_based: bool = False, nproc: int = 1, overwrite: bool = False,
                  progress: bool = True) -> Dict[str, str]:
    """Write ``llvip_<split>.json`` per split; returns ``{split: summary}``."""
    outputs = {s: osp.join(out_dir, f'llvip_{s}.json') for s in splits}
    check_output_files(*outputs.values(), overwrite=overwrite)
    check_nproc(nproc)
    builders, summaries = {}, {}
    for split in splits:
        vis_dir = osp.join(root, 'visible', split)
        ir_dir = osp.join(root, 'infrared', split)
        for folder in (vis_dir, ir_dir):
            if not osp.isdir(folder):
                raise FileNotFoundError(f'LLVIP folder not found: {folder}')
        names = sorted(f for f in os.listdir(vis_dir) if f.lower().endswith(IMAGE_SUFFIXES))
        if not names:
            raise FileNotFoundError(f'no image in {vis_dir}')

        def read_pair(name: str, ir_dir: str = ir_dir) -> dict:
            """The VOC annotation of one pair, after checking its infrared image."""
            ir_path = osp.join(ir_dir, name)
            if not osp.isfile(ir_path):
                raise FileNotFoundError(f'infrared image missing for {name}: {ir_path}')
            return read_voc_xml(osp.join(root, 'Annotations', osp.splitext(name)[0] + '.xml'))

        builder, dropped = CocoBuilder(['person']), Counter()
        anns = track_map(read_pair, names, nproc, progress=progress)
        for name, ann in zip(names, anns):
            image_id = builder.add_image(f'{split}/{name}', ann['width'], ann['height'])
            add_voc_objects(builder, image_id, ann, CLASS_MAP, dropped, one_based)
        builders[split] = builder
        summaries[split] = builder.summary() + (
            f'; dropped {dict(dropped)}' if dropped else '')
    write_files_atomically({outputs[s]: b.dump for s, b in builders.items()}, overwrite)
    for split, summary in summaries.items():
        print(f'LLVIP {split}: {summary} -> {outputs[split]}')
    return summaries


def main(argv: Optional[List[str]] = None) -> Dict[str, str]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='LLVIP folder (Annotations/, visible/, infrared/)')
    parser.add_argument('--out-dir', required=True, help='folder of the COCO jsons')
    parser.add_argument('--splits', nargs='+', default=['train', 'test'])
    parser.add_argument('--one-based', action='store_true',
                        help='subtract 1 from xmin / ymin (1-based VOC pixel indices)')
    parser.add_argument('--nproc', type=int, default=1,
                        help='processes reading annotations (default 1)')
    parser.add_argument('--overwrite', action='store_true', help='replace existing jsons')
    args = parser.parse_args(argv)
    return convert_llvip(args.root, args.out_dir, args.splits, args.one_based,
                         nproc=args.nproc, overwrite=args.overwrite)


if __name__ == '__main__':
    main()
