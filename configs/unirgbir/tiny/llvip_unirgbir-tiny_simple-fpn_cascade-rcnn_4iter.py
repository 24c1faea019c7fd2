# Tiny UniRGB-IR detection for CPU tests: the FLIR recipe (UniRGBIRViT out_mode='det',
# SimpleFeaturePyramid, ViTDet-style Cascade R-CNN, LSJ, AdamW with layer-wise lr
# decay) at toy width on the LLVIP samples in ../shared/data/rgbt_det_llvip,
# 128 x 128 jitter, 4 iterations, no AMP (CPU).
_base_ = ['../unirgbir-vit-b16_simple-fpn_cascade-rcnn_8xb1-lsj-100e_flir-aligned-1024.py']
data_root = '../shared/data/rgbt_det_llvip'
image_size = (128, 128)
norm_cfg = dict(type='LN2d', requires_grad=True)
model = dict(
    data_preprocessor=dict(x_mean=[90.0], x_std=[60.0],
                           batch_augments=[dict(type='BatchFixedSizePad', size=image_size)]),
    backbone=dict(img_size=128, embed_dim=32, depth=4, num_heads=2, window_size=4,
                  global_attn_indexes=(1, 3), interaction_indexes=(0, 1, 2, 3),
                  pool_channels=16, drop_path_rate=0.1, pool_norm_cfg=dict(type='BN'),
                  # toy widths: no published weights fit, the frozen ViT stays random
                  pretrained=None, allow_random_frozen=True),
    neck=dict(in_channels=32, out_channels=16),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=16),
        bbox_head=[
            dict(type='Shared4Conv1FCBBoxHead', in_channels=16, conv_out_channels=16,
                 norm_cfg=norm_cfg, fc_out_channels=32, roi_feat_size=7, num_classes=1,
                 bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                 target_stds=stds),
                 reg_class_agnostic=True,
                 loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                 loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
            for stds in ([0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1],
                         [0.033, 0.033, 0.067, 0.067])
        ]),
    # score_thr 0: a 4-iteration model must still output boxes for CocoMetric
    test_cfg=dict(rcnn=dict(score_thr=0.0)))
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=image_size, ratio_range=(0.8, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_type='absolute_range', crop_size=image_size,
         recompute_bbox=True, allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='RGBXPad', size=image_size, pad_val=dict(img=114)),
    dict(type='PackRGBXDetInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackRGBXDetInputs',
         meta_keys=('img_id', 'img_path', 'x_path', 'ori_shape', 'img_shape',
                    'scale_factor', 'modality_layout')),
]
dataset = dict(_delete_=True, type='RGBXCocoDataset', data_root=data_root,
               ann_file='annotations_coco.json',
               data_prefix=dict(img='visible', x='infrared'),
               metainfo=dict(classes=('person',), palette=[(220, 20, 60)]),
               x_kind='thermal')
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(filter_cfg=dict(filter_empty_gt=True),
                                     pipeline=train_pipeline, **dataset))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(test_mode=True, pipeline=test_pipeline, **dataset))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + '/annotations_coco.json')
test_evaluator = val_evaluator

optim_wrapper = dict(type='OptimWrapper', paramwise_cfg=dict(num_layers=4))
max_iters = 4
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=2),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[3],
         gamma=0.1),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(by_epoch=False, interval=max_iters))
randomness = dict(seed=0)
