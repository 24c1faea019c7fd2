# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Look at what a config's pipeline feeds the model: RGB and X panels with the labels.

    python tools/analysis/browse_dataset.py CONFIG --phase train --max-items 8 \
        --output-dir work_dirs/browse

Each sample is taken after the whole pipeline (augmentations included), the stacked
``[RGB | X]`` image is split with its modality layout, and the annotations are drawn
on both modalities (segmentation labels overlaid, detection boxes, SOD masks). One PNG
per sample: ``<output-dir>/<index>_<base name>.png``.
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Browse an RGB-X dataset after its '
                                     'pipeline')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', default='work_dirs/browse_dataset',
                        help='where to write the pictures')
    parser.add_argument('--phase', choices=['train', 'val', 'test'], default='train',
                        help='which dataloader of the config to browse')
    parser.add_argument('--max-items', type=int, default=20,
                        help='number of samples to draw')
    parser.add_argument('--task', choices=['auto', 'seg', 'sod', 'det'], default='auto',
                        help='what to draw (auto: from the config)')
    parser.add_argument('--max-height', type=int, default=None,
                        help='downscale the panels to at most this height')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    return parser.parse_args(argv)


def split_inputs(inputs, layout: dict):
    """Packed (C, H, W) ``[BGR | X]`` tensor -> (RGB (H, W, 3) uint8, X (H, W, Cx))."""
    from mmrgbir.structures import rgb_slice, x_slice
    img = inputs.detach().cpu().numpy().transpose(1, 2, 0)
    bgr = img[..., rgb_slice(layout)]
    rgb = np.clip(bgr[..., ::-1], 0, 255).astype(np.uint8)  # loaders decode BGR
    return np.ascontiguousarray(rgb), np.ascontiguousarray(img[..., x_slice(layout)])


def browse(cfg: Config, output_dir: str, phase: str = 'train', max_items: int = 20,
           task: str = 'auto', max_height=None) -> list:
    """Write the pictures of the first ``max_items`` samples; returns their paths."""
    import mmrgbir  # noqa: F401  (registers components)
    from mmengine.registry import DATASETS

    from mmrgbir.apis.inference import task_from_config
    from mmrgbir.visualization.rgbx_visualizer import render_sample

    task = task_from_config(cfg) if task == 'auto' else task
    init_default_scope(cfg.get('default_scope', 'mmdet' if task == 'det' else 'mmseg'))
    loader = cfg.get(f'{phase}_dataloader')
    if not loader:
        raise KeyError(f'the config has no {phase}_dataloader')
    dataset = DATASETS.build(loader['dataset'])
    meta = dict(dataset.metainfo)
    os.makedirs(output_dir, exist_ok=True)
    written = []
    for i in range(min(max_items, len(dataset))):
        item = dataset[i]
        sample = item['data_samples']
        layout = sample.metainfo.get('modality_layout')
        if layout is None:
            raise KeyError('the packed sample has no "modality_layout" in its metainfo: '
                           'load with LoadRGBXImageFromFile and pack with '
                           'PackRGBXSegInputs / PackRGBXDetInputs')
        rgb, x = split_inputs(item['inputs'], layout)
        picture = render_sample(rgb, x, sample, task=task, dataset_meta=meta,
                                draw_gt=True, draw_pred=False, max_height=max_height)
        stem = osp.splitext(osp.basename(sample.metainfo.get('img_path', f'{i}')))[0]
        out = osp.join(output_dir, f'{i:04d}_{stem}.png')
        cv2.imwrite(out, picture[..., ::-1])
        written.append(out)
    return written


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    written = browse(cfg, args.output_dir, args.phase, args.max_items, args.task,
                     args.max_height)
    print(f'{len(written)} picture(s) of the {args.phase} pipeline written to '
          f'{args.output_dir}')


if __name__ == '__main__':
    main()
