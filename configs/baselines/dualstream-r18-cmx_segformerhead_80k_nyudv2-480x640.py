# Fusion baseline: two ResNet-18 streams (RGB, X) with CMX-style fusion and a SegFormer
# head, on NYUDv2 (raw depth) (480x640 crops, 80k iterations). Dataset, protocol and the
# published numbers it is compared with: configs/_base_/datasets/nyudv2.py and
# docs/datasets.md.
_base_ = [
    '../_base_/default_runtime_seg.py',
    '../_base_/datasets/nyudv2.py',
    '../_base_/models/dualstream_resnet18_segformerhead.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
crop_size = (480, 640)
model = dict(
    # depth in millimetres as tools/dataset_converters/nyudv2.py writes it (uint16):
    # mean / std of the refined NYUv2 train depth in mm (ESANet's published figures).
    # Packs that store 8-bit scaled depth need their own values:
    # tools/analysis/modality_stats.py CONFIG --x-ignore-zero
    data_preprocessor=dict(size=crop_size, x_mean=[2841.95], x_std=[1417.26]),
    decode_head=dict(num_classes=40))
