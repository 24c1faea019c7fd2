# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Segmentation, SOD and detection end to end through tools/train.py and tools/test.py,
with tiny configs on the shared samples; checkpoints load and resume on torch >= 2.6
with no environment variable."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from rgbx_testing import REPO, shared_data

SEG = 'configs/tiny/msrs-person_dualstream-r18-tiny_segformerhead.py'
SOD = 'configs/tiny/msrs-person-sod_dualstream-r18-tiny_segformerhead.py'
DET = 'configs/tiny/llvip_dualstream-r18-tiny_retinanet.py'


def _data_options(root, det=False):
    opts = [f'{loader}.dataset.data_root={root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    if det:
        opts += [f'val_evaluator.ann_file={root}/annotations_coco.json',
                 f'test_evaluator.ann_file={root}/annotations_coco.json']
    return opts


def run_tool(tool, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'}
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', tool), *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f'{tool} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}'
    return proc.stdout + proc.stderr


def _scalars(work_dir):
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    rows = []
    for f in files:
        with open(f) as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


@pytest.mark.parametrize('config,data,det,metric', [
    (SEG, 'rgbt_msrs', False, 'mIoU'),
    (SOD, 'rgbt_msrs', False, 'Sm'),
    (DET, 'rgbt_det_llvip', True, 'coco/bbox_mAP'),
], ids=['segmentation', 'sod', 'detection'])
def test_train_then_test(tmp_path, config, data, det, metric):
    root = shared_data(data)
    work = str(tmp_path / 'work')
    out = run_tool('train.py', config, '--work-dir', work, '--cfg-options',
                   *_data_options(root, det))
    assert 'Trainable / frozen parameters' in out
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    vals = [r for r in _scalars(work) if metric in r]
    assert vals, f'no {metric} in the validation logs'
    out = run_tool('test.py', config, osp.join(work, 'iter_4.pth'), '--work-dir', work,
                   '--cfg-options', *_data_options(root, det))
    assert metric in out


def test_resume_continues_iteration_count_and_load_from(tmp_path):
    root = shared_data('rgbt_msrs')
    work = str(tmp_path / 'work')
    opts = _data_options(root)
    run_tool('train.py', SEG, '--work-dir', work, '--cfg-options', *opts,
             'train_cfg.max_iters=2', 'train_cfg.val_interval=100')
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    out = run_tool('train.py', SEG, '--work-dir', work, '--resume', '--cfg-options', *opts,
                   'train_cfg.max_iters=4', 'train_cfg.val_interval=100')
    assert 'resumed epoch: 0, iter: 2' in out
    assert 'Iter(train) [3/4]' in out and 'Iter(train) [1/4]' not in out
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    # load_from an mmengine checkpoint (HistoryBuffer inside) with weights-only torch.load
    out = run_tool('train.py', SEG, '--work-dir', str(tmp_path / 'ft'), '--cfg-options',
                   *opts, f'load_from={osp.join(work, "iter_4.pth")}', 'train_cfg.max_iters=1',
                   'train_cfg.val_interval=100')
    assert 'Load checkpoint from' in out
