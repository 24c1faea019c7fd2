# Fusion baseline: two ResNet-50 streams (RGB, thermal) fused by concatenation, stock Faster
# R-CNN + FPN, 1x schedule (12 epochs), on LLVIP (resized to 640 x 512). Dataset, protocol
# and the published numbers it is compared with: configs/_base_/datasets/llvip.py and
# docs/datasets.md.
_base_ = [
    '../_base_/default_runtime_det.py',
    '../_base_/datasets/llvip.py',
    '../_base_/models/dualstream_r50_fasterrcnn_fpn.py',
    'mmdet::_base_/schedules/schedule_1x.py',
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=1)))
