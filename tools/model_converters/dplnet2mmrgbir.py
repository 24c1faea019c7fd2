# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Convert an official DPLNet checkpoint into an mmrgbir / mmseg segmentor checkpoint.

    python tools/model_converters/dplnet2mmrgbir.py model_best.pth \\
        checkpoints/dplnet_mit-b5_nyudv2_official.pth
    python tools/test.py \\
        configs/dplnet/dplnet-mit-b5_segformer-head_1xb32-500e_nyudv2-8bit-depth-480x640.py \\
        checkpoints/dplnet_mit-b5_nyudv2_official.pth

The official ``model.state_dict()`` (frozen MiT-B5, prompt generators, feature
adapters, prompt tokens, decode head and its 150 -> 41 projection) becomes
``{'state_dict': {backbone.*, decode_head.*}}`` for ``DPLNetMiT`` + ``DPLNetHead``;
``load_from`` / ``tools/test.py`` load it with every backbone key present. Every
tensor of the model is required (checked here); the official ADE20K head copy inside
the MiT (``rgb.head.*``, unused by the model) is dropped.
"""
import argparse

from mmrgbir.models.converters.dplnet import convert_and_check
from mmrgbir.models.utils.pretrained import read_state_dict
from mmrgbir.models.utils.weight_conversion import (add_io_arguments, format_report,
                                                    output_path_error, write_converted)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_io_arguments(parser, 'official DPLNet checkpoint (model_best.pth / model_end.pth)',
                     'output checkpoint (load_from / tools/test.py)')
    parser.add_argument('--arch', default='b5', help='MiT variant (default b5, published)')
    parser.add_argument('--no-void', action='store_true',
                        help='class 0 of the checkpoint is a real class (default: void, as in '
                             'the official NYUDv2 model, moved to the last channel)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    error = output_path_error(args.src, args.dst, args.overwrite)
    if error:
        raise SystemExit(f'error: {error}')
    src = read_state_dict(args.src)
    converted, report = convert_and_check(src, arch=args.arch, void_first=not args.no_void)
    print(format_report(report))
    write_converted(converted, args.src, args.dst, 'dplnet2mmrgbir', arch=args.arch,
                    void_class='last' if not args.no_void else 'none')


if __name__ == '__main__':
    main()
