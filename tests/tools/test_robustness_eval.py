# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""tools/analysis/robustness_eval.py on a tiny demo model trained for a few
iterations on synthetic data, and the helpers of mmrgbir.apis.robustness."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
from mmengine.config import Config

from mmrgbir.apis.robustness import (DEFAULT_CONDITIONS, conditions_from_cfg,
                                     format_table, insert_before_packing,
                                     select_conditions)
from rgbx_testing import REPO, one_torch_thread, write_tiny_config

EVAL_CFG = osp.join(REPO, 'configs/robustness/demo_missing-modality-eval.py')
DROPOUT_CFG = osp.join(REPO, 'configs/robustness/demo_modality-dropout.py')
CONDITIONS = ['clean', 'rgb_missing', 'x_missing', 'x_noise', 'x_blur', 'x_misaligned']


def test_insert_before_packing_and_selection():
    pipe = [dict(type='LoadRGBXImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='PackRGBXSegInputs')]
    out = insert_before_packing(pipe, [dict(type='ModalityCorruption', modality='x')])
    assert [t['type'] for t in out] == ['LoadRGBXImageFromFile', 'LoadAnnotations',
                                        'ModalityCorruption', 'PackRGBXSegInputs']
    assert len(pipe) == 3  # the config is not modified
    tta = pipe[:1] + [dict(type='TestTimeAug', transforms=[[dict(type='PackRGBXSegInputs')]])]
    assert insert_before_packing(tta, [dict(type='X')])[1]['type'] == 'X'
    with pytest.raises(ValueError, match='no packing step'):
        insert_before_packing(pipe[:2], [])
    cfg = Config.fromfile(EVAL_CFG)
    conds = conditions_from_cfg(cfg)
    assert list(conds)[:3] == ['clean', 'rgb_missing', 'x_missing']
    assert set(CONDITIONS) <= set(conds)
    assert list(select_conditions(conds, ['x_blur', 'rgb_noise'])) == ['x_blur', 'rgb_noise']
    with pytest.raises(KeyError, match='unknown robustness condition'):
        select_conditions(conds, ['fog'])
    cfg.robustness_conditions = [dict(name='a')]
    with pytest.raises(KeyError, match='needs "name" and "transforms"'):
        conditions_from_cfg(cfg)
    assert list(conditions_from_cfg(Config(dict()))) == list(DEFAULT_CONDITIONS)
    table = format_table({'clean': dict(aAcc=90.0, mIoU=50.0),
                          'x_missing': dict(aAcc=80.0, mIoU=20.5)}).splitlines()
    assert table[0] == '| condition |  mIoU |  aAcc | delta mIoU |'
    assert table[1] == '|-----------|------:|------:|-----------:|'
    assert table[3] == '| x_missing | 20.50 | 80.00 |     -29.50 |'
    assert format_table({'clean': dict(a=1.0)}, metric='a').splitlines()[2].endswith('+0.00 |')


def test_dropout_config_builds_its_pipeline(seg_scope):
    from mmcv.transforms import Compose
    cfg = Config.fromfile(DROPOUT_CFG)
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert types[-3:] == ['RandomXMisalignment', 'RandomModalityDropout', 'PackRGBXSegInputs']
    Compose(cfg.train_dataloader.dataset.pipeline)  # every transform is registered


@pytest.fixture(scope='module')
def tiny_model(tmp_path_factory):
    """The demo model trained 4 iterations (batch 2) on 6 synthetic images."""
    from mmengine.runner import Runner
    from mmrgbir.datasets.synthetic import generate_night_rgbt
    tmp = tmp_path_factory.mktemp('robust')
    data = generate_night_rgbt(str(tmp / 'data'), 4, 2, progress=False)
    cfg_path = tmp / 'tiny_robust.py'
    write_tiny_config(cfg_path, EVAL_CFG, data, max_iters=4, val_interval=100, extra='''
        default_hooks = dict(checkpoint=dict(interval=4))
        ''')
    cfg = Config.fromfile(str(cfg_path))
    cfg.work_dir = str(tmp / 'train')
    cfg.experiment_name = 'robustness_eval_tiny_train'
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    with one_torch_thread():  # tiny model: threads only contend on a shared CPU
        Runner.from_cfg(cfg).train()
    return dict(cfg=str(cfg_path), ckpt=str(tmp / 'train' / 'iter_4.pth'), tmp=tmp)


def test_robustness_eval_tool(tiny_model):
    tmp = tiny_model['tmp']
    out_json = str(tmp / 'robustness.json')
    env = {k: v for k, v in os.environ.items() if k != 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'}
    env['OMP_NUM_THREADS'] = '1'  # tiny model: threads only contend on a shared CPU
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools/analysis/robustness_eval.py'),
         tiny_model['cfg'], tiny_model['ckpt'], '--conditions', *CONDITIONS,
         '--work-dir', str(tmp / 'eval'), '--out', out_json],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=400)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    with open(out_json) as f:
        results = json.load(f)
    assert list(results) == CONDITIONS
    assert all({'mIoU', 'aAcc', 'mAcc'} <= set(m) for m in results.values())
    table = out[out.index('Robustness of'):]
    for name in CONDITIONS:
        assert f'| {name} ' in table
    assert 'delta mIoU' in table
    # progress: a line per condition with an ETA from the second on, then the total
    n = len(CONDITIONS)
    assert f"robustness: condition {CONDITIONS[0]!r} (0/{n}, elapsed" in out
    assert re.search(rf"robustness: condition {CONDITIONS[1]!r} \(1/{n}, elapsed \d+s, ETA "
                     rf"\d+", out), out[-3000:]
    assert f'robustness: {n}/{n}, elapsed' in out
    # each condition ran its own Runner.test with the corruption before packing
    expected = dict(clean='LoadAnnotations', rgb_missing='ModalityCorruption',
                    x_missing='ModalityCorruption', x_noise='ModalityCorruption',
                    x_blur='ModalityCorruption', x_misaligned='RandomXMisalignment')
    for name in CONDITIONS:
        dumped = Config.fromfile(osp.join(tmp, 'eval', name, 'tiny_robust.py'))
        pipe = dumped.test_dataloader.dataset.pipeline
        assert [t['type'] for t in pipe[-2:]] == [expected[name], 'PackRGBXSegInputs']
