# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Verify that the OpenMMLab stack mmrgbir needs imports and runs.

Exit code 0 when every check passes; otherwise every failing check is printed with
the likely cause and the command that fixes it, and the exit code is 1.
"""
import importlib
import sys

HINTS = {
    'torch': 'torch 2.13.x is required; re-run `bash tools/setup_env.sh`.',
    'torchvision': ('torchvision must match torch (0.28.0 for torch 2.13.0). A CPU-only '
                    '"+cpu" torch with the registry torchvision fails with "operator '
                    'torchvision::nms does not exist": re-run `bash tools/setup_env.sh`.'),
    'timm': 'timm imports torchvision; fix torchvision first.',
    'mmcv.ops': ('mmcv 2.1.0 must be compiled against the installed torch. Remove the '
                 'cached wheel (~/.cache/mmrgbir/wheels) and re-run '
                 '`MMRGBIR_REBUILD_MMCV=1 bash tools/setup_env.sh`.'),
    'mmseg.models': 'mmsegmentation 1.2.2 also needs ftfy and regex.',
    'mmdet.models': 'mmdet 3.3.0 needs mmcv.ops (see above).',
    'pkg_resources': 'setuptools must be >=77,<82 (mmengine 0.10.7 uses pkg_resources).',
}


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
    if name == 'torchvision':
        import torch
        try:
            mod.ops.nms(torch.zeros(1, 4), torch.ones(1), 0.5)
        except Exception as exc:  # noqa: BLE001
            return f'torchvision.ops.nms failed: {exc}'
    return None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
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
