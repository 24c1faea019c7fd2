# DPLNet (arXiv 2312.00360, IROS 2024) on NYUDv2 (40 classes, raw depth): SGD 0.04,
# momentum 0.9, wd 5e-4, poly (power 0.9, per epoch), 500 epochs, batch 32 (one GPU in
# the published run), AMP, random scale 0.5-2.0 + crop 480 x 640 + flip on both
# modalities, colour jitter on RGB only, CE weighted with the published ENet class
# weights. Published mIoU: 58.3 single scale / 59.3 multi-scale + flip (tta_pipeline).
# Depth is repeated to 3 channels. DPLNet reads the 8-bit depth PNGs of the NYUDv2 pack and
# normalises them with mean 0.449 * 255, std 0.226 * 255; this config reads the uint16
# millimetres of tools/dataset_converters/nyudv2.py and standardises them with the NYUv2
# depth statistics in mm (below). With the 8-bit pack, set x_mean=[114.495] * 3,
# x_std=[57.63] * 3 instead.
_base_ = [
    '../_base_/datasets/nyudv2.py', '../_base_/default_runtime_seg.py',
    './_base_/dplnet-mit-b5_segformer-head.py', './_base_/schedule_sgd-poly-500e_amp.py'
]
crop_size = (480, 640)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3, x_kind='depth'),
    dict(type='LoadAnnotations'),
    # colour jitter (brightness / contrast / saturation), RGB only; hue_delta=1 is the
    # smallest hue jitter PhotoMetricDistortion accepts (DPLNet has none)
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
# multi-scale + flip evaluation of the published multi-scale number (tools/test.py --tta)
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5]
tta_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3, x_kind='depth'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale_factor=r, keep_ratio=True) for r in img_ratios],
        [dict(type='RandomFlip', prob=0., direction='horizontal'),
         dict(type='RandomFlip', prob=1., direction='horizontal')],
        [dict(type='LoadAnnotations')],
        [dict(type='PackRGBXSegInputs')],
    ]),
]
# epoch-based like the published run (795 images / 32 = 25 iterations per epoch)
train_dataloader = dict(
    batch_size=32, num_workers=4,
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# ENet class weights of the published recipe for classes 1..40 (void is ignored)
class_weight = [
    5.6249, 12.0095, 13.9648, 21.0021, 20.5423, 25.7143, 27.3796, 28.7891, 27.1876,
    28.5285, 28.1800, 32.1900, 31.0330, 35.3340, 32.6370, 36.1279, 36.2773, 37.1518,
    35.4062, 40.4284, 37.5624, 33.7325, 40.8962, 40.9146, 40.2932, 43.6822, 44.7070,
    43.7316, 42.5433, 45.0084, 44.8754, 45.2884, 44.5937, 45.4827, 45.2658, 46.5859,
    46.4504, 26.3095, 27.8991, 16.6582
]
model = dict(
    data_preprocessor=dict(size=crop_size, x_mean=[2841.95] * 3, x_std=[1417.26] * 3),
    decode_head=dict(
        num_classes=40,
        # torch's weighted CE (mmseg's class-weighted CrossEntropyLoss fails on the
        # ignored void pixels in mmseg 1.2.2)
        loss_decode=dict(_delete_=True, type='ClassWeightedCrossEntropyLoss',
                         class_weight=class_weight, loss_weight=1.0)))

log_processor = dict(by_epoch=True)
