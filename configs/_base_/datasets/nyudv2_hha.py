# NYU Depth v2 with HHA-encoded depth (3 channels, HHA/*.jpg; CMX / CMNeXt input).
# Same split and metric as nyudv2.py; not comparable with raw-depth results.
_base_ = ['./nyudv2.py']
crop_size = (480, 640)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3, x_kind='depth'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(640, 480), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3, x_kind='depth'),
    dict(type='Resize', scale=(640, 480), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(dataset=dict(x_input='hha', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(x_input='hha', pipeline=test_pipeline))
test_dataloader = val_dataloader
