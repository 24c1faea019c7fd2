# The procedurally generated night-street RGB-T dataset (mmrgbir.datasets.synthetic),
# written by tools/run_demo.py into data_root. 4 classes, 96 x 128 pixels.
dataset_type = 'RGBXSegDataset'
data_root = 'work_dirs/demo/data'
metainfo = dict(classes=('background', 'road', 'car', 'person'),
                palette=[[0, 0, 0], [128, 64, 128], [0, 0, 142], [220, 20, 60]])
crop_size = (96, 128)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(128, 96), ratio_range=(1.0, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.9),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
data_prefix = dict(img_path='rgb', x_path='thermal', seg_map_path='labels')
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 ann_file='train.txt', x_kind='thermal', metainfo=metainfo,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 ann_file='val.txt', x_kind='thermal', metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
