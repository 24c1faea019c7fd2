# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Convert an EVA02 checkpoint (BAAI's or timm's) for IVTuningViT.

    python tools/model_converters/eva2mmrgbir.py eva02_L_pt_m38m_p14to16.pt \
        checkpoints/eva02_L_pt_m38m_p16_mmrgbir.pth

Takes the released ``eva02_L_pt_m38m_p14to16.pt`` (the one the official IV-tuning
runs load) as it is, or a patch-14 file (``eva02_L_pt_m38m_p14.pt``, timm's
``eva02_large_patch14_224.mim_m38m``) whose patch embedding is then resampled to 16
exactly as EVA's ``interpolate_patch_14to16.py`` did for the p14to16 release. Writes
``{'state_dict': timm Eva names}`` after checking it against a freshly built
IVTuningViT (every frozen tensor present, shapes equal) and prints the table of
mapped / dropped / unused / missing keys; any problem is an error and nothing is
written. See mmrgbir/models/converters/eva.py for the key map.
"""
import argparse
import json
import sys

import torch

from mmrgbir.models.utils.weight_conversion import add_io_arguments


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_io_arguments(parser, 'EVA02 checkpoint (.pt / .pth / .safetensors)', 'output file')
    parser.add_argument('--model-name', default='eva02_large_patch14_224',
                        help='timm Eva of the IVTuningViT the file is for')
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--model-kwargs', default='{}',
                        help='JSON of extra timm arguments (e.g. a tiny test model)')
    return parser.parse_args(argv)


def _read(path: str) -> dict:
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path)
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except Exception:  # noqa: BLE001 - e.g. deepspeed files with extra objects
        return torch.load(path, map_location='cpu', weights_only=False)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmrgbir.models.backbones.ivtuning_vit import IVTuningViT
    from mmrgbir.models.converters.eva import convert_eva02, unwrap_eva
    from mmrgbir.models.utils.weight_conversion import (check_converted, format_report,
                                                        output_path_error, write_converted)
    error = output_path_error(args.src, args.dst, args.overwrite)
    if error:
        print(error, file=sys.stderr)
        return 2
    src = unwrap_eva(_read(args.src))
    converted, report, info = convert_eva02(src, patch_size=args.patch_size)
    # the reference keeps the file's position-embedding grid, so that every tensor of
    # the file is checked
    grid = info.get('pos_embed_grid')
    reference = IVTuningViT(
        model_name=args.model_name, patch_size=args.patch_size,
        img_size=grid * args.patch_size if grid else None,
        out_indices=(0, ), out_strides=(args.patch_size, ), allow_random_frozen=True,
        **json.loads(args.model_kwargs)).vit
    try:
        check_converted(converted, reference, report)
    except KeyError as exc:
        print(exc.args[0] if exc.args else exc, file=sys.stderr)
        return 1
    print(format_report(report))
    write_converted(converted, args.src, args.dst, 'tools/model_converters/eva2mmrgbir.py',
                    model_name=args.model_name, **info)
    print(f'(source patch {info["source_patch_size"]}, resampled: '
          f'{info["resampled_patch_embed"]}, position grid {grid})')
    return 0


if __name__ == '__main__':
    torch.set_grad_enabled(False)
    sys.exit(main())
