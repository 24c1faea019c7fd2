# RGB-thermal salient-object detection, standard protocol (CAVER, LSNet, IV-tuning):
# train on VT5000-train (2,500), test on VT5000-test (2,500); VT1000 and VT821 are
# extra test sets (vt1000.py, vt821.py). Official layout: VT5000/Train and
# VT5000/Test, each with RGB/, T/, GT/ (mixed suffixes). Inputs resized to 384 x 384
# (IV-tuning; UniRGB-IR uses 416); measures at the original GT resolution (SODMetric:
# MAE, S-measure, max / mean / adaptive F and E, weighted F).
dataset_type = 'VT5000Dataset'
data_root = 'data/VT5000'
img_scale = (384, 384)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='LoadSODAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    # after Resize: the ground truth stays at the original size
    dict(type='LoadSODAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='SODMetric')
test_evaluator = val_evaluator
