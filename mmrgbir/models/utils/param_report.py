# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Tables of trainable vs frozen parameters, per module."""
from collections import OrderedDict
from typing import Dict, Tuple

import torch.nn as nn


def count_parameters(module: nn.Module) -> Tuple[int, int]:
    """Return ``(trainable, total)`` parameter counts (shared tensors counted once)."""
    seen = set()
    trainable = total = 0
    for p in module.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        if p.requires_grad:
            trainable += p.numel()
    return trainable, total


def parameter_groups(module: nn.Module, depth: int = 2) -> Dict[str, Tuple[int, int]]:
    """Group parameter counts by the first ``depth`` components of their names."""
    groups: Dict[str, list] = OrderedDict()
    seen = set()
    for name, p in module.named_parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        key = '.'.join(name.split('.')[:depth])
        if '.' in name and len(name.split('.')) <= depth:
            key = '.'.join(name.split('.')[:-1])
        g = groups.setdefault(key, [0, 0])
        g[1] += p.numel()
        if p.requires_grad:
            g[0] += p.numel()
    return OrderedDict((k, (v[0], v[1])) for k, v in groups.items())


def _fmt(n: int) -> str:
    return f'{n / 1e6:.3f} M' if n >= 1e4 else str(n)


def parameter_table(module: nn.Module, depth: int = 2) -> str:
    """A text table of trainable / frozen / total parameters per module group."""
    rows = [(k, t, tot - t, tot) for k, (t, tot) in parameter_groups(module, depth).items()]
    trainable, total = count_parameters(module)
    rows.append(('TOTAL', trainable, total - trainable, total))
    width = max([len(r[0]) for r in rows] + [6])
    lines = [f'{"module":<{width}}  {"trainable":>12}  {"frozen":>12}  {"total":>12}',
             '-' * (width + 42)]
    for name, t, f, tot in rows:
        if name == 'TOTAL':
            lines.append('-' * (width + 42))
        lines.append(f'{name:<{width}}  {_fmt(t):>12}  {_fmt(f):>12}  {_fmt(tot):>12}')
    pct = 100.0 * trainable / max(total, 1)
    lines.append(f'trainable: {trainable:,} of {total:,} parameters ({pct:.2f} %)')
    return '\n'.join(lines)
