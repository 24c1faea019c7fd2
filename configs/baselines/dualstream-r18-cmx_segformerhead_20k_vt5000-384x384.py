# Fusion baseline: two ResNet-18 streams (RGB, X) with CMX-style fusion and a SegFormer
# head, on VT5000 salient-object detection (384x384 crops, 20k iterations). Dataset,
# protocol and the published numbers it is compared with: configs/_base_/datasets/vt5000.py
# and docs/datasets.md.
_base_ = [
    '../_base_/default_runtime_seg.py',
    '../_base_/datasets/vt5000.py',
    '../_base_/models/dualstream_resnet18_segformerhead.py',
    'mmseg::_base_/schedules/schedule_20k.py',
]
# SOD as 2-class segmentation (background / salient); SODMetric reads the softmax of
# the salient channel. The VT thermal images are 3-channel files: X has 3 channels.
img_scale = (384, 384)
model = dict(
    # VT5000 thermal statistics of the UniRGB-IR recipe in X-tensor order (the file's
    # R, G, B), as in configs/unirgbir/unirgbir-vit-b16_setr-mla_8xb8-20k_vt5000-416x416.py
    data_preprocessor=dict(size=img_scale, x_mean=[192.21, 92.03, 87.13],
                           x_std=[61.55, 68.76, 53.08]),
    backbone=dict(x_channels=3),
    decode_head=dict(num_classes=2))
