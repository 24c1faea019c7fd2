# DPLNet (arXiv 2312.00360, IROS 2024) on NYUDv2 (40 classes, raw depth): SGD 0.04,
# momentum 0.9, wd 5e-4, poly (power 0.9, per epoch), 500 epochs, batch 32 (one GPU in
# the published run), AMP, random scale 0.5-2.0 + crop 480 x 640 + flip on both
# modalities, colour jitter on RGB only, CE weighted with the class weights of the
# official training, 41 outputs (40 classes + void, the void class weighted 0), the
# official decode head (DPLNetHead). Published mIoU: 58.3 single scale / 59.3
# multi-scale + flip (tta_pipeline).
# Depth is repeated to 3 channels. This config reads the uint16 millimetres of
# tools/dataset_converters/nyudv2.py and standardises them with the NYUv2 depth
# statistics in mm (below). The official run reads the 8-bit depth PNGs of its NYUDv2
# pack (/255, mean 0.449, std 0.226): that is
# dplnet-mit-b5_segformer-head_1xb32-500e_nyudv2-8bit-depth-480x640.py (the one to use
# with converted official checkpoints).
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

# The class weights the official training uses: train.py takes `trainset.class_weight`,
# the array NYUv2.__init__ sets (41 values, void first), and sets the void weight to 0.
# (NYUv2.__getitem__ later assigns another array, the ENet weights 3.3855, 5.6249, ...,
# to the dataset copies in the loader workers; the loss never sees it.) Here: classes
# 1..40 in mmseg order, then the void channel of DPLNetHead(extra_void_class=True),
# weighted 0 as in the official loss (void pixels are ignored anyway).
class_weight = [
    5.17995767, 12.47921102, 13.79726557, 18.47574439, 19.97749822, 21.10995738,
    25.86733191, 27.50483598, 27.35425244, 25.12185149, 27.04617447, 30.0332327,
    29.30994935, 34.72009825, 33.66136128, 34.28715586, 32.69376342, 33.71574286,
    37.0865665, 39.70731054, 38.60681717, 36.37894266, 40.12142316, 39.71753044,
    39.27177794, 43.44761984, 42.96761184, 43.98874667, 43.43148409, 43.29897719,
    45.88895515, 44.31838311, 44.18898992, 42.93723439, 44.61617778, 47.12778303,
    46.21331253, 27.69259756, 25.89111664, 15.65148615,
    0.0,  # void (official class 0, weight set to 0 by train.py)
]
model = dict(
    data_preprocessor=dict(size=crop_size, x_mean=[2841.95] * 3, x_std=[1417.26] * 3),
    decode_head=dict(
        num_classes=40, extra_void_class=True,
        # torch's weighted CE, the official loss (mmseg's class-weighted
        # CrossEntropyLoss fails on the ignored void pixels in mmseg 1.2.2)
        loss_decode=dict(_delete_=True, type='ClassWeightedCrossEntropyLoss',
                         class_weight=class_weight, loss_weight=1.0)))

log_processor = dict(by_epoch=True)
