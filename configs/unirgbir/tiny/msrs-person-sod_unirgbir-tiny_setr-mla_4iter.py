# Tiny UniRGB-IR salient-object detection for CPU tests: the VT5000 recipe (UniRGBIRViT,
# SETR-MLA with one sigmoid logit, BCE + soft IoU + SSIM on the main and 4 auxiliary
# heads) at toy width on the MSRS person masks, 64 x 64, 4 iterations, SODMetric.
_base_ = ['../unirgbir-vit-b16_setr-mla_8xb8-20k_vt5000-416x416.py']
data_root = '../shared/data/rgbt_msrs'
img_scale = (64, 64)
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
    dict(type='LoadSODAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
dataset = dict(
    _delete_=True, type='RGBXSODDataset', data_root=data_root, ann_file='msrs_split.json',
    split='train', data_prefix=dict(img_path='vi', x_path='ir', seg_map_path='person_mask'),
    x_kind='thermal')
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
                        dataset=dict(pipeline=train_pipeline, **dataset))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline, **dataset))
test_dataloader = val_dataloader

model = dict(
    data_preprocessor=dict(size=img_scale, x_mean=[80.0] * 3, x_std=[50.0] * 3),
    backbone=dict(img_size=64, embed_dim=32, depth=4, num_heads=2, window_size=2,
                  global_attn_indexes=(1, 3), interaction_indexes=(0, 1, 2, 3),
                  pool_channels=16, drop_path_rate=0.1, pool_norm_cfg=dict(type='BN'),
                  # toy widths: no published weights fit, the frozen ViT stays random
                  pretrained=None, allow_random_frozen=True),
    neck=dict(in_channels=[32] * 4, out_channels=16, norm_cfg=dict(type='BN')),
    decode_head=dict(in_channels=(16,) * 4, channels=32, mla_channels=8,
                     norm_cfg=dict(type='BN')),
    auxiliary_head=[
        dict(type='FCNHead', in_channels=16, channels=16, in_index=i, dropout_ratio=0,
             num_convs=0, kernel_size=1, concat_input=False, num_classes=2,
             out_channels=1, threshold=0.5, align_corners=False,
             loss_decode=[dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.4),
                          dict(type='SoftIoULoss', loss_weight=0.4),
                          dict(type='SSIMLoss', loss_weight=0.4)])
        for i in range(4)
    ])

max_iters = 4
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(by_epoch=False, interval=max_iters))
randomness = dict(seed=0)
