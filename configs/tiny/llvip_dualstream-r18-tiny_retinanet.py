# Tiny RGB-T pedestrian detection on the LLVIP samples (../shared/data/rgbt_det_llvip):
# stock mmdet RetinaNet + FPN on two slim ResNet-18 streams, 4 iterations.
_base_ = ['../_base_/default_runtime_det.py', '../_base_/schedules/tiny_schedule.py']
data_root = '../shared/data/rgbt_det_llvip'
metainfo = dict(classes=('person',), palette=[(220, 20, 60)])
stream = dict(type='ResNet', depth=18, base_channels=8, stem_channels=8, num_stages=4,
              out_indices=(0, 1, 2, 3), frozen_stages=-1, norm_cfg=dict(type='BN'),
              norm_eval=False, style='pytorch')
model = dict(
    type='RetinaNet',
    data_preprocessor=dict(
        type='RGBXDetDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], x_mean=[90.0], x_std=[60.0], bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(type='DualStreamBackbone', backbone=stream, x_channels=1,
                  fusion=dict(type='AddFusion')),
    neck=dict(type='FPN', in_channels=[8, 16, 32, 64], out_channels=16, start_level=1,
              add_extra_convs='on_input', num_outs=5),
    bbox_head=dict(
        type='RetinaHead', num_classes=1, in_channels=16, stacked_convs=1, feat_channels=16,
        anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4,
                              scales_per_octave=3, ratios=[0.5, 1.0, 2.0],
                              strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                        target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                      loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                      min_pos_iou=0, ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'), allowed_border=-1, pos_weight=-1, debug=False),
    # score_thr 0: a 4-iteration model must still output boxes for CocoMetric
    test_cfg=dict(nms_pre=1000, min_bbox_size=0, score_thr=0.0,
                  nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomResize', scale=(320, 256), ratio_range=(0.9, 1.1), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBOnly', transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackRGBXDetInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=(320, 256), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackRGBXDetInputs',
         meta_keys=('img_id', 'img_path', 'x_path', 'ori_shape', 'img_shape',
                    'scale_factor', 'modality_layout')),
]
dataset = dict(type='RGBXCocoDataset', data_root=data_root, ann_file='annotations_coco.json',
               data_prefix=dict(img='visible', x='infrared'), metainfo=metainfo,
               x_kind='thermal')
train_dataloader = dict(batch_size=2, num_workers=0,
                        sampler=dict(type='InfiniteSampler', shuffle=True),
                        batch_sampler=None,
                        dataset=dict(dataset, filter_cfg=dict(filter_empty_gt=True),
                                     pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=0, drop_last=False,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=dict(dataset, test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=data_root + '/annotations_coco.json',
                     metric='bbox')
test_evaluator = val_evaluator
log_processor = dict(by_epoch=False)
default_hooks = dict(logger=dict(type='LoggerHook', interval=1),
                     checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2))
randomness = dict(seed=0)
