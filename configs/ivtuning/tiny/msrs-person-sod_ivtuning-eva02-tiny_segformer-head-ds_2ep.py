# Tiny IV-tuning salient-object detection for CPU tests: the VT5000 recipe (IVTuningViT
# on an EVA02 block stack, SegformerHead + 4 deeply supervised FCN heads, BCE + soft IoU,
# Adam with value clipping, epoch-based) at toy width on the MSRS person masks,
# 64 x 64, 2 epochs of 2 iterations, SODMetric. The toy EVA02 has no published weights:
# its frozen part stays random on purpose (allow_random_frozen).
_base_ = ['../ivtuning-eva02-l_segformer-head-ds_1xb8-200e_vt5000-384x384.py']
data_root = '../shared/data/rgbt_msrs'
img_scale = (64, 64)
# the VT5000 recipe's input pipeline (grey IR x3, flip, rotation, RGB colour jitter,
# resize), at 64 x 64
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='LoadSODAnnotations'),
    dict(type='XOnly', transforms=[dict(type='RGB2Gray')]),
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
    dict(type='LoadSODAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
dataset = dict(
    _delete_=True, type='RGBXSODDataset', data_root=data_root, ann_file='msrs_split.json',
    split='train', data_prefix=dict(img_path='vi', x_path='ir', seg_map_path='person_mask'),
    x_kind='thermal')
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline, **dataset))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline, **dataset))
test_dataloader = val_dataloader

model = dict(
    data_preprocessor=dict(size=img_scale, x_mean=[80.0] * 3, x_std=[50.0] * 3),
    backbone=dict(img_size=64, embed_dim=32, depth=4, num_heads=2, out_indices=(0, 1, 2, 3),
                  pretrained=None, allow_random_frozen=True),
    decode_head=dict(in_channels=[32] * 4, channels=16, norm_cfg=dict(type='BN')),
    auxiliary_head=[
        dict(type='FCNHead', in_channels=32, channels=8, in_index=i, num_convs=1,
             kernel_size=3, concat_input=False, dropout_ratio=0.0, num_classes=2,
             out_channels=1, threshold=0.5, norm_cfg=dict(type='BN'), align_corners=False,
             loss_decode=[dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                          dict(type='SoftIoULoss', eps=1.0, loss_weight=1.0)])
        for i in range(4)
    ])
max_epochs = 2
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[1],
         gamma=0.1)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=max_epochs))
randomness = dict(seed=0)
