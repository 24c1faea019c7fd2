# Tiny RGB-T salient-object detection on the MSRS person masks: binary segmentation
# with a stock decode head, evaluated by SODMetric at the masks' native resolution.
_base_ = ['./msrs-person_dualstream-r18-tiny_segformerhead.py']
sod_dataset = dict(
    type='RGBXSODDataset', data_root='../shared/data/rgbt_msrs',
    ann_file='msrs_split.json', split='train',
    data_prefix=dict(img_path='vi', x_path='ir', seg_map_path='person_mask'),
    x_kind='thermal')
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='LoadSODAnnotations'),
    dict(type='Resize', scale=(160, 120), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=(160, 120), keep_ratio=False),
    dict(type='LoadSODAnnotations'),  # after Resize: ground truth at native resolution
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(dataset=dict(_delete_=True, pipeline=train_pipeline, **sod_dataset))
val_dataloader = dict(dataset=dict(_delete_=True, pipeline=test_pipeline, **sod_dataset))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='SODMetric')
test_evaluator = val_evaluator
