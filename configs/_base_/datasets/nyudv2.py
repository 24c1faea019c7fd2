# NYU Depth v2 (40 classes, Gupta et al.'s labels): 795 train / 654 test, 480 x 640,
# raw depth input. Layout of the CMX / DFormer data packs and of
# tools/dataset_converters/nyudv2.py (which writes Depth/ as uint16 mm): RGB/*.jpg,
# Depth/*.png, Label/*.png (0 void, 1..40), train.txt, test.txt. Protocol (DFormer, DPLNet,
# GeminiFusion): train on train, test on test, mIoU over 40 classes (void ignored),
# single scale (multi-scale + flip is reported separately). Raw-depth and HHA results
# (nyudv2_hha.py) are not comparable.
dataset_type = 'NYUDv2Dataset'
data_root = 'data/NYUDepthv2'
crop_size = (480, 640)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1, x_kind='depth'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(640, 480), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1, x_kind='depth'),
    dict(type='Resize', scale=(640, 480), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', x_input='depth',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', x_input='depth',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
