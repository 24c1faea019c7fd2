# MFNet RGB-thermal urban scenes (Ha et al., IROS 2017): 480 x 640, 9 classes incl.
# "unlabeled". Layout written by tools/dataset_converters/mfnet.py (rgb/, thermal/,
# labels/, train.txt, val.txt, test.txt); for the original 4-channel PNGs use
# mfnet_4ch.py. Protocol (most published results, e.g. CMX, Sigma, DPLNet): train on
# train + val (1,176), test on test (393), single scale, mIoU over all 9 classes
# (unlabeled included). There is no held-out validation set in this protocol: the
# val loop runs on test for monitoring only; report the last checkpoint.
# For the official 784 / 392 / 393 split see mfnet_official_split.py.
dataset_type = 'MFNetDataset'
data_root = 'data/mfnet'
crop_size = (480, 640)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(640, 480), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=(640, 480), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='trainval',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
