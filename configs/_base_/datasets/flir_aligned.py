# FLIR-aligned RGB-thermal detection (the CFR release of FLIR ADAS v1): 640 x 512,
# person / car / bicycle, 4,129 train / 1,013 test pairs. COCO jsons from
# tools/dataset_converters/flir_aligned.py (the test json comes from
# align_validation.txt). Protocol (CFT, ICAFusion, UniRGB-IR): train on train, test on
# test at 640 x 512, COCO bbox mAP and mAP50 (the papers' headline number is mAP50).
dataset_type = 'FLIRAlignedDataset'
data_root = 'data/FLIR_aligned/'
img_scale = (640, 512)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXDetInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackRGBXDetInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='coco/flir_aligned_train.json',
                 data_prefix=dict(img='align/JPEGImages', x='align/JPEGImages'),
                 filter_cfg=dict(filter_empty_gt=True, min_size=32),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='coco/flir_aligned_test.json',
                 data_prefix=dict(img='align/JPEGImages', x='align/JPEGImages'),
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=data_root + 'coco/flir_aligned_test.json',
                     metric='bbox')
test_evaluator = val_evaluator
