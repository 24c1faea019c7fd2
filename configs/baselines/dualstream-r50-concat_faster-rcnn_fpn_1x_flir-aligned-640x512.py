# Fusion baseline: two ResNet-50 streams (RGB, thermal) fused by concatenation, stock Faster
# R-CNN + FPN, 1x schedule (12 epochs), on FLIR-aligned (640 x 512). Dataset, protocol and
# the published numbers it is compared with: configs/_base_/datasets/flir_aligned.py and
# docs/datasets.md.
_base_ = [
    '../_base_/default_runtime_det.py',
    '../_base_/datasets/flir_aligned.py',
    '../_base_/models/dualstream_r50_fasterrcnn_fpn.py',
    'mmdet::_base_/schedules/schedule_1x.py',
]
model = dict(
    # FLIR thermal statistics of the published UniRGB-IR recipe (docs/methods.md)
    data_preprocessor=dict(x_mean=[136.64], x_std=[64.98]),
    roi_head=dict(bbox_head=dict(num_classes=3)))
