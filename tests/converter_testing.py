# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""The contract every dataset converter keeps (tests/tools/test_*converter*.py):
``--nproc N`` writes the same bytes as ``--nproc 1``; a run that fails midway leaves
neither output nor temporary folder and a re-run after fixing the input succeeds; an
existing output is never clobbered unless ``--overwrite``."""
import os
import os.path as osp

import pytest


def tree_bytes(path):
    """``{relative path: bytes}`` of every file below a folder (``{'': bytes}`` of a
    file)."""
    path = str(path)
    if osp.isfile(path):
        with open(path, 'rb') as f:
            return {'': f.read()}
    out = {}
    for root, _, files in os.walk(path):
        for name in files:
            with open(osp.join(root, name), 'rb') as f:
                out[osp.relpath(osp.join(root, name), path)] = f.read()
    return out


def leftovers(folder):
    """Temporary (``.partial``) entries below ``folder``."""
    return [osp.join(r, n) for r, dirs, files in os.walk(str(folder))
            for n in dirs + files if '.partial-' in n]


def check_converter_contract(run, out_root, break_input, fix_input, error, match,
                             tamper='', nproc=2):
    """Check the contract on one converter.

    Args:
        run: ``run(out, nproc, overwrite)`` converts into ``out`` (a folder or file
            path under ``out_root``, as the converter takes it).
        out_root: a folder for the outputs (created here).
        break_input / fix_input: make one input in the middle of the data bad, and
            put it back.
        error, match: what the failing run raises.
        tamper: relative path of an output file to change before re-running into an
            existing output ('' = the output itself, when it is a file).

    Returns:
        dict: the output files of the reference run (``tree_bytes``).
    """
    os.makedirs(str(out_root), exist_ok=True)
    ref_out, par_out = osp.join(str(out_root), 'ref'), osp.join(str(out_root), 'par')
    run(ref_out, 1, False)
    ref = tree_bytes(ref_out)
    assert ref, 'the converter wrote nothing'
    run(par_out, nproc, False)
    assert tree_bytes(par_out) == ref, f'--nproc {nproc} wrote other bytes than --nproc 1'

    # fails midway: no output, no temporary folder; re-run after the fix works
    broken = osp.join(str(out_root), 'broken', 'out')
    break_input()
    for n in (1, nproc):
        with pytest.raises(error, match=match):
            run(broken, n, False)
        assert not osp.exists(osp.join(str(out_root), 'broken')), os.listdir(str(out_root))
        assert leftovers(out_root) == []
    fix_input()
    run(broken, nproc, False)
    assert tree_bytes(broken) == ref

    # existing output: refused and kept; --overwrite replaces it
    victim = osp.join(ref_out, tamper) if tamper else ref_out
    with open(victim, 'ab') as f:
        f.write(b'user edit')
    edited = tree_bytes(ref_out)
    with pytest.raises(FileExistsError, match='--overwrite'):
        run(ref_out, 1, False)
    assert tree_bytes(ref_out) == edited
    run(ref_out, 1, True)
    assert tree_bytes(ref_out) == ref
    assert leftovers(out_root) == []
    return ref


def corrupt_file(path, data=b'not what the converter expects'):
    """``(break_input, fix_input)`` that replace the file ``path`` with ``data`` and
    put its bytes back."""
    path = str(path)
    with open(path, 'rb') as f:
        original = f.read()

    def write(content):
        with open(path, 'wb') as f:
            f.write(content)

    return (lambda: write(data)), (lambda: write(original))


def cli(main, *args, **flags):
    """``run(out, nproc, overwrite)`` calling a converter's ``main`` with ``args``
    (``{out}`` is replaced by the output path) plus ``--nproc`` / ``--overwrite``."""

    def run(out, nproc, overwrite):
        argv = [str(a).replace('{out}', out) for a in args] + ['--nproc', str(nproc)]
        return main(argv + (['--overwrite'] if overwrite else []))

    return run


# ---- model converters (tests/tools/test_model_converters_*.py) ----


def run_model_converter(path, argv):
    """Run ``main(argv)`` of a tools/model_converters script."""
    import runpy
    return runpy.run_path(path, run_name='converter')['main'](argv)


class Tensors:
    """Deterministic, distinct tensors for a state dict in a source's layout.

    ``scale``: std of plain weights; ``count``: value of BatchNorm batch counters.
    """

    def __init__(self, seed=0, scale=0.1, count=7):
        import torch
        self.torch = torch
        self.g = torch.Generator().manual_seed(seed)
        self.scale = scale
        self.count = count
        self.state = {}

    def add(self, name, *shape, kind='w'):
        torch = self.torch
        if kind in ('ln', 'ln_w'):  # norm weights around 1
            t = 1 + 0.1 * torch.randn(shape, generator=self.g)
        elif kind == 'var':
            t = 0.5 + torch.rand(shape, generator=self.g)
        elif kind == 'count':
            t = torch.tensor(self.count)
        else:
            t = self.scale * torch.randn(shape, generator=self.g)
        self.state[name] = t
        return t

    def linear(self, name, out, inp, bias=True):
        self.add(f'{name}.weight', out, inp)
        if bias:
            self.add(f'{name}.bias', out)

    def conv(self, name, out, inp, k):
        self.add(f'{name}.weight', out, inp, k, k)
        self.add(f'{name}.bias', out)

    def ln(self, name, c):
        self.add(f'{name}.weight', c, kind='ln_w')
        self.add(f'{name}.bias', c)

    def bn(self, name, c):
        self.ln(name, c)
        self.add(f'{name}.running_mean', c)
        self.add(f'{name}.running_var', c, kind='var')
        self.add(f'{name}.num_batches_tracked', kind='count')
