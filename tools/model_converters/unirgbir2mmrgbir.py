# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Convert an official UniRGB-IR checkpoint (detection, segmentation, SOD) to ours.

    python tools/model_converters/unirgbir2mmrgbir.py flir_unirgbir.pth \\
        checkpoints/unirgbir_flir.pth [--config CONFIG]

The whole model converts: frozen ViT, feature pool, injectors, gates, the detection
neck and the stock mmdet / mmseg heads. It is checked against the model of ``--config``
(default: our published config of the detected task: FLIR detection, MFNet
segmentation or VT5000 SOD); any model tensor missing from the source, any shape
difference and any source tensor not understood stops the conversion with the
report. The output is a ``{'state_dict': ...}`` checkpoint for ``tools/test.py CONFIG
CKPT`` or ``load_from``.
"""
import argparse
import os.path as osp

from mmrgbir.apis.analysis import build_model_from_cfg, load_config
from mmrgbir.models.converters.unirgbir import (DEFAULT_CONFIGS, convert_and_check,
                                                detect_task)
from mmrgbir.models.utils.pretrained import read_state_dict
from mmrgbir.models.utils.weight_conversion import (add_io_arguments, format_report,
                                                    output_path_error, write_converted)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_io_arguments(parser, 'official UniRGB-IR checkpoint (.pth)',
                     'output checkpoint (tools/test.py / load_from)')
    parser.add_argument('--config', default=None,
                        help='our config the checkpoint is for (default: by task)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    error = output_path_error(args.src, args.dst, args.overwrite)
    if error:
        raise SystemExit(f'error: {error}')
    src = read_state_dict(args.src)
    task = detect_task(src)
    config = args.config or osp.join(ROOT, DEFAULT_CONFIGS[task])
    print(f'detected task: {task}; checking against {config}')
    reference = build_model_from_cfg(load_config(config))
    converted, report = convert_and_check(src, reference)
    print(format_report(report))
    write_converted(converted, args.src, args.dst, 'unirgbir2mmrgbir', task=task,
                    config=osp.basename(config))


if __name__ == '__main__':
    main()
