# Tiny IV-tuning segmentation for CPU tests: the MFNet Swin-L recipe (IVTuningSwin,
# SegformerHead, AdamW with head lr x10, warm-up + poly) at toy width (a 5-block Swin)
# on the MSRS person masks, 64 x 64, 4 iterations. The toy Swin has no published
# weights: its frozen part stays random on purpose (allow_random_frozen).
_base_ = ['../ivtuning-swin-l_segformer-head_1xb8-80k_mfnet-480x640.py']
data_root = '../shared/data/rgbt_msrs'
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(80, 64), ratio_range=(1.0, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=(80, 64), keep_ratio=True),
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

model = dict(
    data_preprocessor=dict(size=crop_size, x_mean=[80.0], x_std=[50.0]),
    backbone=dict(model_name='swin_tiny_patch4_window7_224', img_size=64, embed_dim=16,
                  depths=(1, 1, 2, 1), num_heads=(1, 2, 4, 8), window_size=4,
                  pretrained=None, allow_random_frozen=True),
    decode_head=dict(in_channels=[16, 32, 64, 128], channels=16, num_classes=2,
                     norm_cfg=dict(type='BN')))
max_iters = 4
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=2),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=2, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(by_epoch=False, interval=max_iters))
randomness = dict(seed=0)
