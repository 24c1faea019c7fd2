# RGB-thermal SOD, the full standard protocol in one run (as CAVER reports it): train on
# VT5000-train, test on VT5000-test, VT1000 and VT821 together. The test sets are
# concatenated in a NamedConcatDataset; PerDatasetEvaluator measures each set on its
# own (keys "VT5000/Sm", "VT1000/MAE", ...) and writes one table to the log and to
# <work_dir>/<timestamp>/per_dataset_metrics.csv. `tools/test.py CONFIG CKPT --save-maps
# maps` saves the 8-bit maps at ground-truth size as maps/VT5000/<name>.png, ... .
_base_ = ['./vt5000.py']
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        _delete_=True,
        type='NamedConcatDataset',
        names=['VT5000', 'VT1000', 'VT821'],
        datasets=[
            dict(type='VT5000Dataset', data_root='data/VT5000', split='test',
                 pipeline={{_base_.test_pipeline}}),
            dict(type='VT1000Dataset', data_root='data/VT1000',
                 pipeline={{_base_.test_pipeline}}),
            dict(type='VT821Dataset', data_root='data/VT821',
                 pipeline={{_base_.test_pipeline}}),
        ]))
test_evaluator = dict(_delete_=True, type='PerDatasetEvaluator',
                      metrics=[dict(type='SODMetric')])
