# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""MiT / SegFormer foundation weights (NVIDIA or mmseg names) -> DPLNet's frozen MiT.

The frozen MiT of :class:`~mmrgbir.models.backbones.dplnet_mit.DPLNetMiT` is the
weights DPLNet starts from: NVIDIA's ``segformer.b5.640x640.ade.160k.pth`` (a SegFormer
segmentor: ``backbone.`` + ``decode_head.``) in the published run, or an ImageNet
``mit_b5.pth`` (``head.`` classifier), or mmseg's converted MiT files. The per-tensor
key maps are the backbone's own (:data:`~mmrgbir.models.backbones.dplnet_mit.MIT_ITEM_MAPS`,
the ones ``init_weights`` uses), so the converted file and a direct ``pretrained=`` load
give the same tensors. The written file holds our names only; the backbone loads it
with ``pretrained=`` (format ``'mmrgbir'``, detected from the names).
"""
import re
from typing import Optional, Tuple

from mmrgbir.models.backbones.dplnet_mit import (MIT_ITEM_MAPS, DPLNetMiT, detect_mit_format,
                                                 frozen_mit_keys)
from mmrgbir.models.utils.weight_conversion import (ConversionReport, StateDict,
                                                    check_converted)

#: source names that are no part of the MiT and are dropped on purpose: a segmentor's
#: decode head (``decode_head.*``, ``auxiliary_head.*``), the ImageNet classifier
#: (``head.*``), mmengine bookkeeping
_DROPPED = re.compile(r'(decode_head|auxiliary_head|head)\.|data_preprocessor\.')


def convert_mit(src: StateDict, fmt: str = 'auto',
                report: Optional[ConversionReport] = None) -> Tuple[StateDict,
                                                                     ConversionReport]:
    """Map a MiT / SegFormer state dict to the frozen MiT's names.

    Args:
        src: the source state dict (wrappers already removed, see
            :func:`~mmrgbir.models.utils.pretrained.read_state_dict`).
        fmt: ``'nvidia'``, ``'mmseg'`` or ``'auto'`` (from the names).

    Returns:
        ``(converted, report)``; names the map does not understand are listed in
        ``report.unused`` (an error for :func:`check_converted`).
    """
    report = report or ConversionReport()
    if fmt == 'auto':
        fmt = detect_mit_format(src)
    if fmt not in ('nvidia', 'mmseg'):
        raise ValueError(f"source format must be 'nvidia', 'mmseg' or 'auto', got {fmt!r}")
    has_prefix = any(k.startswith('backbone.') for k in src)
    out: StateDict = {}
    for key, value in src.items():
        name = key
        if has_prefix:
            if not key.startswith('backbone.'):
                report.dropped.append(key)   # decode / auxiliary heads of a segmentor
                continue
            name = key[len('backbone.'):]
        elif _DROPPED.match(key):
            report.dropped.append(key)
            continue
        items = MIT_ITEM_MAPS[fmt](name, value)
        if items is None:
            report.unused.append(key)
            continue
        for new, tensor in items:
            if new in out:
                raise KeyError(f'{key!r} maps to {new!r}, which another tensor already took')
            out[new] = tensor
            report.mapped.append((key, new))
    return out, report


def reference_backbone(arch: str = 'b5', **kwargs) -> DPLNetMiT:
    """A randomly initialised backbone of ``arch`` to check converted names and shapes
    against (random on purpose: only its state-dict layout is used)."""
    return DPLNetMiT(arch=arch, allow_random_frozen=True, **kwargs)


def convert_and_check(src: StateDict, arch: str = 'b5', fmt: str = 'auto',
                      reference: Optional[DPLNetMiT] = None) -> Tuple[StateDict,
                                                                       ConversionReport]:
    """:func:`convert_mit` then :func:`check_converted` against a ``DPLNetMiT`` of
    ``arch``: every frozen MiT tensor must be present with the model's shape, nothing
    unused or unexpected (``KeyError`` with the report otherwise)."""
    converted, report = convert_mit(src, fmt)
    reference = reference if reference is not None else reference_backbone(arch)
    check_converted(converted, reference, report,
                    required=frozen_mit_keys(reference.state_dict()))
    return converted, report


__all__ = ['convert_mit', 'convert_and_check', 'reference_backbone']
