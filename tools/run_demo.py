# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""The main job: train and evaluate a small RGB-T segmentation model, no download needed.

1. generates the deterministic night-street RGB-T dataset (mmrgbir.datasets.synthetic);
2. trains the two-stream RGB + thermal model and the RGB-only baseline with the
   mmengine Runner (the same code path as tools/train.py), evaluates both (mIoU);
3. writes side-by-side PNGs of the validation images to <work-dir>/vis/: RGB, thermal,
   the RGB-only prediction, the RGB + thermal prediction and the ground truth, and one
   of them (``--picture-index``) to <work-dir>/demo_side_by_side.png (the README's
   picture, docs/images/demo_side_by_side.png).
"""
import argparse
import json
import os.path as osp
import time

import cv2
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.utils import mkdir_or_exist, track_iter_progress

import mmrgbir  # noqa: F401
from mmrgbir.datasets.synthetic import generate_night_rgbt
from mmrgbir.visualization import (colorize_label, relative_output_path, side_by_side,
                                   x_to_display)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = {
    'RGB+thermal': 'configs/demo/night-rgbt_dualstream-r18-cmx_segformerhead.py',
    'RGB only': 'configs/demo/night-rgbt_rgb-only-r18_segformerhead.py',
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--iters', type=int, default=None, help='override max_iters')
    parser.add_argument('--skip-baseline', action='store_true',
                        help='train only the RGB+thermal model (the pictures then lack '
                        'the RGB-only prediction)')
    parser.add_argument('--picture-index', type=int, default=0,
                        help='validation image shown in <work-dir>/demo_side_by_side.png')
    return parser.parse_args()


def build_cfg(path, work_dir, data_root, iters):
    cfg = Config.fromfile(osp.join(ROOT, path))
    cfg.work_dir = work_dir
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    if iters:
        cfg.train_cfg.max_iters = iters
        cfg.train_cfg.val_interval = iters
        cfg.default_hooks.checkpoint.interval = iters
        cfg.param_scheduler[0].end = iters
    return cfg


def predict(runner) -> dict:
    """``{img_path: (x_path, (H, W) predicted labels, (H, W) ground truth)}`` of a
    trained runner on its test set, in dataset order."""
    model = runner.model
    model.eval()
    preds = {}
    with torch.no_grad():
        for data in track_iter_progress(list(runner.test_dataloader)):
            for sample in model.test_step(data):
                preds[sample.img_path] = (sample.x_path,
                                          sample.pred_sem_seg.data[0].cpu().numpy(),
                                          sample.gt_sem_seg.data[0].cpu().numpy())
    return preds


def demo_panel(rgb, x, gt, predictions, palette):
    """One row: RGB | thermal | one panel per prediction | ground truth.

    Args:
        rgb: (H, W, 3) uint8 RGB; x: (H, W) thermal of any dtype; gt: (H, W) labels.
        predictions: ``{model name: (H, W) labels}`` in display order (e.g. RGB only,
            then RGB+thermal).
        palette: class colours.
    """
    panels = [rgb, x_to_display(x)] + [colorize_label(p, palette)
                                        for p in predictions.values()]
    titles = ['RGB', 'thermal'] + [f'pred. {name}' for name in predictions]
    return side_by_side(panels + [colorize_label(gt, palette)], titles + ['ground truth'])


def write_panels(predictions, out_dir, data_root, palette, picture=None, picture_index=0):
    """Side-by-side PNGs of every test image, named by their path under ``data_root``.

    ``predictions`` is ``{model name: predict(runner)}`` in display order; the
    ``picture_index``-th image is also written to ``picture``.
    """
    mkdir_or_exist(out_dir)
    print(f'writing side-by-side PNGs to {out_dir}')
    last = list(predictions.values())[-1]
    for i, (img_path, (x_path, _, gt)) in enumerate(last.items()):
        rgb = cv2.imread(img_path)[..., ::-1]
        x = cv2.imread(x_path, cv2.IMREAD_UNCHANGED)
        panel = demo_panel(rgb, x, gt, {name: preds[img_path][1]
                                        for name, preds in predictions.items()}, palette)
        out = osp.join(out_dir, relative_output_path(img_path, data_root))
        mkdir_or_exist(osp.dirname(out))
        cv2.imwrite(out, panel[..., ::-1])
        if picture and i == picture_index:
            cv2.imwrite(picture, panel[..., ::-1])
            print(f'demo picture ({osp.basename(img_path)}): {picture}')


def main():
    args = parse_args()
    work_dir = osp.abspath(args.work_dir)
    data_root = osp.join(work_dir, 'data')
    print(f'generating the night-street RGB-T dataset in {data_root}')
    generate_night_rgbt(data_root)
    results, predictions, runner = {}, {}, None
    for name, path in CONFIGS.items():
        if args.skip_baseline and name != 'RGB+thermal':
            continue
        sub = osp.join(work_dir, name.replace('+', '_').replace(' ', '_').lower())
        cfg = build_cfg(path, sub, data_root, args.iters)
        start = time.time()
        runner = Runner.from_cfg(cfg)
        runner.train()
        metrics = runner.test()
        metrics['train_and_eval_seconds'] = round(time.time() - start, 1)
        results[name] = metrics
        predictions[name] = predict(runner)
    # the RGB-only prediction first, beside the RGB + thermal one
    ordered = {name: predictions[name] for name in ('RGB only', 'RGB+thermal')
               if name in predictions}
    write_panels(ordered, osp.join(work_dir, 'vis'), osp.join(data_root, 'rgb'),
                 runner.test_dataloader.dataset.metainfo['palette'],
                 picture=osp.join(work_dir, 'demo_side_by_side.png'),
                 picture_index=args.picture_index)
    print('\nDemo results (validation set, 40 images):')
    print(f'{"model":<14}{"mIoU":>8}{"mAcc":>8}{"aAcc":>8}{"seconds":>10}')
    for name, m in results.items():
        print(f'{name:<14}{m["mIoU"]:>8.2f}{m["mAcc"]:>8.2f}{m["aAcc"]:>8.2f}'
              f'{m["train_and_eval_seconds"]:>10.1f}')
    with open(osp.join(work_dir, 'demo_results.json'), 'w') as f:
        json.dump({k: {m: float(v) for m, v in r.items()} for k, r in results.items()},
                  f, indent=2)
    print(f'side-by-side PNGs: {osp.join(work_dir, "vis")}; '
          f'per-class IoU in the logs under {work_dir}')


if __name__ == '__main__':
    main()
