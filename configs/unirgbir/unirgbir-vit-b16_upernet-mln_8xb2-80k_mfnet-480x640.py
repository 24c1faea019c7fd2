# Mixing an adapter into another stock recipe: mmseg's ViT-B UPerNet (MultiLevelNeck +
# UPerHead + FCN auxiliary head, AdamW 6e-5, 80k iterations) with its `model.backbone`
# swapped for UniRGB-IR (out_mode='seg': 4 maps at 1/16, exactly what the stock ViT-B
# gives the MultiLevelNeck) and its preprocessor for the RGB-X one. Everything else --
# neck, heads, optimiser, schedule -- is mmseg's (vit_vit-b16_mln_upernet_8xb2-80k).
# An example of composition, not a published UniRGB-IR result.
_base_ = [
    'mmseg::_base_/models/upernet_vit-b16_ln_mln.py', '../_base_/datasets/mfnet.py',
    '../_base_/default_runtime_seg.py', 'mmseg::_base_/schedules/schedule_80k.py'
]
crop_size = (480, 640)
model = dict(
    data_preprocessor=dict(
        _delete_=True, type='RGBXSegDataPreProcessor', size=crop_size,
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        x_mean=[100.83], x_std=[47.12], bgr_to_rgb=True, pad_val=0, seg_pad_val=255),
    pretrained=None,
    # frozen ViT-B: as in the published configs (tools/model_converters/vitdet2mmrgbir.py)
    backbone=dict(_delete_=True, type='UniRGBIRViT', img_size=640, out_mode='seg',
                  x_channels=1, pool_norm_cfg=dict(type='SyncBN'),
                  pretrained='checkpoints/vitdet_vit-b16_coco_norelpos.pth',
                  pretrained_format='mmrgbir'),
    decode_head=dict(num_classes=9),
    auxiliary_head=dict(num_classes=9))
# mmseg's ViT-UPerNet optimiser and schedule, unchanged
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={'pos_embed': dict(decay_mult=0.),
                                    'cls_token': dict(decay_mult=0.),
                                    'norm': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=80000, by_epoch=False),
]
train_dataloader = dict(batch_size=2)
auto_scale_lr = dict(enable=False, base_batch_size=16)
