# M3FD detection: 4,200 pairs, 1024 x 768, 6 classes (People, Car, Bus, Motorcycle,
# Lamp, Truck). No official split: tools/dataset_converters/m3fd.py writes a stable
# hash split (80 / 20) or follows given lists; state which one you report on, since
# M3FD numbers from different splits are not comparable. COCO bbox mAP and mAP50.
dataset_type = 'M3FDDataset'
data_root = 'data/M3FD/'
img_scale = (1024, 768)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXDetInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackRGBXDetInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='coco/m3fd_train.json',
                 data_prefix=dict(img='M3FD_Detection/Vis', x='M3FD_Detection/Ir'),
                 filter_cfg=dict(filter_empty_gt=True, min_size=32),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='coco/m3fd_test.json',
                 data_prefix=dict(img='M3FD_Detection/Vis', x='M3FD_Detection/Ir'),
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=data_root + 'coco/m3fd_test.json',
                     metric='bbox')
test_evaluator = val_evaluator
