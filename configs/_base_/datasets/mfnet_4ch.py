# MFNet read straight from the original download (ir_seg_dataset: images/ holds
# 4-channel PNGs, RGB + thermal; labels/; train.txt, val.txt, test.txt).
# Same protocol as mfnet.py: train + val -> test, 480 x 640, 9 classes.
_base_ = ['./mfnet.py']
data_root = 'data/ir_seg_dataset'
crop_size = (480, 640)
train_pipeline = [
    dict(type='LoadStackedRGBXImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(640, 480), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadStackedRGBXImageFromFile'),
    dict(type='Resize', scale=(640, 480), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(dataset=dict(data_root=data_root, stacked=True,
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, stacked=True,
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
