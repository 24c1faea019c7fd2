# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""tools/dist_train.sh and tools/dist_test.sh: two processes, gloo backend, on CPU.

The tiny demo model trains for 4 iterations (batch 2 per process) on synthetic
night-street data. A test-only hook (written into tmp_path and loaded through
``custom_imports``) dumps each rank's weights and the files it trained on, so the
test can check that the ranks stay in sync, that the data is sharded, and that the
checkpoint is written once, by rank 0.
"""
import glob
import os
import os.path as osp
import re
import socket
import subprocess
import sys
import textwrap

import pytest
import torch

from rgbx_testing import REPO, one_torch_thread, write_tiny_config

DEMO = osp.join(REPO, 'configs/demo/night-rgbt_dualstream-r18-cmx_segformerhead.py')
NUM_TRAIN, NUM_VAL = 8, 5  # 5 val images: the distributed sampler pads one, which
# the metric collection must drop to match single-process evaluation

HOOK = '''
import os
import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankDumpHook(Hook):
    """Test-only: per-rank parameter checksums per iteration, final weights and inputs."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.seen, self.sums = [], []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.seen += [s.metainfo['img_path'] for s in data_batch['data_samples']]

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        model = getattr(runner.model, 'module', runner.model)
        self.sums.append(float(sum(p.detach().double().sum() for p in model.parameters())))

    def after_train(self, runner):
        model = getattr(runner.model, 'module', runner.model)
        os.makedirs(self.out_dir, exist_ok=True)
        torch.save(dict(params={k: v.detach().clone() for k, v in model.named_parameters()},
                        state_dict=model.state_dict(), seen=self.seen, sums=self.sums,
                        world_size=dist.get_world_size(), rank=dist.get_rank(),
                        backend=dist.get_backend(), wrapper=type(runner.model).__name__),
                   os.path.join(self.out_dir, f'rank{dist.get_rank()}.pth'))
'''


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_script(script, *args, env_extra=None, timeout=400):
    env = {k: v for k, v in os.environ.items() if k != 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'}
    env.update(PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1')
    env.update(env_extra or {})
    proc = subprocess.run(['bash', osp.join(REPO, 'tools', script), *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    # both tails: stdout shows how far the ranks got, stderr why one stopped
    assert proc.returncode == 0, (f'{script} failed (exit {proc.returncode}):\n--- stdout '
                                  f'---\n{proc.stdout[-4000:]}\n--- stderr ---\n'
                                  f'{proc.stderr[-4000:]}')
    return out


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    from mmrgbir.datasets.synthetic import generate_night_rgbt
    tmp = tmp_path_factory.mktemp('dist')
    data = generate_night_rgbt(str(tmp / 'data'), NUM_TRAIN, NUM_VAL, progress=False)
    base = tmp / 'tiny_demo.py'
    write_tiny_config(base, DEMO, data, max_iters=4, val_interval=4, extra='''
        default_hooks = dict(checkpoint=dict(interval=4), logger=dict(interval=1))
        ''')
    (tmp / 'mods').mkdir()
    (tmp / 'mods' / 'rank_dump_hook.py').write_text(HOOK)
    train_cfg = tmp / 'tiny_demo_dump.py'
    train_cfg.write_text(textwrap.dedent(f'''
        _base_ = ['./tiny_demo.py']
        custom_imports = dict(imports=['mmrgbir', 'rank_dump_hook'],
                              allow_failed_imports=False)
        custom_hooks = [dict(type='RankDumpHook', out_dir={str(tmp / 'dumps')!r})]
        '''))
    work = tmp / 'work'
    out = run_script('dist_train.sh', str(train_cfg), '2', '--work-dir', str(work),
                     env_extra=dict(PYTHONPATH=str(tmp / 'mods')))
    return dict(tmp=tmp, data=data, base=str(base), work=str(work), out=out)


def test_dist_train_ranks_in_sync_and_one_checkpoint(setup):
    tmp, work, out = setup['tmp'], setup['work'], setup['out']
    assert 'Distributed training: True' in out
    assert 'Iter(train) [4/4]' in out
    ranks = [torch.load(str(tmp / 'dumps' / f'rank{r}.pth'), weights_only=False)
             for r in (0, 1)]
    for r, d in enumerate(ranks):
        assert (d['rank'], d['world_size'], d['backend']) == (r, 2, 'gloo')
        assert d['wrapper'] == 'MMDistributedDataParallel'
        assert len(d['sums']) == 4
    # identical parameters after every iteration and bit-identical at the end
    assert ranks[0]['sums'] == ranks[1]['sums']
    p0, p1 = ranks[0]['params'], ranks[1]['params']
    assert p0.keys() == p1.keys() and len(p0) > 100
    assert all(torch.equal(p0[k], p1[k]) for k in p0)
    # the weights did train
    assert ranks[0]['sums'][0] != ranks[0]['sums'][-1]
    # sharded data: in one pass over the 8 images (2 iterations x 2 images per rank)
    # the ranks see disjoint halves
    first0, first1 = set(ranks[0]['seen'][:4]), set(ranks[1]['seen'][:4])
    assert len(first0) == len(first1) == 4 and not first0 & first1
    assert len(first0 | first1) == NUM_TRAIN
    # exactly one checkpoint, written by rank 0: its weights are rank 0's state dict
    # (BN running statistics are per rank in DDP: buffers are broadcast from rank 0
    # at the start of each forward, so only rank 0's last update is in the file)
    files = sorted(osp.relpath(f, work) for f in glob.glob(osp.join(work, '**', '*.pth'),
                                                           recursive=True))
    assert files == ['iter_4.pth']
    assert not glob.glob(osp.join(work, '**', '*rank*'), recursive=True)
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('iter_4.pth')
    ckpt = torch.load(osp.join(work, 'iter_4.pth'), weights_only=False)
    sd = ckpt['state_dict']
    assert ckpt['meta']['iter'] == 4
    assert sd.keys() == ranks[0]['state_dict'].keys()
    assert all(torch.equal(sd[k], ranks[0]['state_dict'][k]) for k in sd)
    assert all(torch.equal(sd[k], p1[k]) for k in p1)
    assert out.count('Saving checkpoint at 4 iterations') == 1


def _miou(text):
    found = re.findall(r'mIoU: ([0-9.]+)', text)
    assert found, text[-3000:]
    return float(found[-1])


def test_dist_test_matches_single_process(setup, tmp_path):
    ckpt = osp.join(setup['work'], 'iter_4.pth')
    out = run_script('dist_test.sh', setup['base'], ckpt, '2', '--work-dir',
                     str(tmp_path / 'dist'))
    assert 'Distributed launcher: pytorch' in out and 'Iter(test) [3/3]' in out
    dist_miou = _miou(out)
    # the same evaluation in this (single) process
    from mmengine.config import Config
    from mmengine.runner import Runner
    import mmrgbir  # noqa: F401
    cfg = Config.fromfile(setup['base'])
    cfg.work_dir = str(tmp_path / 'single')
    cfg.load_from = ckpt
    cfg.experiment_name = 'single_process_reference'
    with one_torch_thread():  # tiny model: threads only contend on a shared CPU
        metrics = Runner.from_cfg(cfg).test()
    assert dist_miou == pytest.approx(metrics['mIoU'], abs=1e-6)
    assert 'Iter(val) [3/3]' in setup['out']  # 5 images over 2 ranks: 3 per rank
