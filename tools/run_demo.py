# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""The main job: train and evaluate a small RGB-T segmentation model, no download needed.

1. generates the deterministic night-street RGB-T dataset (mmrgbir.datasets.synthetic);
2. trains the two-stream RGB + thermal model and the RGB-only baseline with the
   mmengine Runner (the same code path as tools/train.py), evaluates both (mIoU);
3. writes side-by-side PNGs (RGB, thermal, prediction, ground truth) of the
   validation images to <work-dir>/vis/.
"""
import argparse
import json
import os.path as osp
import time

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.utils import mkdir_or_exist, track_iter_progress

import mmrgbir  # noqa: F401
from mmrgbir.datasets.synthetic import generate_night_rgbt
from mmrgbir.visualization import colorize_label, side_by_side, x_to_display

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
                        help='train only the RGB+thermal model')
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


def write_panels(runner, out_dir, palette):
    mkdir_or_exist(out_dir)
    model = runner.model
    model.eval()
    loader = runner.test_dataloader
    print(f'writing side-by-side PNGs to {out_dir}')
    with torch.no_grad():
        for data in track_iter_progress(list(loader)):
            for sample in model.test_step(data):
                rgb = cv2.imread(sample.img_path)[..., ::-1]
                x = cv2.imread(sample.x_path, cv2.IMREAD_UNCHANGED)
                pred = sample.pred_sem_seg.data[0].cpu().numpy()
                gt = sample.gt_sem_seg.data[0].cpu().numpy()
                panel = side_by_side(
                    [rgb, x_to_display(x), colorize_label(pred, palette),
                     colorize_label(gt, palette)],
                    ['RGB', 'thermal', 'prediction', 'ground truth'])
                name = osp.splitext(osp.basename(sample.img_path))[0]
                cv2.imwrite(osp.join(out_dir, name + '.png'), panel[..., ::-1])


def main():
    args = parse_args()
    work_dir = osp.abspath(args.work_dir)
    data_root = osp.join(work_dir, 'data')
    print(f'generating the night-street RGB-T dataset in {data_root}')
    generate_night_rgbt(data_root)
    results = {}
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
        if name == 'RGB+thermal':
            write_panels(runner, osp.join(work_dir, 'vis'),
                         runner.test_dataloader.dataset.metainfo['palette'])
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
