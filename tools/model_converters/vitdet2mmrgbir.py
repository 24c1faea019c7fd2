# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Convert MAE / ViTDet ViT weights for UniRGB-IR's frozen ViT.

    python tools/model_converters/vitdet2mmrgbir.py model_final_df306f.pkl \\
        checkpoints/vitdet_vit-b16_coco_norelpos.pth

The official UniRGB-IR runs start from the ViT-B of detectron2's ViTDet Cascade Mask
R-CNN (MAE IN-1k pretraining, then detection fine-tuning) with its relative-position
tables removed: they start at zero and train. That is the default here;
``--keep-rel-pos`` keeps the tables (a deviation). detectron2 ``.pkl`` files, mmdet
ViTDet checkpoints, MAE / timm ViT-B and the official ``..._withClsToken_noRel.pth``
convert alike. The output holds the frozen ViT under our names; the configs load it with
``model.backbone.pretrained`` and ``pretrained_format='mmrgbir'`` (every frozen tensor
required).
"""
import argparse

from mmrgbir.models.converters.vit import convert_and_check, read_vit_checkpoint, summary
from mmrgbir.models.utils.weight_conversion import (add_io_arguments, format_report,
                                                    output_path_error, write_converted)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_io_arguments(parser, 'detectron2 .pkl / mmdet / MAE / timm ViT checkpoint',
                     "output file (model.backbone.pretrained, pretrained_format='mmrgbir')")
    parser.add_argument('--keep-rel-pos', action='store_true',
                        help='keep the relative-position tables (the official runs drop '
                             'them: they start at zero and train)')
    parser.add_argument('--depth', type=int, default=12,
                        help='number of ViT blocks the source must have (ViT-B: 12)')
    parser.add_argument('--num-heads', type=int, default=None,
                        help='attention heads (default: width / 64)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    error = output_path_error(args.src, args.dst, args.overwrite)
    if error:
        raise SystemExit(f'error: {error}')
    src = read_vit_checkpoint(args.src)
    converted, report = convert_and_check(src, keep_rel_pos=args.keep_rel_pos,
                                          num_heads=args.num_heads,
                                          expected_depth=args.depth)
    print(format_report(report))
    print('\n'.join(summary(converted)))
    write_converted(converted, args.src, args.dst, 'vitdet2mmrgbir',
                    rel_pos='kept' if args.keep_rel_pos else 'dropped')


if __name__ == '__main__':
    main()
