# Two ResNet-18 streams (RGB, thermal) fused per level, SegFormer MLP head.
norm_cfg = dict(type='BN', requires_grad=True)
stream = dict(type='ResNetV1c', depth=18, in_channels=3, num_stages=4,
              out_indices=(0, 1, 2, 3), dilations=(1, 1, 1, 1), strides=(1, 2, 2, 2),
              norm_cfg=norm_cfg, norm_eval=False, style='pytorch', contract_dilation=True)
data_preprocessor = dict(
    type='RGBXSegDataPreProcessor',
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    x_mean=[128.0], x_std=[64.0],
    bgr_to_rgb=True, pad_val=0, seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(type='DualStreamBackbone', backbone=stream, x_channels=1,
                  fusion=dict(type='CMXFusion', in_channels=[64, 128, 256, 512])),
    decode_head=dict(
        type='SegformerHead', in_channels=[64, 128, 256, 512], in_index=[0, 1, 2, 3],
        channels=256, dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
