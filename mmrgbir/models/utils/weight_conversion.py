# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Shared machinery of ``tools/model_converters``: map keys, report, check, save.

A converter is a key map (``source name -> our name``, ``None`` to drop a source
tensor on purpose) plus optional tensor reshuffles; everything else is here:

* :func:`convert_state_dict` applies the map and records which source tensors were
  mapped, deliberately dropped or left unused;
* :func:`check_converted` compares the result with a freshly built model (or a list
  of required keys) and raises on any missing or mis-shaped tensor, never leaving a
  frozen part at its random initialisation;
* :func:`format_report` prints the mapped / dropped / unused / missing table;
* :func:`save_checkpoint` writes ``{'state_dict': ..., 'meta': ...}``, which
  ``load_from``, ``tools/test.py`` and the backbones' ``pretrained`` (format
  ``'mmrgbir'`` where they have one) read.
"""
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import torch
import torch.nn as nn

StateDict = Dict[str, torch.Tensor]
KeyMap = Callable[[str], Optional[str]]


@dataclass
class ConversionReport:
    mapped: List[Tuple[str, str]] = field(default_factory=list)   # (source, ours)
    dropped: List[str] = field(default_factory=list)   # source keys dropped on purpose
    unused: List[str] = field(default_factory=list)    # source keys nobody mapped
    missing: List[str] = field(default_factory=list)   # our keys the source lacks
    mismatched: List[str] = field(default_factory=list)  # shape differences
    unexpected: List[str] = field(default_factory=list)  # converted keys the model lacks


class _Drop:
    """Return value of a key map for a source tensor that is dropped on purpose."""


DROP = _Drop()


def rename_by_rules(name: str, rules) -> Optional[str]:
    """The first rule whose pattern ``re.fullmatch``-es ``name`` renames it.

    ``rules``: ``(pattern, target)`` pairs; ``target`` is a replacement template
    (``r'mlp.fc1.\\1'``), a function of the match (for arithmetic on indices) or None
    (dropped on purpose: :data:`DROP`). No rule matching: None (not understood).
    """
    for pattern, target in rules:
        m = re.fullmatch(pattern, name)
        if m:
            if target is None:
                return DROP
            return target(m) if callable(target) else m.expand(target)
    return None


def convert_state_dict(src: StateDict, key_map: Callable, report: Optional[
        ConversionReport] = None) -> Tuple[StateDict, ConversionReport]:
    """Rename ``src`` with ``key_map``.

    ``key_map(name)`` returns our name, :data:`DROP` (dropped on purpose, listed as
    such) or ``None`` (not understood: listed as unused, which the caller usually
    treats as an error). Two source keys mapping to one of ours is an error.
    """
    report = report or ConversionReport()
    out: StateDict = {}
    origin: Dict[str, str] = {}
    for name, tensor in src.items():
        new = key_map(name)
        if new is DROP:
            report.dropped.append(name)
        elif new is None:
            report.unused.append(name)
        else:
            if new in out:
                raise KeyError(f'both {origin[new]!r} and {name!r} map to {new!r}')
            out[new] = tensor
            origin[new] = name
            report.mapped.append((name, new))
    return out, report


def check_converted(converted: StateDict, reference: nn.Module,
                    report: ConversionReport, required: Optional[Iterable[str]] = None,
                    allow_unexpected: bool = False) -> ConversionReport:
    """Compare ``converted`` with ``reference.state_dict()``.

    Args:
        required: the keys that must be present (default: every key of the
            reference); e.g. only the frozen backbone for foundation weights.
        allow_unexpected: accept converted keys the reference lacks.

    Raises:
        KeyError: any required key missing, any shape mismatch, unused source keys
            or (unless allowed) unexpected keys -- with the full report.
    """
    own = reference.state_dict()
    required = list(own) if required is None else list(required)
    report.missing = [k for k in required if k not in converted]
    report.mismatched = [f'{k}: converted {tuple(v.shape)} vs model {tuple(own[k].shape)}'
                         for k, v in converted.items()
                         if k in own and tuple(v.shape) != tuple(own[k].shape)]
    report.unexpected = [k for k in converted if k not in own]
    bad = report.missing or report.mismatched or report.unused or \
        (report.unexpected and not allow_unexpected)
    if bad:
        raise KeyError('conversion is incomplete:\n' + format_report(report))
    return report


def format_report(report: ConversionReport, max_rows: int = 30) -> str:
    """A plain-text table of the conversion (counts, then the keys of each group)."""
    lines = [f'{"group":<12}{"count":>7}',
             f'{"mapped":<12}{len(report.mapped):>7}',
             f'{"dropped":<12}{len(report.dropped):>7}   (in the source, not used on purpose)',
             f'{"unused":<12}{len(report.unused):>7}   (in the source, not understood)',
             f'{"missing":<12}{len(report.missing):>7}   (needed by the model, not in the source)',
             f'{"mismatched":<12}{len(report.mismatched):>7}',
             f'{"unexpected":<12}{len(report.unexpected):>7}   (converted, not in the model)']
    for title, keys in (('unused', report.unused), ('missing', report.missing),
                        ('mismatched', report.mismatched),
                        ('unexpected', report.unexpected), ('dropped', report.dropped)):
        if keys:
            lines.append(f'{title}:')
            lines += [f'  {k}' for k in keys[:max_rows]]
            if len(keys) > max_rows:
                lines.append(f'  ... {len(keys) - max_rows} more')
    return '\n'.join(lines)


def save_checkpoint(state: StateDict, path: str, meta: Optional[dict] = None) -> None:
    """Write ``{'state_dict': state, 'meta': meta}`` atomically (never half a file)."""
    path = osp.abspath(path)
    os.makedirs(osp.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    torch.save({'state_dict': {k: v.contiguous() for k, v in state.items()},
                'meta': dict(meta or {})}, tmp)
    os.replace(tmp, path)


# ---- the command-line side shared by tools/model_converters/*.py ----


def add_io_arguments(parser, src_help: str, dst_help: str) -> None:
    """``SRC DST [--overwrite]``, the same in every converter."""
    parser.add_argument('src', help=src_help)
    parser.add_argument('dst', help=dst_help)
    parser.add_argument('--overwrite', action='store_true',
                        help='replace DST if it exists (never done otherwise)')


def output_path_error(src: str, dst: str, overwrite: bool) -> Optional[str]:
    """Why ``dst`` may not be written (None when it may): a converter never writes
    over its source or, without ``--overwrite``, over an existing file."""
    if not os.path.isfile(src):
        return f'{src}: no such file'
    if osp.abspath(src) == osp.abspath(dst):
        return 'SRC and DST are the same file'
    if osp.exists(dst) and not overwrite:
        return f'{dst} exists; pass --overwrite to replace it'
    return None


def write_converted(converted: StateDict, src: str, dst: str, converter: str,
                    **meta) -> str:
    """Save ``converted`` with the source's name and SHA-256 in its metadata, print
    both, and return the digest (to record in docs/methods.md)."""
    from .adapter_checkpoint import sha256_file
    digest = sha256_file(src)
    save_checkpoint(converted, dst, meta=dict(source=osp.basename(src), source_sha256=digest,
                                              converter=converter, **meta))
    print(f'source {osp.basename(src)}: sha256 {digest} (record it: docs/methods.md)\n'
          f'wrote {len(converted)} tensors to {dst}')
    return digest
