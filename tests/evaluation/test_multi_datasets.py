# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""NamedConcatDataset + PerDatasetEvaluator: several test sets in one run, one table."""
import csv
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DATASETS, EVALUATOR

from mmrgbir.evaluation import NamedConcatDataset, PerDatasetEvaluator, SODMetric
from rgbx_testing import DATASET_CFGS, write_image

SETS = (('VT5000', 'VT5000/Test', 2, (20, 28)), ('VT1000', 'VT1000', 3, (24, 20)),
        ('VT821', 'VT821', 1, (18, 26)))


def make_vt_trio(root):
    """Tiny VT5000-test / VT1000 / VT821 folders (RGB/, T/, GT/), one size per set."""
    rng = np.random.default_rng(0)
    for _, folder, num, (h, w) in SETS:
        for i in range(num):
            name = f'{i:03d}'
            write_image(osp.join(root, folder, 'RGB', name + '.jpg'),
                        rng.integers(0, 256, (h, w, 3), np.uint8))
            write_image(osp.join(root, folder, 'T', name + '.jpg'),
                        rng.integers(0, 256, (h, w, 3), np.uint8))
            mask = np.zeros((h, w), np.uint8)
            mask[3:12 + i, 4:15] = 255
            write_image(osp.join(root, folder, 'GT', name + '.png'), mask)


def trio_dataset_cfg(root):
    cfg = Config.fromfile(osp.join(DATASET_CFGS, 'vt5000_vt1000_vt821.py'))
    ds = cfg.test_dataloader.dataset
    for sub, (_, folder, _, _) in zip(ds.datasets, SETS):
        sub.data_root = osp.join(root, folder.split('/')[0])
    return cfg, ds


def test_named_concat_dataset_records_the_sets(seg_scope, tmp_path):
    make_vt_trio(str(tmp_path))
    cfg, ds_cfg = trio_dataset_cfg(str(tmp_path))
    assert cfg.test_evaluator.type == 'PerDatasetEvaluator'
    dataset = DATASETS.build(ds_cfg)
    assert isinstance(dataset, NamedConcatDataset) and len(dataset) == 6
    meta = dataset.metainfo
    assert meta['dataset_names'] == ['VT5000', 'VT1000', 'VT821']
    assert meta['cumulative_sizes'] == [2, 5, 6]
    assert meta['classes'] == ('background', 'salient')
    assert meta['img_roots'] == {
        'VT5000': osp.join(str(tmp_path), 'VT5000', 'Test', 'RGB'),
        'VT1000': osp.join(str(tmp_path), 'VT1000', 'RGB'),
        'VT821': osp.join(str(tmp_path), 'VT821', 'RGB')}
    # global index 2 is the first VT1000 image, with its ground truth at 24 x 20
    item = dataset[2]
    assert item['data_samples'].img_path == osp.join(str(tmp_path), 'VT1000', 'RGB',
                                                      '000.jpg')
    assert tuple(item['data_samples'].gt_sem_seg.data.shape) == (1, 24, 20)
    # default names from the dataset types; bad names are refused
    unnamed = NamedConcatDataset([dict(d) for d in ds_cfg.datasets])
    assert unnamed.metainfo['dataset_names'] == ['VT5000', 'VT1000', 'VT821']
    for names, match in ((['a', 'b'], '2 names'), (['a', 'a', 'b'], 'distinct'),
                         (['a', 'b/c', 'd'], 'without "/"')):
        with pytest.raises(ValueError, match=match):
            NamedConcatDataset([dict(d) for d in ds_cfg.datasets], names=names)


