# DPLNet on MFNet (RGB-thermal, 9 classes incl. unlabeled). The public code covers
# NYUDv2 only: this keeps its optimiser, schedule (500 epochs), augmentation and AMP,
# with plain CE. Thermal repeated to 3 channels and normalised like DPLNet's depth
# (0.449 * 255 / 0.226 * 255: its own grey-level statistics, not RGB's).
# Published mIoU: 59.3. Dataset protocol: configs/_base_/datasets/mfnet.py (train + val
# -> test).
_base_ = [
    '../_base_/datasets/mfnet.py', '../_base_/default_runtime_seg.py',
    './_base_/dplnet-mit-b5_segformer-head.py', './_base_/schedule_sgd-poly-500e_amp.py'
]
crop_size = (480, 640)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='LoadAnnotations'),
    dict(type='RGBOnly', transforms=[
        dict(type='PhotoMetricDistortion', brightness_delta=32,
             contrast_range=(0.5, 1.5), saturation_range=(0.5, 1.5), hue_delta=1)]),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=(640, 480), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='Resize', scale=(640, 480), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(
    batch_size=32, num_workers=4,
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(data_preprocessor=dict(size=crop_size), decode_head=dict(num_classes=9))
log_processor = dict(by_epoch=True)
