# IV-tuning (arXiv 2412.16654) salient-object detection on VT5000 with EVA02-L:
# Adam 5e-5 (lr x0.1 after 100 epochs), 200 epochs, batch 8, 384 x 384, gradients
# clipped to +-0.5, BCE + soft IoU (smoothing 1) deep supervision. Published: VT5000
# S .930 / MAE .019.
# Decoder: the published CPNet-style decoder (4 side outputs, all supervised, summed
# at test time) is replaced by stock mmseg parts: a SegformerHead (one sigmoid logit)
# plus 4 auxiliary FCN heads, one per backbone level, with the same BCE + IoU loss and
# weight 1 (deep supervision); the test output is the SegformerHead's alone.
# Input as the official SOD loader (SOD-IV-tuning/data.py): the thermal image becomes
# grey (ITU-R 601 luma, PIL's 'L') repeated x3 -- XOnly(RGB2Gray) on the 3-channel
# file -- and is fed as grey / 255 in [0, 1] (official: no mean / std, i.e. x_mean 0,
# x_std 255 in the data preprocessor); training augmentations: horizontal
# flip (0.5), rotation by up to 15 degrees with probability 0.2 (fill 0, GT too),
# colour jitter of the RGB image, then a 384 x 384 resize. Not reproduced with stock
# transforms (docs/methods.md, "Differences from the official runs"): the centred
# random crop (up to 30 px), PIL's brightness / contrast / colour / sharpness
# enhancement (PhotoMetricDistortion instead), salt-and-pepper noise on the GT, the
# bilinear (soft) GT resize, bicubic rotation.
# Backbone as the official EVA02 SOD model: built at 384 (position embedding on a
# 24 x 24 grid, resampled from the checkpoint's as the official loader does),
# drop-path 0.2 on the frozen blocks.
# Dataset protocol: configs/_base_/datasets/vt5000.py.
_base_ = [
    '../_base_/datasets/vt5000.py', '../_base_/default_runtime_seg.py',
    './_base_/ivtuning-eva02-l_segformer-head.py'
]
img_scale = (384, 384)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='LoadSODAnnotations'),
    dict(type='XOnly', transforms=[dict(type='RGB2Gray')]),   # grey, 3 equal channels
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomRotate', prob=0.2, degree=15, pad_val=0, seg_pad_val=0),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='XOnly', transforms=[dict(type='RGB2Gray')]),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    # after Resize: the ground truth stays at the original size
    dict(type='LoadSODAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(
    batch_size=8, sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader


def sod_losses(weight):
    # the published IoU loss is 1 - (inter + 1) / (union + 1)
    return [dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=weight),
            dict(type='SoftIoULoss', eps=1.0, loss_weight=weight)]


model = dict(
    # the official run feeds IR as grey / 255 in [0, 1] (no mean / std): the pipeline
    # turns the thermal file to grey x 3, the preprocessor divides by 255
    data_preprocessor=dict(size=img_scale, x_mean=[0.0] * 3, x_std=[255.0] * 3),
    backbone=dict(x_channels=3, img_size=384, drop_path_rate=0.2),
    decode_head=dict(num_classes=2, out_channels=1, threshold=0.5,
                     loss_decode=sod_losses(1.0)),
    auxiliary_head=[
        dict(type='FCNHead', in_channels=1024, channels=64, in_index=i, num_convs=1,
             kernel_size=3, concat_input=False, dropout_ratio=0.0, num_classes=2,
             out_channels=1, threshold=0.5,
             norm_cfg=dict(type='SyncBN', requires_grad=True), align_corners=False,
             loss_decode=sod_losses(1.0))
        for i in range(4)
    ])

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=5e-5),
    clip_grad=dict(type='value', clip_value=0.5))
max_epochs = 200
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[100],
         gamma=0.1)
]
# the published code picks the best epoch on the test split: here the test split is
# evaluated once, after the last epoch
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=20, max_keep_ckpts=2,
                    save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)
auto_scale_lr = dict(enable=False, base_batch_size=8)
