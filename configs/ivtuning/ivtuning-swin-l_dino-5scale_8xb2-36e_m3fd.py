# IV-tuning (arXiv 2412.16654) detection on M3FD: mmdet's stock DINO 5-scale Swin-L
# recipe (AdamW 1e-4, wd 1e-4, backbone lr x0.1 via paramwise_cfg custom_keys -- which
# includes the IV-tuning prompts, as published --, grad-norm clip 0.1, 36 epochs with
# lr x0.1 at 27 and 33) with `model.backbone` swapped for IV-tuning on a frozen Swin-L
# and M3FD's multi-scale training sizes of the published run (short side 480-800,
# long side <= 640-800; test at 640). Published: M3FD 61.1-61.3 mAP.
# The published run starts the whole detector from mmdet's COCO-trained DINO Swin-L
# (load_from) and freezes that Swin, including its four affine output norms; convert
# the mmdet checkpoint once (Swin renamed to timm's layout, everything else kept):
#   python tools/model_converters/swin2mmrgbir.py \
#       dino-5scale_swin-l_8xb2-36e_coco-5486e051.pth \
#       checkpoints/dino-5scale_swin-l_coco_mmrgbir.pth
# The same file is the backbone's `pretrained` (the build stops without it) and
# `load_from` (neck, transformer and heads; the 80-class classifiers do not fit the 6
# M3FD classes and are reported and skipped by mmengine, as in the official run).
# The dataset part repeats configs/_base_/datasets/m3fd.py
# (a stock full config and a dataset base cannot both be inherited: duplicate keys);
# tests/test_configs.py checks that the two agree.
_base_ = ['mmdet::dino/dino-5scale_swin-l_8xb2-36e_coco.py']
custom_imports = dict(imports=['mmrgbir'], allow_failed_imports=False)
custom_hooks = [dict(type='ParameterReportHook')]

model = dict(
    data_preprocessor=dict(
        _delete_=True, type='RGBXDetDataPreprocessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        # M3FD thermal: generic grey-level statistics (0.449 / 0.226 x 255), not
        # measured on M3FD
        x_mean=[114.495], x_std=[57.63], bgr_to_rgb=True,
        # timm's Swin needs sides divisible by 32 (mmdet's pads inside the backbone)
        pad_size_divisor=32),
    backbone=dict(
        _delete_=True, type='IVTuningSwin', model_name='swin_large_patch4_window12_384',
        img_size=384, x_channels=1, out_indices=(0, 1, 2, 3), with_cp=True,
        drop_path_rate=0.2,
        pretrained='checkpoints/dino-5scale_swin-l_coco_mmrgbir.pth'),
    bbox_head=dict(num_classes=6))

scales = [(480, 640), (512, 640), (544, 640), (576, 640), (608, 640), (640, 640),
          (672, 640), (704, 640), (736, 640), (768, 640), (800, 640)]
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomChoice', transforms=[
        [dict(type='RandomChoiceResize', scales=scales, keep_ratio=True)],
        [dict(type='RandomChoiceResize', scales=[(400, 4200), (500, 4200), (600, 4200)],
              keep_ratio=True),
         dict(type='RandomCrop', crop_type='absolute_range', crop_size=(384, 600),
              allow_negative_crop=True),
         dict(type='RandomChoiceResize', scales=scales, keep_ratio=True)],
    ]),
    dict(type='PackRGBXDetInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=(640, 640), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackRGBXDetInputs'),
]
data_root = 'data/M3FD/'
train_dataloader = dict(
    dataset=dict(
        _delete_=True, type='M3FDDataset', data_root=data_root,
        ann_file='coco/m3fd_train.json',
        data_prefix=dict(img='M3FD_Detection/Vis', x='M3FD_Detection/Ir'),
        filter_cfg=dict(filter_empty_gt=False, min_size=32), pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True, type='M3FDDataset', data_root=data_root,
        ann_file='coco/m3fd_test.json',
        data_prefix=dict(img='M3FD_Detection/Vis', x='M3FD_Detection/Ir'),
        test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'coco/m3fd_test.json')
test_evaluator = val_evaluator
auto_scale_lr = dict(enable=False, base_batch_size=16)
load_from = 'checkpoints/dino-5scale_swin-l_coco_mmrgbir.pth'
