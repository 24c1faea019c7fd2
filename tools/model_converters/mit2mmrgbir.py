# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Convert MiT / SegFormer weights (NVIDIA or mmseg names) for DPLNet's frozen MiT.

    python tools/model_converters/mit2mmrgbir.py segformer.b5.640x640.ade.160k.pth \\
        checkpoints/mit-b5_segformer-ade20k-640x640.pth

DPLNet starts from NVIDIA's ADE20K SegFormer-B5 (``segformer.b5.640x640.ade.160k.pth``);
the ImageNet ``mit_b5.pth`` and mmseg's MiT / SegFormer files convert too. The output
holds the frozen MiT under our names and loads with ``model.backbone.pretrained``
(every MiT tensor required, checked here against a ``DPLNetMiT`` of ``--arch``).
"""
import argparse

from mmrgbir.models.converters.mit import convert_and_check
from mmrgbir.models.utils.pretrained import read_state_dict
from mmrgbir.models.utils.weight_conversion import (add_io_arguments, format_report,
                                                    output_path_error, write_converted)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_io_arguments(parser, 'NVIDIA / mmseg MiT or SegFormer checkpoint',
                     'output file (loaded by model.backbone.pretrained)')
    parser.add_argument('--arch', default='b5', help='MiT variant b0 ... b5 (default b5)')
    parser.add_argument('--format', default='auto', choices=('auto', 'nvidia', 'mmseg'),
                        help='source names (default: detected)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    error = output_path_error(args.src, args.dst, args.overwrite)
    if error:
        raise SystemExit(f'error: {error}')
    src = read_state_dict(args.src)
    converted, report = convert_and_check(src, arch=args.arch, fmt=args.format)
    print(format_report(report))
    write_converted(converted, args.src, args.dst, 'mit2mmrgbir', arch=args.arch)


if __name__ == '__main__':
    main()