def _sample(seed, h, w):
    rng = np.random.default_rng(seed)
    prob = rng.uniform(0.05, 0.95, (h, w))
    gt = np.zeros((h, w), np.int64)
    gt[h // 4:h // 2 + seed % 3, w // 3:] = 1
    prob[gt == 1] += 0.3 * (seed % 2)  # some images are better predicted than others
    prob = np.clip(prob, 0, 1)
    return dict(img_path=f'/d/{seed}.jpg', ori_shape=(h, w),
                seg_logits=dict(data=torch.from_numpy(prob)[None].float()),
                gt_sem_seg=dict(data=torch.from_numpy(gt)[None]))


def test_per_dataset_evaluator_measures_each_set(tmp_path):
    samples = [_sample(i, 16 + i, 20) for i in range(6)]
    csv_file = str(tmp_path / 'table.csv')
    evaluator = EVALUATOR.build(dict(type='PerDatasetEvaluator', csv_file=csv_file,
                                     metrics=[dict(type='SODMetric')]))
    assert isinstance(evaluator, PerDatasetEvaluator)
    evaluator.dataset_meta = dict(classes=('background', 'salient'),
                                  dataset_names=['A', 'B', 'C'], cumulative_sizes=[2, 5, 6])
    for start in range(0, 6, 4):  # batches that straddle the set boundaries
        evaluator.process(samples[start:start + 4], {})
    logger = MMLogger.get_instance('test_per_dataset', log_level='INFO')
    got = evaluator.evaluate(6)
    assert logger is not None
    keys = ('MAE', 'Sm', 'maxF', 'meanF', 'adpF', 'maxE', 'meanE', 'adpE', 'wF')
    assert list(got) == [f'{s}/{k}' for s in 'ABC' for k in keys]
    # independent: one plain SODMetric per set
    expected = {}
    for name, part in (('A', samples[:2]), ('B', samples[2:5]), ('C', samples[5:])):
        metric = SODMetric()
        metric.process({}, part)
        expected[name] = metric.compute_metrics(metric.results)
        for key in keys:
            assert got[f'{name}/{key}'] == expected[name][key], (name, key)
    assert len({round(expected[s]['MAE'], 9) for s in 'ABC'}) == 3  # the sets differ
    with open(csv_file) as f:
        rows = list(csv.DictReader(f))
    assert [r['dataset'] for r in rows] == ['A', 'B', 'C']
    assert [int(r['images']) for r in rows] == [2, 3, 1]
    for row in rows:
        for key in keys:  # the CSV text reads back to the same float
            assert float(row[key]) == expected[row['dataset']][key]


def test_per_dataset_evaluator_errors():
    evaluator = PerDatasetEvaluator(metrics=[dict(type='SODMetric')], csv_file='')
    evaluator.dataset_meta = dict(classes=('background', 'salient'))
    evaluator.process([_sample(0, 8, 8)], {})
    with pytest.raises(KeyError, match='NamedConcatDataset'):
        evaluator.evaluate(1)
    evaluator.dataset_meta = dict(dataset_names=['A'], cumulative_sizes=[3])
    with pytest.raises(ValueError, match='hold 3 samples but 1 were evaluated'):
        evaluator.evaluate(1)
    evaluator.dataset_meta = dict(dataset_names=['A', 'B'], cumulative_sizes=[1])
    with pytest.raises(ValueError, match='2 dataset_prefixes'):
        evaluator.evaluate(1)


def test_per_dataset_evaluator_dumps_every_set_into_one_file(tmp_path):
    """tools/test.py --out adds DumpResults to the evaluator's metrics."""
    import pickle
    out = str(tmp_path / 'results.pkl')
    evaluator = PerDatasetEvaluator(
        metrics=[dict(type='SODMetric'), dict(type='DumpResults', out_file_path=out)],
        csv_file='')
    evaluator.dataset_meta = dict(dataset_names=['A', 'B'], cumulative_sizes=[1, 3])
    evaluator.process([_sample(i, 8, 10) for i in range(3)], {})
    got = evaluator.evaluate(3)
    assert {k.split('/')[0] for k in got} == {'A', 'B'}
    with open(out, 'rb') as f:
        dumped = pickle.load(f)
    assert [d['img_path'] for d in dumped] == ['/d/0.jpg', '/d/1.jpg', '/d/2.jpg']
