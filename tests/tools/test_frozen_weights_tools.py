# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""tools/test.py on a method config whose frozen backbone has no `pretrained`: a
complete checkpoint supplies the weights (and is checked), an adapter-only one is
refused before anything is evaluated."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

import mmrgbir  # noqa: F401
from rgbx_testing import REPO, shared_data

TINY = osp.join(REPO, 'configs/dplnet/tiny/msrs-person_dplnet-tiny_segformer-head_2ep.py')


@pytest.mark.timeout(600)
def test_test_tool_takes_frozen_weights_from_a_complete_checkpoint_only(tmp_path):
    root = shared_data('rgbt_msrs')
    cfg = Config.fromfile(TINY)
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)  # the tiny config allows a random frozen MiT
    state = model.state_dict()
    full, adapter = tmp_path / 'full.pth', tmp_path / 'adapter.pth'
    torch.save({'state_dict': state, 'meta': {}}, full)
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert frozen
    torch.save({'state_dict': {k: v for k, v in state.items() if k not in frozen},
                'meta': {}}, adapter)
    env = {k: v for k, v in os.environ.items() if k != 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'}
    env['OMP_NUM_THREADS'] = '1'
    # as a full-size config: no pretrained, no opt-out
    opts = ['--cfg-options', 'model.backbone.allow_random_frozen=False',
            f'test_dataloader.dataset.data_root={root}',
            'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']

    def run(ckpt, work):
        return subprocess.run([sys.executable, 'tools/test.py', TINY, str(ckpt),
                               '--work-dir', str(tmp_path / work)] + opts,
                              cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=500)

    bad = run(adapter, 'bad')
    assert bad.returncode != 0
    assert 'adapter.pth lacks' in bad.stderr and 'frozen tensors of DPLNetMiT' in bad.stderr
    assert 'aAcc:' not in bad.stdout + bad.stderr  # nothing was evaluated
    good = run(full, 'good')
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-3000:]
    assert 'aAcc:' in good.stdout + good.stderr
