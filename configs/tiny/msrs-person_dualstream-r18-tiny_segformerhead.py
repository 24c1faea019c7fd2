# Tiny RGB-T person segmentation on the MSRS samples (../shared/data/rgbt_msrs):
# the demo's two-stream architecture at 1/8 width, 4 iterations. Used by the tests.
_base_ = [
    '../_base_/default_runtime_seg.py',
    '../_base_/models/dualstream_resnet18_segformerhead.py',
    '../_base_/schedules/tiny_schedule.py',
]
data_root = '../shared/data/rgbt_msrs'
metainfo = dict(classes=('background', 'person'), palette=[[0, 0, 0], [220, 20, 60]])
crop_size = (120, 160)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(160, 120), ratio_range=(1.0, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=(160, 120), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
dataset = dict(
    type='RGBXSegDataset', data_root=data_root, ann_file='msrs_split.json', split='train',
    data_prefix=dict(img_path='vi', x_path='ir', seg_map_path='person_mask'),
    metainfo=metainfo, label_map={255: 1}, x_kind='thermal')
train_dataloader = dict(batch_size=2, num_workers=0,
                        sampler=dict(type='InfiniteSampler', shuffle=True),
                        dataset=dict(dataset, pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=0,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=dict(dataset, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

stream = dict(stem_channels=8, base_channels=8)
channels = [8, 16, 32, 64]
model = dict(
    data_preprocessor=dict(x_mean=[80.0], x_std=[50.0], size=crop_size),
    backbone=dict(backbone=stream, fusion=dict(type='ConcatFusion', in_channels=channels)),
    decode_head=dict(in_channels=channels, channels=16, num_classes=2))
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
randomness = dict(seed=0)
