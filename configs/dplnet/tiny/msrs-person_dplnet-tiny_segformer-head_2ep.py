# Tiny DPLNet for CPU tests: the NYUDv2 recipe (DPLNetMiT, DPLNetHead, class-weighted
# CE, SGD poly per epoch, epoch-based loop, colour jitter on RGB only) at toy width on
# the MSRS person masks (thermal stands in for depth), 64 x 64, 2 epochs of 2
# iterations, no AMP (CPU).
_base_ = ['../dplnet-mit-b5_segformer-head_1xb32-500e_nyudv2-480x640.py']
data_root = '../shared/data/rgbt_msrs'
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='LoadAnnotations'),
    dict(type='RGBOnly', transforms=[
        dict(type='PhotoMetricDistortion', brightness_delta=32,
             contrast_range=(0.5, 1.5), saturation_range=(0.5, 1.5), hue_delta=1)]),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=(80, 64), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='Resize', scale=(80, 64), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
dataset = dict(
    _delete_=True, type='RGBXSegDataset', data_root=data_root, ann_file='msrs_split.json',
    split='train', data_prefix=dict(img_path='vi', x_path='ir', seg_map_path='person_mask'),
    metainfo=dict(classes=('background', 'person'), palette=[[0, 0, 0], [220, 20, 60]]),
    label_map={255: 1}, x_kind='thermal')
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline, **dataset))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline, **dataset))
test_dataloader = val_dataloader
tta_pipeline = None

model = dict(
    # 8-bit thermal: DPLNet's grey-level statistics (the NYUDv2 parent standardises mm)
    data_preprocessor=dict(size=crop_size, x_mean=[114.495] * 3, x_std=[57.63] * 3),
    # random frozen MiT on purpose (a test config: no weights to load)
    backbone=dict(embed_dims=(8, 16, 40, 64), depths=(1, 1, 1, 1), num_prompt_tokens=4,
                  prompt_dim=8, mfa_reduction=4, pretrained=None, allow_random_frozen=True),
    # background is a class here: no void channel
    decode_head=dict(in_channels=[8, 16, 40, 64], channels=16, pretrain_classes=6,
                     num_classes=2, extra_void_class=False, norm_cfg=dict(type='BN'),
                     loss_decode=dict(class_weight=[1.0, 3.0])))
optim_wrapper = dict(type='OptimWrapper')
max_epochs = 2
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_epochs, by_epoch=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=max_epochs))
randomness = dict(seed=0)
