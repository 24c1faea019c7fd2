# The VT5000 fusion baseline (dualstream-r18-cmx_segformerhead_20k_vt5000-384x384.py),
# tested on VT5000-test, VT1000 and VT821 in one run: one table with a row per set
# (configs/_base_/datasets/vt5000_vt1000_vt821.py). Validation during training stays on
# VT5000-test.
_base_ = [
    '../_base_/default_runtime_seg.py',
    '../_base_/datasets/vt5000_vt1000_vt821.py',
    '../_base_/models/dualstream_resnet18_segformerhead.py',
    'mmseg::_base_/schedules/schedule_20k.py',
]
img_scale = (384, 384)
model = dict(
    # as in dualstream-r18-cmx_segformerhead_20k_vt5000-384x384.py (X-tensor order:
    # the thermal files' R, G, B)
    data_preprocessor=dict(size=img_scale, x_mean=[192.21, 92.03, 87.13],
                           x_std=[61.55, 68.76, 53.08]),
    backbone=dict(x_channels=3),
    decode_head=dict(num_classes=2))
