# Tiny IV-tuning detection for CPU tests: the M3FD recipe (mmdet DINO with the
# IVTuningSwin backbone, backbone lr x0.1, grad clipping) at toy size (a 5-block Swin,
# one encoder and one decoder layer, 30 queries; mmdet's DINO decoder needs width 256)
# on the LLVIP samples, 128 x 160, 1 epoch. The toy Swin has no published weights: its
# frozen part stays random on purpose (allow_random_frozen), nothing is loaded.
_base_ = ['../ivtuning-swin-l_dino-5scale_8xb2-36e_m3fd.py']
load_from = None
data_root = '../shared/data/rgbt_det_llvip'
dim = 256
model = dict(
    num_queries=30,
    data_preprocessor=dict(x_mean=[90.0], x_std=[60.0]),
    backbone=dict(model_name='swin_tiny_patch4_window7_224', img_size=64, embed_dim=16,
                  depths=(1, 1, 2, 1), num_heads=(1, 2, 4, 8), window_size=4,
                  with_cp=False, drop_path_rate=0.1, pretrained=None,
                  allow_random_frozen=True),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=dim),
    encoder=dict(num_layers=1, layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=dim),
        ffn_cfg=dict(embed_dims=dim, feedforward_channels=2 * dim))),
    decoder=dict(num_layers=1, layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=dim),
        cross_attn_cfg=dict(embed_dims=dim),
        ffn_cfg=dict(embed_dims=dim, feedforward_channels=2 * dim))),
    positional_encoding=dict(num_feats=dim // 2),
    dn_cfg=dict(group_cfg=dict(num_dn_queries=10)),
    bbox_head=dict(num_classes=1, embed_dims=dim),
    test_cfg=dict(max_per_img=30))
scales = [(128, 160), (144, 160)]
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomChoice', transforms=[
        [dict(type='RandomChoiceResize', scales=scales, keep_ratio=True)],
        [dict(type='RandomChoiceResize', scales=[(160, 1000)], keep_ratio=True),
         dict(type='RandomCrop', crop_type='absolute_range', crop_size=(96, 128),
              allow_negative_crop=True),
         dict(type='RandomChoiceResize', scales=scales, keep_ratio=True)],
    ]),
    dict(type='PackRGBXDetInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=(160, 128), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackRGBXDetInputs'),
]
dataset = dict(_delete_=True, type='RGBXCocoDataset', data_root=data_root,
               ann_file='annotations_coco.json',
               data_prefix=dict(img='visible', x='infrared'),
               metainfo=dict(classes=('person',), palette=[(220, 20, 60)]),
               x_kind='thermal')
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(filter_cfg=dict(filter_empty_gt=True),
                                     pipeline=train_pipeline, **dataset))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(test_mode=True, pipeline=test_pipeline, **dataset))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + '/annotations_coco.json')
test_evaluator = val_evaluator
max_epochs = 1
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
                        milestones=[1], gamma=0.1)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=max_epochs))
randomness = dict(seed=0)
