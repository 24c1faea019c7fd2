# Demo: two slim ResNet-18 streams (RGB + thermal), CMX-style fusion, SegFormer head,
# trained on the procedurally generated night-street RGB-T data (tools/run_demo.py).
_base_ = [
    '../_base_/default_runtime_seg.py',
    '../_base_/datasets/demo_night_rgbt.py',
    '../_base_/models/dualstream_resnet18_segformerhead.py',
    '../_base_/schedules/demo_schedule.py',
]
stream = dict(stem_channels=16, base_channels=16)
channels = [16, 32, 64, 128]
model = dict(
    data_preprocessor=dict(x_mean=[110.0], x_std=[50.0], size=(96, 128)),
    backbone=dict(backbone=stream, fusion=dict(in_channels=channels)),
    decode_head=dict(in_channels=channels, channels=64, num_classes=4))
randomness = dict(seed=0)
