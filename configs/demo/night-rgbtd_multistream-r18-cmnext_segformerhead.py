# Demo with three modalities: RGB + thermal + depth, one slim ResNet-18 stream each,
# CMNeXt-style fusion (self-query hub over thermal and depth, then CMX fusion with RGB),
# SegFormer head. Data: python tools/misc/generate_demo_data.py \
#     work_dirs/demo/data_rgbtd --with-depth
_base_ = [
    '../_base_/default_runtime_seg.py',
    '../_base_/datasets/demo_night_rgbtd.py',
    '../_base_/models/dualstream_resnet18_segformerhead.py',
    '../_base_/schedules/demo_schedule.py',
]
stream = dict(type='ResNetV1c', depth=18, in_channels=3, num_stages=4,
              out_indices=(0, 1, 2, 3), dilations=(1, 1, 1, 1), strides=(1, 2, 2, 2),
              norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
              style='pytorch', contract_dilation=True, stem_channels=16, base_channels=16)
channels = [16, 32, 64, 128]
model = dict(
    # per-modality statistics, one value per channel after RGB: thermal (8-bit, as in
    # the RGB-T demo), then depth (millimetres, mean / std of the 160 generated
    # training images, holes included)
    data_preprocessor=dict(x_mean=[110.0, 26665.0], x_std=[50.0, 15531.0], size=(96, 128)),
    backbone=dict(_delete_=True, type='MultiStreamBackbone', backbone=stream,
                  modalities=('rgb', 'thermal', 'depth'), channels=(3, 1, 1),
                  fusion=dict(type='CMNeXtFusion', in_channels=channels)),
    decode_head=dict(in_channels=channels, channels=64, num_classes=4))
randomness = dict(seed=0)
