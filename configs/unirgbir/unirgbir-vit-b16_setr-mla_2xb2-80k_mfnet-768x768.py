# UniRGB-IR (arXiv 2404.17360) on MFNet: SETR-MLA + 4 auxiliary FCN heads, SGD 0.01 poly,
# 80k iterations, inputs resized to 768 x 768 (the published recipe: flip + resize, no
# random scale / crop), 2 GPUs x 2 images. Class-weighted CE with the weights of the
# published MFNet recipe, normalised as the official loss: by the pixel count (mmseg's
# CrossEntropyLoss before 1.2, avg_non_ignore=False), not by the summed class weights.
# Feature pool with SyncBN as in the official 2-GPU run (the Runner reverts it to BN
# when training on one GPU). Dataset protocol: configs/_base_/datasets/mfnet.py.
_base_ = [
    '../_base_/datasets/mfnet.py', '../_base_/default_runtime_seg.py',
    'mmseg::_base_/schedules/schedule_80k.py', './_base_/unirgbir-vit-b16_setr-mla.py'
]
crop_size = (768, 768)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

num_classes = 9
# MFNet class weights of the published recipe (unlabeled first)
class_weight = [1.51059098, 15.81630837, 30.08046375, 41.70549916, 38.33253736,
                39.78383054, 46.98874852, 46.46856094, 44.23738209]
model = dict(
    # MFNet thermal statistics (8-bit) of the published recipe
    data_preprocessor=dict(size=crop_size, x_mean=[100.83], x_std=[47.12]),
    backbone=dict(img_size=crop_size[0], pool_norm_cfg=dict(type='SyncBN')),
    decode_head=dict(
        num_classes=num_classes,
        # mmseg 1.2.2's CrossEntropyLoss(class_weight=...) fails on ignored pixels and
        # normalises by the summed class weights; avg_mode='pixels' is the official
        # loss: sum_i w[y_i] * CE_i / number of pixels
        loss_decode=dict(_delete_=True, type='ClassWeightedCrossEntropyLoss',
                         class_weight=class_weight, loss_weight=1.0, avg_mode='pixels')),
    auxiliary_head=[
        dict(type='FCNHead', in_channels=256, channels=256, in_index=i, dropout_ratio=0,
             num_convs=0, kernel_size=1, concat_input=False, num_classes=num_classes,
             align_corners=False,
             loss_decode=dict(type='ClassWeightedCrossEntropyLoss',
                              class_weight=class_weight, loss_weight=0.4,
                              avg_mode='pixels'))
        for i in range(4)
    ],
    test_cfg=dict(mode='whole'))
# the published lr is used as is (no auto-scaling)
auto_scale_lr = dict(enable=False, base_batch_size=4)
