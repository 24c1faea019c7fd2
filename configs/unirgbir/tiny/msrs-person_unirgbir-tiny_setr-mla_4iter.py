# Tiny UniRGB-IR segmentation for CPU tests: the MFNet recipe (same classes: UniRGBIRViT,
# MLANeck, SETRMLAHead + 4 FCN heads, class-weighted CE, SGD poly) at toy width on the
# MSRS person masks in ../shared/data/rgbt_msrs, 64 x 64 inputs, 4 iterations.
_base_ = ['../unirgbir-vit-b16_setr-mla_2xb2-80k_mfnet-768x768.py']
data_root = '../shared/data/rgbt_msrs'
crop_size = (64, 64)
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
dataset = dict(
    _delete_=True, type='RGBXSegDataset', data_root=data_root, ann_file='msrs_split.json',
    split='train', data_prefix=dict(img_path='vi', x_path='ir', seg_map_path='person_mask'),
    metainfo=dict(classes=('background', 'person'), palette=[[0, 0, 0], [220, 20, 60]]),
    label_map={255: 1}, x_kind='thermal')
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline, **dataset))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline, **dataset))
test_dataloader = val_dataloader

num_classes = 2
class_weight = [1.0, 3.0]
model = dict(
    data_preprocessor=dict(size=crop_size, x_mean=[80.0], x_std=[50.0]),
    backbone=dict(img_size=64, embed_dim=32, depth=4, num_heads=2, window_size=2,
                  global_attn_indexes=(1, 3), interaction_indexes=(0, 1, 2, 3),
                  pool_channels=16, drop_path_rate=0.1, pool_norm_cfg=dict(type='BN'),
                  # toy widths: no published weights fit, the frozen ViT stays random
                  pretrained=None, allow_random_frozen=True),
    neck=dict(in_channels=[32] * 4, out_channels=16, norm_cfg=dict(type='BN')),
    decode_head=dict(in_channels=(16,) * 4, channels=32, mla_channels=8,
                     num_classes=num_classes, norm_cfg=dict(type='BN'),
                     loss_decode=dict(class_weight=class_weight)),
    auxiliary_head=[
        dict(type='FCNHead', in_channels=16, channels=16, in_index=i, dropout_ratio=0,
             num_convs=0, kernel_size=1, concat_input=False, num_classes=num_classes,
             align_corners=False,
             loss_decode=dict(type='ClassWeightedCrossEntropyLoss',
                              class_weight=class_weight, loss_weight=0.4,
                              avg_mode='pixels'))
        for i in range(4)
    ])

max_iters = 4
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(by_epoch=False, interval=max_iters))
randomness = dict(seed=0)
