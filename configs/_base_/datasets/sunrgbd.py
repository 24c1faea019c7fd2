# SUN RGB-D (37 classes): 5,285 train / 5,050 test, images of varying sizes
# (mostly 530 x 730), raw depth input. Layout of the CMX / DFormer data packs
# and of tools/dataset_converters/sunrgbd.py (which writes Depth/ as uint16 mm):
# RGB/*.jpg, Depth/*.png, Label/*.png (0 void, 1..37), train.txt, test.txt.
# Protocol (DFormer, DPLNet, GeminiFusion): train on train, test on test, mIoU over
# 37 classes (void ignored), single scale; here training crops and test images are
# 480 x 640 (DFormer pads to 530 x 730 instead: state the size you report).
dataset_type = 'SUNRGBDDataset'
data_root = 'data/SUNRGBD'
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
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
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
