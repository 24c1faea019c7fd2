# UniRGB-IR (arXiv 2404.17360) salient-object detection on VT5000: SETR-MLA with one
# sigmoid logit, BCE + soft IoU + SSIM on the main head and (x 0.4) on each of the 4
# auxiliary FCN heads, SGD 0.01 poly, 20k iterations, 416 x 416, 8 GPUs x 8 images.
# VT5000's thermal images are 3-channel (pseudo-colour): x_channels=3 with per-channel
# statistics. Dataset protocol: configs/_base_/datasets/vt5000.py (SODMetric at the
# original GT size; VT1000 / VT821 via their own dataset configs).
_base_ = [
    '../_base_/datasets/vt5000.py', '../_base_/default_runtime_seg.py',
    'mmseg::_base_/schedules/schedule_20k.py', './_base_/unirgbir-vit-b16_setr-mla.py'
]
img_scale = (416, 416)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='LoadSODAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadSODAnnotations'),  # after Resize: GT at the original size
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader


def sod_losses(weight):
    return [dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=weight),
            dict(type='SoftIoULoss', loss_weight=weight),
            dict(type='SSIMLoss', loss_weight=weight)]


model = dict(
    # VT5000 thermal statistics (8-bit, 3 channels) of the published UniRGB-IR recipe,
    # in the X-tensor order: a 3-channel X keeps the file's R, G, B order
    # (LoadRGBXImageFromFile reverses OpenCV's BGR), so x_mean = R, G, B
    data_preprocessor=dict(size=img_scale, x_mean=[192.21, 92.03, 87.13],
                           x_std=[61.55, 68.76, 53.08]),
    # feature pool with SyncBN as in the official 8-GPU run (BN on one GPU: the Runner
    # reverts it)
    backbone=dict(img_size=img_scale[0], x_channels=3, pool_norm_cfg=dict(type='SyncBN')),
    # one logit: saliency = sigmoid (SODMetric reads the logits)
    decode_head=dict(num_classes=2, out_channels=1, threshold=0.5,
                     loss_decode=sod_losses(1.0)),
    auxiliary_head=[
        dict(type='FCNHead', in_channels=256, channels=256, in_index=i, dropout_ratio=0,
             num_convs=0, kernel_size=1, concat_input=False, num_classes=2,
             out_channels=1, threshold=0.5, align_corners=False,
             loss_decode=sod_losses(0.4))
        for i in range(4)
    ],
    test_cfg=dict(mode='whole'))
auto_scale_lr = dict(enable=False, base_batch_size=64)
