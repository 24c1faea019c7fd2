# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""MFNet: split the original 4-channel PNGs into RGB and thermal folders.

Input, the official download (``ir_seg_dataset``)::

    images/00001D.png     4 channels: R, G, B, thermal (8 bit)
    labels/00001D.png     class ids 0..8
    train.txt val.txt test.txt   one name per line (784 / 392 / 393)

Output (what ``MFNetDataset(stacked=False)`` reads)::

    rgb/00001D.png  thermal/00001D.png  labels/00001D.png
    train.txt val.txt test.txt trainval.txt

``MFNetDataset(stacked=True)`` reads the input directly; converting only saves
decoding the alpha channel and lets RGB / thermal be inspected separately. The output
folder appears only when complete (written in a temporary folder beside it); it must
not exist or be empty unless ``--overwrite``. ``--nproc N`` splits images on N
processes.

Example::

    python tools/dataset_converters/mfnet.py data/ir_seg_dataset data/mfnet --nproc 4
"""
import argparse
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional

import cv2

from mmrgbir.datasets.benchmarks.annotation_formats import read_id_list
from mmrgbir.utils.atomic_output import atomic_output_dir, check_output_dir
from mmrgbir.utils.progress import check_nproc, track_map

SPLITS = ('train', 'val', 'test')


def convert_mfnet(src: str, out: str, splits=SPLITS, nproc: int = 1,
                  overwrite: bool = False, progress: bool = True) -> Dict[str, int]:
    """Convert ``src`` (official layout) into ``out``; returns the counts printed.

    ``out`` appears only when every file was written (see
    :mod:`mmrgbir.utils.atomic_output`); ``nproc`` processes split the images.
    """
    images_dir, labels_dir = osp.join(src, 'images'), osp.join(src, 'labels')
    for folder in (images_dir, labels_dir):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'MFNet folder not found: {folder}')
    check_nproc(nproc)
    check_output_dir(out, overwrite)
    lists: Dict[str, List[str]] = {s: read_id_list(osp.join(src, f'{s}.txt')) for s in splits}
    names = sorted(osp.splitext(f)[0] for f in os.listdir(images_dir) if f.endswith('.png'))
    known = set(names)
    for split, ids in lists.items():
        missing = [i for i in ids if i not in known]
        if missing:
            raise FileNotFoundError(f'{osp.join(src, split + ".txt")} lists {len(missing)} '
                                    f'name(s) without an image in {images_dir}, e.g. '
                                    f'{missing[:5]}')
    with atomic_output_dir(out, overwrite) as tmp:
        for sub in ('rgb', 'thermal', 'labels'):
            os.makedirs(osp.join(tmp, sub))
        track_map(lambda name: _split_image(images_dir, labels_dir, tmp, name), names, nproc,
                  progress=progress)
        for split, ids in lists.items():
            _write_list(osp.join(tmp, f'{split}.txt'), ids)
        if 'train' in lists and 'val' in lists:
            _write_list(osp.join(tmp, 'trainval.txt'), lists['train'] + lists['val'])
    counts = dict(images=len(names), day=sum(n.endswith('D') for n in names),
                  night=sum(n.endswith('N') for n in names))
    counts.update({s: len(ids) for s, ids in lists.items()})
    return counts


def _split_image(images_dir: str, labels_dir: str, out: str, name: str) -> None:
    """Write ``out/{rgb,thermal,labels}/<name>.png`` of one 4-channel image."""
    path = osp.join(images_dir, name + '.png')
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise OSError(f'cannot decode MFNet image {path}')
    if img.ndim != 3 or img.shape[2] != 4:
        found = 1 if img.ndim == 2 else img.shape[2]
        raise ValueError(f'MFNet image {path} has {found} channel(s); expected 4 '
                         f'(RGB + thermal)')
    label = osp.join(labels_dir, name + '.png')
    if not osp.isfile(label):
        raise FileNotFoundError(f'MFNet label not found: {label}')
    # cv2 decodes BGRA and writes BGR, so the RGB file keeps the stored colours
    for target, data in ((osp.join(out, 'rgb', name + '.png'), img[..., :3]),
                         (osp.join(out, 'thermal', name + '.png'), img[..., 3])):
        if not cv2.imwrite(target, data):
            raise OSError(f'cannot write {target}')
    shutil.copyfile(label, osp.join(out, 'labels', name + '.png'))


def _write_list(path: str, ids: List[str]) -> None:
    with open(path, 'x') as f:
        f.write('\n'.join(ids) + '\n')


def main(argv: Optional[List[str]] = None) -> Dict[str, int]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official MFNet folder (images/, labels/, *.txt)')
    parser.add_argument('out', help='output folder (must not exist or be empty)')
    parser.add_argument('--nproc', type=int, default=1,
                        help='processes converting images (default 1)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace a non-empty output folder once the new one is complete')
    args = parser.parse_args(argv)
    counts = convert_mfnet(args.src, args.out, nproc=args.nproc, overwrite=args.overwrite)
    print(f'MFNet: {counts["images"]} pairs ({counts["day"]} day, {counts["night"]} night) '
          f'-> {args.out}/{{rgb,thermal,labels}}; splits: ' +
          ', '.join(f'{s} {counts[s]}' for s in SPLITS if s in counts) +
          (f', trainval {counts["train"] + counts["val"]}' if 'val' in counts else ''))
    return counts


if __name__ == '__main__':
    main()
