# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Export an RGB-X segmentation model to ONNX and check it against PyTorch.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx --shape 480 640

The graph has one input ``input`` (1, 3 + Cx, H, W) float32 and one output ``logits``
(1, num_classes, H, W). By default the input is the NORMALISED stacked tensor (RGB in
RGB order then X, each ``(v - mean) / std`` with the statistics of the config's data
preprocessor, which are also stored in the ONNX metadata); ``--include-normalization``
puts the normalisation into the graph so the input is the raw ``[RGB | X]`` tensor.
After export the ONNX model is run with onnxruntime (CPU) on a random input and
compared with PyTorch (``--no-verify`` skips it).
"""
import argparse
import json
import sys

import torch
from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Export an RGB-X segmentor to ONNX')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file (omit: random weights, for testing)')
    parser.add_argument('--out', default='model.onnx', help='output .onnx file')
    parser.add_argument('--shape', type=int, nargs='+', default=[512, 512],
                        help='input height and width (one value: square)')
    parser.add_argument('--include-normalization', action='store_true',
                        help='normalise inside the graph (input: raw RGB 0-255 in RGB '
                        'order and raw X) instead of expecting a normalised input')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset version')
    parser.add_argument('--no-verify', action='store_true',
                        help='do not compare onnxruntime with PyTorch')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='max abs difference accepted by the check')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmrgbir.apis.export import export_segmentor_onnx, onnx_parity
    from mmrgbir.apis.inference import init_model
    shape = args.shape * 2 if len(args.shape) == 1 else args.shape
    if len(shape) != 2:
        raise ValueError(f'--shape takes H W (or one value), got {args.shape}')
    model = init_model(args.config, args.checkpoint, device='cpu',
                       cfg_options=args.cfg_options)
    meta = export_segmentor_onnx(model, args.out, shape, args.include_normalization,
                                 args.opset)
    channels = 3 + len(json.loads(meta['x_mean']))
    print(f'wrote {args.out}: input (1, {channels}, {shape[0]}, {shape[1]}) '
          f'{"raw" if args.include_normalization else "normalised"}, output logits')
    if args.no_verify:
        return
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(1, channels, *shape, generator=gen)
    if args.include_normalization:  # raw-looking values
        inputs = inputs * model.data_preprocessor.normalizer.std[None] \
            + model.data_preprocessor.normalizer.mean[None]
    diff = onnx_parity(model, args.out, inputs)
    print(f'onnxruntime vs PyTorch: max abs difference {diff:.3e} '
          f'(tolerance {args.tolerance:g})')
    if diff > args.tolerance:
        sys.exit(1)


if __name__ == '__main__':
    main()
