# DPLNet on PST900 (RGB-thermal, 5 classes incl. background) at full resolution. The
# public code covers NYUDv2 only: this keeps its optimiser, schedule (500 epochs),
# total batch 32 (4 GPUs x 8 at 720 x 1280), augmentation and AMP, with plain CE.
# Thermal repeated to 3 channels, normalised like DPLNet's depth (0.449 * 255 /
# 0.226 * 255). Published mIoU: 86.7. Dataset protocol: configs/_base_/datasets/pst900.py.
_base_ = [
    '../_base_/datasets/pst900.py', '../_base_/default_runtime_seg.py',
    './_base_/dplnet-mit-b5_segformer-head.py', './_base_/schedule_sgd-poly-500e_amp.py'
]
crop_size = (720, 1280)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='LoadAnnotations'),
    dict(type='RGBOnly', transforms=[
        dict(type='PhotoMetricDistortion', brightness_delta=32,
             contrast_range=(0.5, 1.5), saturation_range=(0.5, 1.5), hue_delta=1)]),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=(1280, 720), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='Resize', scale=(1280, 720), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=4,
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(data_preprocessor=dict(size=crop_size), decode_head=dict(num_classes=5))
log_processor = dict(by_epoch=True)
