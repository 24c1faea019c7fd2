# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Run a trained RGB-X model on a pair of images or on two folders of pairs.

    python tools/infer.py CONFIG CHECKPOINT --rgb rgb.png --x thermal.png --out-dir out
    python tools/infer.py CONFIG CHECKPOINT --rgb rgb_dir/ --x thermal_dir/ --out-dir out

Folders are searched recursively and paired by the path relative to the folder, without
suffix (``rgb_dir/0001.jpg`` with ``thermal_dir/0001.png``,
``rgb_dir/set01/V000/I00000.jpg`` with ``thermal_dir/set01/V000/I00000.png``). One PNG
per pair is written to ``--out-dir/<that relative path>.png``, so equal base names in
different sub-folders (KAIST's ``set00/V000/I00000`` and ``set01/V000/I00000``) get
different pictures:

- segmentation: the prediction overlaid on RGB and on X, side by side
  (+ the ground truth with ``--gt``);
- detection: the predicted boxes drawn on both modalities;
- salient-object detection: RGB | X | saliency map (| ground truth with ``--gt``).
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.structures import PixelData

IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Inference on RGB + X image pairs')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--rgb', required=True, help='RGB image or folder of RGB images (searched '
                        'recursively)')
    parser.add_argument('--x', required=True,
                        help='X (thermal / depth) image or folder, paired by the path '
                        'relative to the folder without suffix')
    parser.add_argument('--gt', help='optional ground-truth mask / label image or folder '
                        '(segmentation and SOD)')
    parser.add_argument('--out-dir', required=True, help='where to write the pictures')
    parser.add_argument('--task', choices=['auto', 'seg', 'det', 'sod'], default='auto',
                        help='what to draw; auto: from the model (mmseg segmentor -> seg, '
                        'or sod for SOD classes / SODMetric; mmdet detector -> det)')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='detection: draw boxes with at least this score')
    parser.add_argument('--device', default='cpu', help='cpu, cuda:0, ...')
    parser.add_argument('--max-height', type=int, default=None,
                        help='downscale the panels to at most this height')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    return parser.parse_args(argv)


def _index(folder: str) -> dict:
    """``{path relative to folder without suffix ('/'-separated): path}``, recursive.

    Two files that differ only by suffix (``a.jpg``, ``a.png``) are ambiguous: error.
    """
    index = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for f in sorted(filenames):
            if not f.lower().endswith(IMAGE_EXTS):
                continue
            path = osp.join(dirpath, f)
            key = osp.splitext(osp.relpath(path, folder))[0].replace(os.sep, '/')
            if key in index:
                raise ValueError(f'{folder}: two images for "{key}": {index[key]} and '
                                 f'{path}; keep one')
            index[key] = path
    return index


def find_pairs(rgb: str, x: str, gt: str = None):
    """``[(name, rgb_path, x_path, gt_path or None)]`` for a pair or two folders."""
    if osp.isfile(rgb) and osp.isfile(x):
        name = osp.splitext(osp.basename(rgb))[0]
        return [(name, rgb, x, gt if gt and osp.isfile(gt) else None)], []
    if not (osp.isdir(rgb) and osp.isdir(x)):
        raise FileNotFoundError(f'--rgb {rgb} and --x {x} must be two existing files or '
                                f'two existing folders')
    rgbs, xs = _index(rgb), _index(x)
    gts = _index(gt) if gt and osp.isdir(gt) else {}
    names = sorted(set(rgbs) & set(xs))
    unmatched = sorted(set(rgbs) ^ set(xs))
    if not names:
        raise FileNotFoundError(f'no pair of images with the same relative path (without '
                                f'suffix) in {rgb} and {x}')
    return [(n, rgbs[n], xs[n], gts.get(n)) for n in names], unmatched


def attach_ground_truth(sample, gt_path: str, task: str, dataset_meta: dict) -> None:
    """Read a label / mask image into ``sample.gt_sem_seg`` (SOD masks as 0 / 1)."""
    gt = cv2.imread(gt_path, cv2.IMREAD_UNCHANGED)
    if gt is None:
        raise OSError(f'cannot read ground truth {gt_path}')
    gt = gt[..., 0] if gt.ndim == 3 else gt
    if task == 'sod':
        gt = (gt >= 128 * (257 if gt.dtype == np.uint16 else 1)).astype(np.uint8)
    else:
        label_map = dataset_meta.get('label_map') or {}
        mapped = gt.copy()
        for src, dst in label_map.items():
            mapped[gt == src] = dst
        gt = mapped
    sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt.astype(np.int64))[None])


def main(argv=None):
    args = parse_args(argv)
    from mmrgbir.apis.inference import detect_task, inference_model, init_model
    from mmrgbir.visualization.output_paths import OutputPathGuard
    from mmrgbir.visualization.rgbx_visualizer import read_x_image, render_sample

    pairs, unmatched = find_pairs(args.rgb, args.x, args.gt)
    if unmatched:
        print(f'skipping {len(unmatched)} image(s) without a partner: '
              f'{", ".join(unmatched[:10])}{" ..." if len(unmatched) > 10 else ""}',
              file=sys.stderr)
    model = init_model(args.config, args.checkpoint, device=args.device,
                       cfg_options=args.cfg_options)
    model_task = detect_task(model)
    task = model_task if args.task == 'auto' else args.task
    if (task == 'det') != (model_task == 'det'):
        raise ValueError(f'--task {task} does not fit this model ({model_task})')
    os.makedirs(args.out_dir, exist_ok=True)
    guard = OutputPathGuard('picture')  # never onto an input image
    failed = []
    for name, rgb_path, x_path, gt_path in pairs:
        try:
            sample = inference_model(model, rgb_path, x_path)
            if gt_path is not None and task != 'det':
                attach_ground_truth(sample, gt_path, task, model.dataset_meta)
            rgb = cv2.imread(rgb_path, cv2.IMREAD_COLOR)[..., ::-1]
            picture = render_sample(rgb, read_x_image(x_path), sample, task=task,
                                    dataset_meta=model.dataset_meta,
                                    draw_gt=gt_path is not None, score_thr=args.score_thr,
                                    max_height=args.max_height)
        except (OSError, ValueError) as exc:  # a missing / corrupt / misaligned file
            if len(pairs) == 1:
                raise
            print(f'{name}: skipped: {exc}', file=sys.stderr)
            failed.append(name)
            continue
        out = osp.join(args.out_dir, *name.split('/')) + '.png'  # keeps sub-folders
        guard.claim(out, rgb_path, x_path, gt_path)
        os.makedirs(osp.dirname(out), exist_ok=True)
        if not cv2.imwrite(out, picture[..., ::-1]):
            raise OSError(f'cannot write {out}')
        print(f'{name}: {out}')
    print(f'{len(pairs) - len(failed)} picture(s) ({task}) written to {args.out_dir}')
    if failed:
        print(f'{len(failed)} pair(s) failed: {", ".join(failed)}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
