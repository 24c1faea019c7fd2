# IV-tuning (arXiv 2412.16654) on MFNet with EVA02-L and a SegFormer head.
# Published mIoU: 59.56. The segmentation schedule is not published with the method:
# mmseg's stock SegFormer recipe (AdamW 6e-5, wd 0.01, head lr x10, no decay on norms,
# 1.5k-iteration warm-up, poly) over 80k iterations at batch 8 on 480 x 640 crops.
# Thermal: 1 channel (repeated by the backbone), MFNet thermal statistics.
# Dataset protocol: configs/_base_/datasets/mfnet.py (train + val -> test).
_base_ = [
    '../_base_/datasets/mfnet.py', '../_base_/default_runtime_seg.py',
    'mmseg::_base_/schedules/schedule_80k.py', './_base_/ivtuning-eva02-l_segformer-head.py'
]
crop_size = (480, 640)
model = dict(
    # MFNet thermal statistics (8-bit)
    data_preprocessor=dict(size=crop_size, x_mean=[100.83], x_std=[47.12]),
    decode_head=dict(num_classes=9))
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={'norm': dict(decay_mult=0.),
                                    'head': dict(lr_mult=10.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=80000, by_epoch=False),
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
