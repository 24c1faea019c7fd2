# Two ResNet-50 streams (RGB, thermal) fused per level by concatenation + 1x1 conv,
# then mmdet's stock Faster R-CNN (FPN, RPN, RoI head). Both streams start from the
# torchvision ImageNet weights; the thermal stream sees its 1 channel repeated to 3.
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py']
stream = dict(
    type='ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), frozen_stages=1,
    norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True, style='pytorch',
    init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'))
model = dict(
    data_preprocessor=dict(
        _delete_=True, type='RGBXDetDataPreprocessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        # 8-bit thermal; replace with tools/analysis/modality_stats.py numbers
        x_mean=[128.0], x_std=[64.0],
        bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(
        _delete_=True, type='DualStreamBackbone', backbone=stream, x_channels=1,
        fusion=dict(type='ConcatFusion', in_channels=[256, 512, 1024, 2048])),
    roi_head=dict(bbox_head=dict(num_classes=1)))
