# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Three modalities end to end: generated RGB + thermal + depth data, the demo config
trained through tools/train.py, and robustness_eval.py with each modality missing."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmrgbir.datasets.synthetic import generate_night_rgbt, render_depth
from rgbx_testing import REPO, write_tiny_config

DEMO_CFG = osp.join(REPO, 'configs/demo/night-rgbtd_multistream-r18-cmnext_segformerhead.py')
EVAL_CFG = osp.join(REPO, 'configs/robustness/demo-rgbtd_missing-modality-eval.py')
CONDITIONS = ['clean', 'rgb_missing', 'thermal_missing', 'depth_missing',
              'thermal+depth_missing']


def test_generated_depth_follows_the_scene(tmp_path):
    label = np.zeros((20, 16), np.uint8)
    label[10:, :] = 1          # road from row 10 (horizon) down
    label[12:16, 4:8] = 3      # a person standing on row 15
    label[2:5, 2:6] = 0        # a building patch above the horizon (background)
    depth = render_depth(label, np.random.default_rng(0)).astype(np.float64)
    valid = depth > 0
    focal = 1.1 * 16
    # road at row 18: 1.5 m camera height -> f * 1500 / (18 - 10) mm, within noise
    row18 = depth[18][valid[18]]
    assert np.allclose(row18, focal * 1500 / 8, rtol=0.05)
    person = depth[12:16, 4:8][valid[12:16, 4:8]]
    assert np.allclose(person, focal * 1500 / 5, rtol=0.05)  # its base row 15
    sky = depth[2:5, 2:6][valid[2:5, 2:6]]
    assert np.allclose(sky, 40000, rtol=0.05)
    # RGB, thermal and labels are identical with and without depth
    a = generate_night_rgbt(str(tmp_path / 'a'), 2, 1, progress=False)
    b = generate_night_rgbt(str(tmp_path / 'b'), 2, 1, progress=False, with_depth=True)
    for sub in ('rgb', 'thermal', 'labels'):
        for name in ('0000', '0002'):
            assert np.array_equal(cv2.imread(osp.join(a, sub, name + '.png'), -1),
                                  cv2.imread(osp.join(b, sub, name + '.png'), -1))
    d = cv2.imread(osp.join(b, 'depth', '0000.png'), cv2.IMREAD_UNCHANGED)
    assert d.dtype == np.uint16 and d.max() > 255


@pytest.mark.timeout(600)
def test_three_modality_demo_trains_and_reports_each_missing_modality(tmp_path):
    data = generate_night_rgbt(str(tmp_path / 'data'), 4, 2, progress=False,
                               with_depth=True)
    env = {k: v for k, v in os.environ.items() if k != 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'}
    env['OMP_NUM_THREADS'] = '1'  # tiny model: threads only contend on a shared CPU
    cfg_path = write_tiny_config(tmp_path / 'tiny_rgbtd.py', EVAL_CFG, data, max_iters=2,
                                 val_interval=2, extra='''
        default_hooks = dict(checkpoint=dict(interval=2))
        ''')
    proc = subprocess.run([sys.executable, 'tools/train.py', cfg_path, '--work-dir',
                           str(tmp_path / 'train')], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'mIoU' in proc.stdout + proc.stderr  # validated after 2 iterations
    dumped = Config.fromfile(str(tmp_path / 'train' / 'tiny_rgbtd.py'))
    assert dumped.model.backbone.type == 'MultiStreamBackbone'
    out_json = str(tmp_path / 'robustness.json')
    proc = subprocess.run(
        [sys.executable, 'tools/analysis/robustness_eval.py', cfg_path,
         str(tmp_path / 'train' / 'iter_2.pth'), '--work-dir', str(tmp_path / 'eval'),
         '--out', out_json], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=400)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(out_json) as f:
        results = json.load(f)
    assert list(results) == CONDITIONS
    assert all({'mIoU', 'aAcc'} <= set(m) for m in results.values())
    for name in CONDITIONS[1:]:
        pipe = Config.fromfile(osp.join(tmp_path, 'eval', name, 'tiny_rgbtd.py')
                               ).test_dataloader.dataset.pipeline
        corrupted = [t['modality'] for t in pipe if t['type'] == 'ModalityCorruption']
        assert corrupted == name.replace('_missing', '').split('+')
