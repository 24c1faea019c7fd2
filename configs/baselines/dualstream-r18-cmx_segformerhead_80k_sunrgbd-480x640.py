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
    # depth in millimetres as tools/dataset_converters/sunrgbd.py writes it (uint16).
    # ESANet publishes 19025.1 / 9880.9 for SUN RGB-D's stored values, which are the
    # millimetres rotated left by 3 bits (x 8 below 8.19 m): about 2378 / 1235 mm.
    # Recompute on your copy: tools/analysis/modality_stats.py CONFIG --x-ignore-zero
    data_preprocessor=dict(size=crop_size, x_mean=[2378.1], x_std=[1235.1]),
    decode_head=dict(num_classes=37))
