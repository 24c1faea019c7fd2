# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Evaluate a checkpoint on the test set of a config."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmrgbir  # noqa: F401  (registers components, fixes checkpoint loading)
from mmrgbir.apis import (apply_common_args, frozen_weights_from_checkpoint,
                          setup_cpu_distributed, teardown_distributed, verify_frozen_weights)


def parse_args():
    parser = argparse.ArgumentParser(description='Test an RGB-X model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    parser.add_argument('--show-dir', help='write one picture per test image (RGB and X '
                        'panels with the predictions) into this folder (a relative path '
                        'is relative to the work dir); file names keep the image path '
                        'relative to the dataset image folder')
    parser.add_argument('--save-maps', metavar='DIR',
                        help='SOD: save every saliency map as an 8-bit PNG at ground-truth '
                        'size into DIR/<image path relative to the image folder>.png (per '
                        'set: DIR/<set>/... for a NamedConcatDataset); a relative DIR is '
                        'relative to the work dir')
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
    """Write one picture per test image into ``show_dir`` with ``RGBXLocalVisualizer``.

    Segmentation: prediction over RGB and X (+ ground truth); SOD: RGB | X | saliency |
    ground truth; detection: boxes on both modalities. The stock hooks
    (mmseg ``SegVisualizationHook``, mmdet ``DetVisualizationHook``) call the
    visualizer; it writes ``<show_dir>/<image path relative to the dataset's image
    folder>.png`` (``<show_dir>/<set>/...`` for a ``NamedConcatDataset``), so equal
    base names in different folders never overwrite each other. A relative
    ``show_dir`` is taken relative to the work dir.
    """
    from mmrgbir.apis.inference import task_from_config
    from mmrgbir.evaluation.test_outputs import image_roots_from_config
    from mmrgbir.visualization.rgbx_visualizer import RGBXLocalVisualizer  # noqa: F401
    hooks = cfg.default_hooks
    key = 'visualization'
    if key not in hooks:
        raise KeyError('--show-dir needs default_hooks.visualization in the config '
                       '(SegVisualizationHook or DetVisualizationHook)')
    hooks[key]['draw'] = True
    hooks[key]['interval'] = 1
    hooks[key]['show'] = False
    hooks[key].pop('test_out_dir', None)  # the visualizer writes the files itself
    out_dir = show_dir if osp.isabs(show_dir) else osp.join(cfg.work_dir, show_dir)
    old = cfg.get('visualizer') or {}
    # no fixed name: the Runner names it after the run, so a second run in the same
    # process gets a new visualizer instead of the first one (named singletons)
    cfg.visualizer = dict(type='RGBXLocalVisualizer',
                          vis_backends=old.get('vis_backends',
                                               [dict(type='LocalVisBackend')]),
                          task=task_from_config(cfg), out_dir=osp.abspath(out_dir),
                          img_root=image_roots_from_config(cfg))


def main():
    args = parse_args()
    cfg = apply_common_args(Config.fromfile(args.config), args)
    cfg.load_from = args.checkpoint
    # frozen backbone weights come from the checkpoint (verified once the model exists)
    frozen_weights_from_checkpoint(cfg.model, args.checkpoint)
    # Testing needs no training data. (mmseg's visualization hook reads runner.iter,
    # which would otherwise build the train loop and its dataset.)
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler'):
        cfg[key] = None
    if args.show_dir:
        enable_visualization(cfg, args.show_dir)
    if args.save_maps:
        from mmrgbir.evaluation.test_outputs import enable_saliency_maps
        enable_saliency_maps(cfg, args.save_maps)
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise KeyError('--tta needs tta_model and tta_pipeline in the config')
        dataset = cfg.test_dataloader.dataset
        for ds in dataset.get('datasets') or [dataset]:  # every set of a NamedConcatDataset
            ds.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        dump = dict(type='DumpResults', out_file_path=args.out)
        if isinstance(cfg.test_evaluator, dict) and 'metrics' in cfg.test_evaluator:
            # an evaluator config (PerDatasetEvaluator): the dump goes among its metrics
            metrics = cfg.test_evaluator.metrics
            cfg.test_evaluator.metrics = ([metrics] if isinstance(metrics, dict) else
                                          list(metrics)) + [dump]
        else:
            cfg.test_evaluator = [cfg.test_evaluator] if isinstance(
                cfg.test_evaluator, dict) else list(cfg.test_evaluator)
            cfg.test_evaluator.append(dump)
    cfg = setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    verify_frozen_weights(runner.model, args.checkpoint)
    runner.test()
    del runner   # free model and buffers while the interpreter is fully alive
    teardown_distributed()


if __name__ == '__main__':
    main()
