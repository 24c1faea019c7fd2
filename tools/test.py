# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Evaluate a checkpoint on the test set of a config."""
import argparse
import os

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmrgbir  # noqa: F401  (registers components, fixes checkpoint loading)
from mmrgbir.apis import apply_common_args, setup_cpu_distributed


def parse_args():
    parser = argparse.ArgumentParser(description='Test an RGB-X model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    parser.add_argument('--show-dir', help='write visualisations into this folder '
                        '(relative to the work dir, as in mmseg / mmdet)')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_visualization(cfg: Config, show_dir: str) -> None:
    hooks = cfg.default_hooks
    key = 'visualization'
    if key not in hooks:
        raise KeyError('--show-dir needs default_hooks.visualization in the config')
    hooks[key]['draw'] = True
    hooks[key]['interval'] = 1
    visualizer = cfg.visualizer
    visualizer['save_dir'] = show_dir
    # mmseg's hook reads show_dir from its own arguments, mmdet's from test_out_dir
    if 'Seg' in hooks[key]['type']:
        hooks[key]['show'] = False
    else:
        hooks[key]['test_out_dir'] = show_dir


def main():
    args = parse_args()
    cfg = apply_common_args(Config.fromfile(args.config), args)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        enable_visualization(cfg, args.show_dir)
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise KeyError('--tta needs tta_model and tta_pipeline in the config')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(
            cfg.test_evaluator, dict) else list(cfg.test_evaluator)
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.out))
    cfg = setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.test()


if __name__ == '__main__':
    main()
