# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""The package's declared requirements and the mmcv wheel cache key.

The OpenMMLab route for GPU users is "prebuilt mmcv for my torch / CUDA (mim), then
``pip install -e .``": that only works if mmrgbir's requirements accept the stack the
user already has instead of replacing torch or mmcv. The tests resolve our metadata
against the installed stack without any package index, and pin the tested matrix.
"""
import importlib.metadata as md
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools'))
import check_env  # noqa: E402


def _pins(path):
    pins = {}
    with open(osp.join(ROOT, path)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line:
                name, version = line.split('==')
                pins[name] = version
    return pins


def test_tested_matrix_is_what_is_installed():
    """requirements/verified.txt (the documented tested matrix) is the running stack."""
    pins = _pins('requirements/verified.txt')
    assert {'torch', 'mmcv', 'mmengine', 'mmsegmentation', 'mmdet'} <= set(pins)
    for name, version in pins.items():
        assert md.version(name).split('+')[0] == version, name


@pytest.mark.timeout(300)
def test_pip_install_e_keeps_the_installed_stack(tmp_path):
    """``pip install -e .[det]`` resolves against the installed packages alone (no
    index): nothing but mmrgbir itself would be installed, so torch and a prebuilt
    mmcv are never replaced."""
    report = tmp_path / 'report.json'
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--dry-run', '--no-index',
         '--no-build-isolation', '--report', str(report), '-e', f'{ROOT}[det]'],
        capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    import json
    would_install = [i['metadata']['name'] for i in json.loads(report.read_text())['install']]
    assert would_install == ['mmrgbir'], would_install


def test_requirements_accept_the_mim_route():
    """The ranges admit torch 2.1 + mmcv 2.1.0 (the newest mim wheels) and exclude what
    is known not to work (mmcv 2.2, torch 2.14)."""
    from packaging.requirements import Requirement
    meta = md.metadata('mmrgbir')
    reqs = {Requirement(r).name: Requirement(r) for r in meta.get_all('Requires-Dist')
            if 'extra ==' not in r}
    assert reqs['torch'].specifier.contains('2.1.2')
    assert reqs['torch'].specifier.contains('2.13.0')
    assert not reqs['torch'].specifier.contains('2.14.0')
    assert reqs['mmcv'].specifier.contains('2.1.0')
    assert not reqs['mmcv'].specifier.contains('2.2.0')
    assert 'mmdet' not in reqs  # segmentation / SOD users do not need it
    extras = [Requirement(r) for r in meta.get_all('Requires-Dist') if 'extra == "det"' in r]
    assert [r.name for r in extras] == ['mmdet']


def test_mmcv_cache_key_separates_cpu_and_cuda_builds(monkeypatch):
    import torch
    monkeypatch.delenv('FORCE_CUDA', raising=False)
    cpu_key = check_env.mmcv_build_key(cuda_available=False)
    cuda_key = check_env.mmcv_build_key(cuda_available=True)
    py = f'cp{sys.version_info[0]}{sys.version_info[1]}'
    torch_version = torch.__version__.split('+')[0]
    assert cpu_key.startswith(f'torch{torch_version}-') and cpu_key.endswith(f'-opscpu-{py}')
    if torch.version.cuda:  # the registry's torch is a CUDA build
        cu = 'cu' + torch.version.cuda.replace('.', '')
        assert cpu_key == f'torch{torch_version}-{cu}-opscpu-{py}'
        assert cuda_key == f'torch{torch_version}-{cu}-opscuda-{py}'
        monkeypatch.setenv('FORCE_CUDA', '1')
        assert check_env.mmcv_build_key(cuda_available=False) == cuda_key
        monkeypatch.delenv('FORCE_CUDA')
    # the command setup_env.sh runs prints this machine's key
    out = subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'check_env.py'),
                          '--mmcv-build-key'], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != 'FORCE_CUDA'})
    expected = check_env.mmcv_build_key(cuda_available=torch.cuda.is_available())
    assert out.stdout.strip() == expected


def test_cpu_built_mmcv_is_rejected_where_cuda_is_used():
    class CPUBuild:
        @staticmethod
        def get_compiling_cuda_version():
            return 'not available'

    class CUDABuild:
        @staticmethod
        def get_compiling_cuda_version():
            return '12.1'

    import torch
    if not torch.version.cuda:
        pytest.skip('a CPU-only torch never expects CUDA ops')
    assert 'without CUDA' in check_env.check_mmcv_cuda_ops(CPUBuild, cuda_available=True)
    assert check_env.check_mmcv_cuda_ops(CUDABuild, cuda_available=True) is None
    assert check_env.check_mmcv_cuda_ops(CPUBuild, cuda_available=False) is None
