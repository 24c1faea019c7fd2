# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Registration into the host registries; segmentation works without mmdet."""
import os.path as osp
import subprocess
import sys

import pytest

from rgbx_testing import REPO, shared_data


def test_version_and_seg_registration(seg_scope):
    import mmrgbir
    from mmseg.registry import DATASETS, METRICS, MODELS, TRANSFORMS
    assert mmrgbir.__version__
    for reg, name in ((TRANSFORMS, 'LoadRGBXImageFromFile'), (TRANSFORMS, 'RGBOnly'),
                      (TRANSFORMS, 'PackRGBXSegInputs'), (DATASETS, 'RGBXSegDataset'),
                      (DATASETS, 'RGBXSODDataset'), (MODELS, 'RGBXSegDataPreProcessor'),
                      (MODELS, 'DualStreamBackbone'), (MODELS, 'CMXFusion'),
                      (METRICS, 'SODMetric')):
        assert reg.get(name) is not None, name


def test_det_names_resolve_from_mmdet_scope(det_scope):
    import mmrgbir  # noqa: F401
    from mmdet.registry import DATASETS, METRICS, MODELS, TRANSFORMS
    for reg, name in ((TRANSFORMS, 'LoadRGBXImageFromFile'), (TRANSFORMS, 'PackRGBXDetInputs'),
                      (TRANSFORMS, 'RGBXPad'), (DATASETS, 'RGBXCocoDataset'),
                      (MODELS, 'RGBXDetDataPreprocessor'), (MODELS, 'DualStreamBackbone'),
                      (METRICS, 'KAISTMissRateMetric')):
        assert reg.get(name) is not None, name


BLOCK_MMDET = '''
import sys
sys.modules['mmdet'] = None  # as if mmdet were not installed
import mmrgbir
from mmengine.config import Config
from mmengine.runner import Runner
cfg = Config.fromfile({config!r})
for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
    cfg[loader].dataset.data_root = {root!r}
cfg.work_dir = {work!r}
cfg.train_cfg.max_iters = 1
cfg.train_cfg.val_interval = 1
runner = Runner.from_cfg(cfg)
runner.train()
assert sys.modules['mmdet'] is None
print('SEG_WITHOUT_MMDET_OK')
'''


@pytest.mark.parametrize('config', [
    'configs/tiny/msrs-person_dualstream-r18-tiny_segformerhead.py',
    'configs/tiny/msrs-person-sod_dualstream-r18-tiny_segformerhead.py'])
def test_segmentation_and_sod_without_mmdet(tmp_path, config):
    root = shared_data('rgbt_msrs')
    code = BLOCK_MMDET.format(config=osp.join(REPO, config), root=root,
                              work=str(tmp_path))
    proc = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert 'SEG_WITHOUT_MMDET_OK' in proc.stdout, proc.stderr[-4000:]


def test_import_does_not_import_mmdet_by_itself():
    """mmrgbir's own modules never import mmdet (mmseg itself may, when installed)."""
    code = ('import sys; sys.modules["mmdet"] = None; import mmrgbir, mmrgbir.apis; '
            'print("OK")')
    proc = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip().endswith('OK'), proc.stderr[-3000:]
