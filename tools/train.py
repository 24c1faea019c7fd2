# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Train a model from an mm-style config (segmentation, SOD or detection)."""
import argparse
import os

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner, find_latest_checkpoint

import mmrgbir  # noqa: F401  (registers components, fixes checkpoint loading)
from mmrgbir.apis import (apply_common_args, frozen_weights_from_checkpoint,
                          setup_cpu_distributed, teardown_distributed, verify_frozen_weights)


def parse_args():
    parser = argparse.ArgumentParser(description='Train an RGB-X model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or without a value from the latest '
        'checkpoint in the work directory')
    parser.add_argument('--amp', action='store_true', default=False,
                        help='enable automatic-mixed-precision training')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    cfg = apply_common_args(Config.fromfile(args.config), args)
    if args.amp:
        wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper_type not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {wrapper_type}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    # a method backbone without `pretrained` may take its frozen weights from the
    # checkpoint that is loaded or resumed (checked below), never from nowhere
    checkpoint = cfg.get('load_from')
    if cfg.get('resume') and checkpoint is None:
        checkpoint = find_latest_checkpoint(cfg.work_dir)
    frozen_weights_from_checkpoint(cfg.model, checkpoint)
    cfg = setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    verify_frozen_weights(runner.model, checkpoint)
    runner.train()
    del runner   # free model and buffers while the interpreter is fully alive
    teardown_distributed()


if __name__ == '__main__':
    main()
