# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Verify that the OpenMMLab stack mmrgbir needs imports and runs.

Exit code 0 when every check passes; otherwise every failing check is printed with
the likely cause and the command that fixes it, and the exit code is 1.

``python tools/check_env.py --mmcv-build-key`` prints the key under which
``tools/setup_env.sh`` caches the compiled mmcv wheel: the torch version, torch's
CUDA (or CPU) build, whether mmcv's ops are compiled for CUDA, and the Python tag. A
wheel compiled without CUDA ops is therefore never reused where CUDA ops are expected.
"""
import importlib
import os
import sys

HINTS = {
    'torch': ('torch 2.1 - 2.13 is required (tested: 2.13.0); re-run '
              '`bash tools/setup_env.sh`.'),
    'torchvision': ('torchvision must match torch (0.28.0 for torch 2.13.0). A CPU-only '
                    '"+cpu" torch with the registry torchvision fails with "operator '
                    'torchvision::nms does not exist": re-run `bash tools/setup_env.sh`.'),
    'timm': 'timm imports torchvision; fix torchvision first.',
    'mmcv.ops': ('mmcv 2.1.0 must be compiled against the installed torch (with CUDA ops '
                 'where a GPU is used). Re-run `MMRGBIR_REBUILD_MMCV=1 bash '
                 'tools/setup_env.sh`, or install the prebuilt wheel for your torch / CUDA: '
                 '`mim install mmcv==2.1.0` (docs/install.md).'),
    'mmseg.models': 'mmsegmentation 1.2.2 also needs ftfy and regex.',
    'mmdet.models': 'mmdet 3.3.0 needs mmcv.ops (see above).',
    'pkg_resources': 'setuptools must be >=77,<82 (mmengine 0.10.7 uses pkg_resources).',
}


def mmcv_ops_target(cuda_available=None) -> str:
    """``'cuda'`` when mmcv's ops must be compiled for CUDA here, else ``'cpu'``.

    mmcv's setup.py compiles CUDA ops when torch sees a GPU or ``FORCE_CUDA=1``.
    """
    import torch
    if cuda_available is None:
        cuda_available = torch.cuda.is_available()
    wants = cuda_available or os.environ.get('FORCE_CUDA', '0') == '1'
    return 'cuda' if wants and torch.version.cuda else 'cpu'


def mmcv_build_key(cuda_available=None) -> str:
    """Cache key of a compiled mmcv wheel, e.g. ``torch2.13.0-cu130-opscpu-cp311``."""
    import torch
    cuda = torch.version.cuda
    torch_build = f"cu{cuda.replace('.', '')}" if cuda else 'cpu'
    return (f"torch{torch.__version__.split('+')[0]}-{torch_build}-"
            f'ops{mmcv_ops_target(cuda_available)}-'
            f'cp{sys.version_info[0]}{sys.version_info[1]}')


def check_mmcv_cuda_ops(ops, cuda_available=None):
    """An error message when this machine uses CUDA but mmcv has no CUDA ops."""
    if mmcv_ops_target(cuda_available) != 'cuda':
        return None
    compiled = ops.get_compiling_cuda_version()
    if compiled in (None, '', 'not available'):
        return ('mmcv.ops was compiled without CUDA (a CPU build) but torch uses CUDA '
                'here: deformable attention and NMS would fail on the GPU')
    return None


def _check(name):
    try:
        mod = importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - report every failure kind
        return f'{type(exc).__name__}: {exc}'
    if name == 'mmcv.ops':
        import torch
        boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]])
        scores = torch.tensor([0.9, 0.8])
        try:
            mod.nms(boxes, scores, 0.5)
        except Exception as exc:  # noqa: BLE001
            return f'mmcv.ops.nms failed: {exc}'
        return check_mmcv_cuda_ops(mod)
    if name == 'torchvision':
        import torch
        try:
            mod.ops.nms(torch.zeros(1, 4), torch.ones(1), 0.5)
        except Exception as exc:  # noqa: BLE001
            return f'torchvision.ops.nms failed: {exc}'
    return None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ['--mmcv-build-key']:
        print(mmcv_build_key())
        return 0
    names = ['pkg_resources', 'torch', 'torchvision', 'timm', 'mmcv', 'mmcv.ops',
             'mmengine', 'mmseg.models', 'mmdet.models']
    names += argv  # extra modules, e.g. mmrgbir
    failed = False
    for name in names:
        err = _check(name)
        if err is None:
            mod = sys.modules[name.split('.')[0]]
            print(f'  ok   {name:14s} {getattr(mod, "__version__", "")}')
        else:
            failed = True
            print(f'  FAIL {name:14s} {err}')
            hint = HINTS.get(name)
            if hint:
                print(f'       -> {hint}')
    if failed:
        print('Environment check FAILED (see above).')
        return 1
    print('Environment check passed.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
