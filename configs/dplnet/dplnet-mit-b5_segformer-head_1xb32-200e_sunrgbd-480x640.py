# DPLNet on SUN RGB-D (37 classes, raw depth). The public code covers NYUDv2 only: this
# keeps its optimiser, augmentation and AMP, with plain CE (no published class weights)
# and 200 epochs (~33k iterations at batch 32; the common SUN RGB-D schedule of CMX /
# DFormer). Published mIoU: 52.1 single scale / 52.8 multi-scale.
# Crops and test images at 480 x 640 (configs/_base_/datasets/sunrgbd.py). Depth as in
# the NYUDv2 config: 3 channels, uint16 millimetres from tools/dataset_converters/sunrgbd.py
# standardised with SUN RGB-D's depth statistics in mm (see the SUN RGB-D baseline);
# with the 8-bit pack, x_mean=[114.495] * 3, x_std=[57.63] * 3. Like the official NYUDv2
# model, the head predicts the void label as one more class (38 outputs, void ignored
# in the loss and dropped from the predictions).
_base_ = [
    '../_base_/datasets/sunrgbd.py', '../_base_/default_runtime_seg.py',
    './_base_/dplnet-mit-b5_segformer-head.py', './_base_/schedule_sgd-poly-500e_amp.py'
]
crop_size = (480, 640)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3, x_kind='depth'),
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
    dict(type='LoadRGBXImageFromFile', x_channels=3, x_kind='depth'),
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
model = dict(
    data_preprocessor=dict(size=crop_size, x_mean=[2378.1] * 3, x_std=[1235.1] * 3),
    decode_head=dict(num_classes=37, extra_void_class=True))
max_epochs = 200
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_epochs, by_epoch=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=20))
log_processor = dict(by_epoch=True)
