# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Evaluate a checkpoint with a missing, noisy, blurred or misaligned modality.

    python tools/analysis/robustness_eval.py CONFIG CHECKPOINT \
        [--conditions clean rgb_missing x_missing x_noise x_blur x_misaligned]

Runs the config's test set once per condition (the corruption is inserted into the
test pipeline before packing, see mmrgbir/apis/robustness.py) and prints a table of
the metrics per condition. Conditions: the config's ``robustness_conditions`` or the
defaults of ``mmrgbir.apis.robustness.DEFAULT_CONDITIONS``.

Progress: one line per condition with the elapsed time and an ETA, and the Runner's
batch log inside each condition. There is no ``--nproc``: each condition is a full
model evaluation that already uses the cores / GPU (data loading workers:
``--cfg-options test_dataloader.num_workers=4``); see ``evaluate_robustness``.
"""
import argparse
import json
import os.path as osp

from mmengine.config import Config, DictAction

import mmrgbir  # noqa: F401  (registers components, fixes checkpoint loading)
from mmrgbir.apis.robustness import (conditions_from_cfg, evaluate_robustness,
                                     format_table, select_conditions)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--conditions', nargs='+', default=None,
                        help='condition names (default: all of the config / defaults)')
    parser.add_argument('--list', action='store_true',
                        help='print the conditions and their transforms and exit')
    parser.add_argument('--work-dir', help='logs go to WORK_DIR/<condition>/ '
                        '(default: work_dirs/robustness/<config name>)')
    parser.add_argument('--metric', help='metric of the delta column (default: mIoU, '
                        'coco/bbox_mAP or Sm, whichever the evaluator reports)')
    parser.add_argument('--out', help='also write {condition: metrics} to this json file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    conditions = select_conditions(conditions_from_cfg(cfg), args.conditions)
    if args.list:
        for name, transforms in conditions.items():
            print(f'{name}: {transforms}')
        return
    work_dir = args.work_dir or osp.join(
        'work_dirs', 'robustness', osp.splitext(osp.basename(args.config))[0])
    results = evaluate_robustness(cfg, args.checkpoint, list(conditions), work_dir)
    print(f'\nRobustness of {args.checkpoint} ({osp.basename(args.config)}):')
    print(format_table(results, args.metric))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'results written to {args.out}')


if __name__ == '__main__':
    main()
