# Fusion baseline: two ResNet-18 streams (RGB, X) with CMX-style fusion and a SegFormer
# head, on SUN RGB-D (raw depth) (480x640 crops, 80k iterations). Dataset, protocol and the
# published numbers it is compared with: configs/_base_/datasets/sunrgbd.py and
# docs/datasets.md.
_base_ = [
    '../_base_/default_runtime_seg.py',
    '../_base_/datasets/sunrgbd.py',
    '../_base_/models/dualstream_resnet18_segformerhead.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
crop_size = (480, 640)
model = dict(
    # depth statistics: see the NYUDv2 baseline
    data_preprocessor=dict(size=crop_size, x_mean=[128.0], x_std=[64.0]),
    decode_head=dict(num_classes=37))
