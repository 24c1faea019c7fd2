# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""tools/test.py helpers: the test set's image folder(s) and --save-maps."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmrgbir.evaluation.test_outputs import enable_saliency_maps, image_roots_from_config
from rgbx_testing import DATASET_CFGS, REPO

SOD = osp.join(REPO, 'configs/tiny/msrs-person-sod_dualstream-r18-tiny_segformerhead.py')
SEG = osp.join(REPO, 'configs/tiny/msrs-person_dualstream-r18-tiny_segformerhead.py')


def test_image_roots_of_one_and_several_sets(tmp_path):
    cfg = Config.fromfile(SOD)
    cfg.test_dataloader.dataset.data_root = '/data/msrs'
    # built lazily (no file listing): data_root joined with the RGB prefix
    assert image_roots_from_config(cfg) == '/data/msrs/vi'
    vt = Config.fromfile(osp.join(DATASET_CFGS, 'vt5000.py'))
    vt.test_dataloader.dataset.data_root = '/data/VT5000'
    assert image_roots_from_config(vt) == '/data/VT5000/Test/RGB'  # the split folder resolved
    trio = Config.fromfile(osp.join(DATASET_CFGS, 'vt5000_vt1000_vt821.py'))
    assert image_roots_from_config(trio) is None  # NamedConcatDataset: from its metainfo
    trio.test_dataloader.dataset.type = 'ConcatDataset'
    trio.test_dataloader.dataset.pop('names')
    for sub, root in zip(trio.test_dataloader.dataset.datasets, ('/a', '/b', '/c')):
        sub.data_root = root
    assert image_roots_from_config(trio) == {'VT5000': '/a/Test/RGB', 'VT1000': '/b/RGB',
                                      'VT821': '/c/RGB'}


def test_save_maps_option(tmp_path):
    cfg = Config.fromfile(SOD)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.test_dataloader.dataset.data_root = '/data/msrs'
    out = enable_saliency_maps(cfg, 'maps')
    assert out == str(tmp_path / 'work' / 'maps')
    assert cfg.test_evaluator.output_dir == out
    assert cfg.test_evaluator.img_root == '/data/msrs/vi'
    trio = Config.fromfile(osp.join(DATASET_CFGS, 'vt5000_vt1000_vt821.py'))
    trio.work_dir = str(tmp_path)
    enable_saliency_maps(trio, str(tmp_path / 'abs'))
    metric = trio.test_evaluator.metrics[0]
    assert metric.output_dir == str(tmp_path / 'abs') and metric.get('img_root') is None
    seg = Config.fromfile(SEG)
    seg.work_dir = str(tmp_path)
    with pytest.raises(ValueError, match='no SODMetric.*IoUMetric'):
        enable_saliency_maps(seg, 'maps')
