# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Convert an mmdet Swin checkpoint (e.g. DINO 5-scale Swin-L COCO) for IVTuningSwin.

    python tools/model_converters/swin2mmrgbir.py \
        dino-5scale_swin-l_8xb2-36e_coco-5486e051.pth \
        checkpoints/dino-5scale_swin-l_coco_mmrgbir.pth

A detector checkpoint keeps its neck / transformer / head keys (for ``load_from``) and
gets its Swin renamed to ``backbone.swin.*`` (timm names, patch-merging channels
reordered) and ``backbone.out_norms.*``; a backbone-only file gives ``swin.*`` /
``out_norms.*``. The result is checked against a freshly built IVTuningSwin (every
frozen tensor present, shapes equal) and a table of mapped / dropped / unused / missing
keys is printed; any missing, mis-shaped or not-understood key is an error and
nothing is written. See mmrgbir/models/converters/swin.py for the key map.
"""
import argparse
import json
import sys

import torch

from mmrgbir.models.utils.weight_conversion import add_io_arguments


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_io_arguments(parser, 'mmdet checkpoint (.pth)', 'output file')
    parser.add_argument('--model-name', default='swin_large_patch4_window12_384',
                        help='timm Swin of the IVTuningSwin the file is for')
    parser.add_argument('--img-size', type=int, default=384)
    parser.add_argument('--out-indices', type=int, nargs='+', default=[0, 1, 2, 3])
    parser.add_argument('--model-kwargs', default='{}',
                        help='JSON of extra timm arguments (e.g. a tiny test model)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmrgbir.models.backbones.ivtuning_swin import IVTuningSwin
    from mmrgbir.models.converters.swin import convert_mmdet_swin
    from mmrgbir.models.utils.pretrained import read_state_dict
    from mmrgbir.models.utils.weight_conversion import (check_converted, format_report,
                                                        output_path_error, write_converted)
    error = output_path_error(args.src, args.dst, args.overwrite)
    if error:
        print(error, file=sys.stderr)
        return 2
    src = read_state_dict(args.src)
    converted, report, is_detector = convert_mmdet_swin(src)
    reference = IVTuningSwin(model_name=args.model_name, img_size=args.img_size,
                             out_indices=tuple(args.out_indices),
                             allow_random_frozen=True, **json.loads(args.model_kwargs))
    prefix = 'backbone.' if is_detector else ''
    backbone = {k[len(prefix):]: v for k, v in converted.items()
                if k.startswith(prefix + 'swin.') or k.startswith(prefix + 'out_norms.')}
    required = [k for k in reference.state_dict() if k.startswith(('swin.', 'out_norms.'))]
    try:
        check_converted(backbone, reference, report, required=required)
    except KeyError as exc:
        print(exc.args[0] if exc.args else exc, file=sys.stderr)
        return 1
    print(format_report(report))
    write_converted(converted, args.src, args.dst, 'tools/model_converters/swin2mmrgbir.py',
                    model_name=args.model_name, img_size=args.img_size,
                    layout='mmdet detector' if is_detector else 'mmdet Swin backbone')
    print(f'({len(backbone)} of them: the frozen Swin and its output norms)')
    return 0


if __name__ == '__main__':
    torch.set_grad_enabled(False)
    sys.exit(main())
