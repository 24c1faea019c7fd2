# Fusion baseline: two ResNet-18 streams (RGB, X) with CMX-style fusion and a SegFormer
# head, on MFNet (480x640 crops, 80k iterations). Dataset, protocol and the published
# numbers it is compared with: configs/_base_/datasets/mfnet.py and docs/datasets.md.
_base_ = [
    '../_base_/default_runtime_seg.py',
    '../_base_/datasets/mfnet.py',
    '../_base_/models/dualstream_resnet18_segformerhead.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
crop_size = (480, 640)
model = dict(
    # MFNet thermal statistics of the published UniRGB-IR recipe (docs/methods.md)
    data_preprocessor=dict(size=crop_size, x_mean=[100.83], x_std=[47.12]),
    decode_head=dict(num_classes=9))
