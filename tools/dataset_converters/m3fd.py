# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""M3FD detection: Pascal VOC XML -> COCO jsons for a train / test split.

Input, the official download (``M3FD_Detection``)::

    Vis/00000.png  Ir/00000.png  Annotation/00000.xml      (4,200 pairs)

M3FD has no official split. Either give lists (``--train-list`` / ``--test-list``,
one id per line, e.g. the split a paper used), or let the converter split by a
stable hash of the id (``--test-ratio``, default 0.2, ``--seed``): a pair keeps its
split whatever else is in the folder. Output (what ``M3FDDataset`` reads):
``<out-dir>/m3fd_train.json`` and ``m3fd_test.json`` with classes People, Car, Bus,
Motorcycle, Lamp, Truck (names matched case-insensitively). Both jsons are written
together once both are complete (``--overwrite`` replaces existing ones); ``--nproc N``
reads the annotations on N processes.

Example::

    python tools/dataset_converters/m3fd.py data/M3FD_Detection --out-dir data/M3FD/coco
"""
import argparse
import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional

from mmrgbir.datasets.benchmarks.annotation_formats import (CocoBuilder, add_voc_objects,
                                                            hash_split, read_id_list,
                                                            read_voc_xml)
from mmrgbir.utils.atomic_output import check_output_files, write_files_atomically
from mmrgbir.utils.progress import check_nproc, track_map

CLASSES = ('People', 'Car', 'Bus', 'Motorcycle', 'Lamp', 'Truck')
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp')


def convert_m3fd(root: str, out_dir: str, train_list: Optional[str] = None,
                 test_list: Optional[str] = None, test_ratio: float = 0.2, seed: int = 0,
                 one_based: bool = False, nproc: int = 1, overwrite: bool = False,
                 progress: bool = True) -> Dict[str, str]:
    """Write ``m3fd_train.json`` / ``m3fd_test.json``; returns ``{split: summary}``."""
    outputs = {s: osp.join(out_dir, f'm3fd_{s}.json') for s in ('train', 'test')}
    check_output_files(*outputs.values(), overwrite=overwrite)
    check_nproc(nproc)
    vis_dir, ir_dir = osp.join(root, 'Vis'), osp.join(root, 'Ir')
    for folder in (vis_dir, ir_dir, osp.join(root, 'Annotation')):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'M3FD folder not found: {folder}')
    files = {osp.splitext(f)[0]: f for f in sorted(os.listdir(vis_dir))
             if f.lower().endswith(IMAGE_SUFFIXES)}
    if (train_list is None) != (test_list is None):
        raise ValueError('give both --train-list and --test-list, or neither')
    if train_list is not None:
        ids = dict(train=read_id_list(train_list), test=read_id_list(test_list))
        overlap = set(ids['train']) & set(ids['test'])
        if overlap:
            raise ValueError(f'{len(overlap)} id(s) are in both lists, e.g. '
                             f'{sorted(overlap)[:5]}')
        for split, path in (('train', train_list), ('test', test_list)):
            unknown = [i for i in ids[split] if i not in files]
            if unknown:
                raise FileNotFoundError(f'{path}: {len(unknown)} id(s) without an image in '
                                        f'{vis_dir}, e.g. {unknown[:5]}')
    else:
        ids = dict(train=[], test=[])
        for stem in files:
            ids['test' if hash_split(stem, test_ratio, seed) == 'val' else 'train'].append(stem)
    class_map = {c.lower(): c for c in CLASSES}

    def read_pair(stem: str) -> dict:
        """The VOC annotation of one pair, after checking its infrared image."""
        if not osp.isfile(osp.join(ir_dir, files[stem])):
            raise FileNotFoundError(f'infrared image missing for {files[stem]}: '
                                    f'{osp.join(ir_dir, files[stem])}')
        return read_voc_xml(osp.join(root, 'Annotation', stem + '.xml'))

    builders, summaries = {}, {}
    for split in ('train', 'test'):
        builder, dropped = CocoBuilder(CLASSES), Counter()
        anns = track_map(read_pair, ids[split], nproc, progress=progress)
        for stem, ann in zip(ids[split], anns):
            image_id = builder.add_image(files[stem], ann['width'], ann['height'])
            add_voc_objects(builder, image_id, ann, class_map, dropped, one_based)
        builders[split] = builder
        summaries[split] = builder.summary() + (
            f'; dropped {dict(dropped)}' if dropped else '')
    write_files_atomically({outputs[s]: b.dump for s, b in builders.items()}, overwrite)
    for split, summary in summaries.items():
        print(f'M3FD {split}: {summary} -> {outputs[split]}')
    return summaries


def main(argv: Optional[List[str]] = None) -> Dict[str, str]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='M3FD_Detection folder (Vis/, Ir/, Annotation/)')
    parser.add_argument('--out-dir', required=True, help='folder of the COCO jsons')
    parser.add_argument('--train-list', help='ids of the training pairs')
    parser.add_argument('--test-list', help='ids of the test pairs')
    parser.add_argument('--test-ratio', type=float, default=0.2,
                        help='fraction of pairs hashed to the test split (no lists)')
    parser.add_argument('--seed', type=int, default=0, help='salt of the hash split')
    parser.add_argument('--one-based', action='store_true',
                        help='subtract 1 from xmin / ymin (1-based VOC pixel indices)')
    parser.add_argument('--nproc', type=int, default=1,
                        help='processes reading annotations (default 1)')
    parser.add_argument('--overwrite', action='store_true', help='replace existing jsons')
    args = parser.parse_args(argv)
    return convert_m3fd(args.root, args.out_dir, args.train_list, args.test_list,
                        args.test_ratio, args.seed, args.one_based, nproc=args.nproc,
                        overwrite=args.overwrite)


if __name__ == '__main__':
    main()
