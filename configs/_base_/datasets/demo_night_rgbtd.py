# The generated night-street data with a third modality: RGB + thermal + depth
# (mmrgbir.datasets.synthetic, with_depth=True), written by
#   python tools/misc/generate_demo_data.py work_dirs/demo/data_rgbtd --with-depth
# 4 classes, 96 x 128 pixels; depth is 16-bit millimetres (0 = no measurement).
dataset_type = 'MultiModalSegDataset'
data_root = 'work_dirs/demo/data_rgbtd'
modalities = ('thermal', 'depth')
metainfo = dict(classes=('background', 'road', 'car', 'person'),
                palette=[[0, 0, 0], [128, 64, 128], [0, 0, 142], [220, 20, 60]])
crop_size = (96, 128)
train_pipeline = [
    dict(type='LoadMultiModalImageFromFile', modalities=modalities),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(128, 96), ratio_range=(1.0, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.9),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadMultiModalImageFromFile', modalities=modalities),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
data_prefix = dict(img_path='rgb', thermal='thermal', depth='depth', seg_map_path='labels')
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 modalities=modalities, ann_file='train.txt', metainfo=metainfo,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 modalities=modalities, ann_file='val.txt', metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
