# KAIST multispectral pedestrians: 640 x 512, person. Usual protocol (MLPD, INSANet,
# ProbEn): train on the sanitized training annotations (7,601 frames of train-all-02),
# test on the improved test annotations (2,252 frames of test-all-20); log-average miss
# rate MR^-2 over FPPI 1e-2..1e0, "reasonable" setting (height >= 55 px, no or partial
# occlusion) on all / day / night test images. COCO jsons from
# tools/dataset_converters/kaist.py; ignore regions and per-box height / occlusion
# reach KAISTMissRateMetric through the dataset's instances (meta_keys below).
dataset_type = 'KAISTDataset'
data_root = 'data/kaist-rgbt/'
img_scale = (640, 512)
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
    dict(type='PackRGBXDetInputs',
         meta_keys=('img_id', 'img_path', 'x_path', 'ori_shape', 'img_shape',
                    'scale_factor', 'flip', 'flip_direction', 'modality_layout',
                    'instances')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='coco/kaist_train_sanitized.json',
                 data_prefix=dict(img='images', x='images'),
                 filter_cfg=dict(filter_empty_gt=True, min_size=32),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='coco/kaist_test_improved.json',
                 data_prefix=dict(img='images', x='images'),
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='KAISTMissRateMetric',
                     settings=('reasonable', 'all', 'day', 'night'))
test_evaluator = val_evaluator
