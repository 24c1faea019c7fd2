# The demo RGB-T model trained to tolerate a missing or misregistered modality:
# random modality dropout (RGB or thermal blanked, never both) and small random
# thermal shifts in training; evaluated under the same conditions as
# demo_missing-modality-eval.py:
#   python tools/train.py configs/robustness/demo_modality-dropout.py
#   python tools/analysis/robustness_eval.py configs/robustness/demo_modality-dropout.py \
#       work_dirs/demo_modality-dropout/iter_600.pth
_base_ = ['./demo_missing-modality-eval.py']
crop_size = (96, 128)
train_pipeline = [
    dict(type='LoadRGBXImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(128, 96), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.9),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='RandomXMisalignment', max_shift=(4, 4), max_rotate=2, max_scale=0.02,
         prob=0.3),
    dict(type='RandomModalityDropout', p_rgb=0.15, p_x=0.15),
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
