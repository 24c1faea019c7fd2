# UniRGB-IR segmentation / SOD model: mmseg's stock SETR-MLA (MLANeck + SETRMLAHead +
# 4 auxiliary FCN heads, one per MLA level) with the backbone swapped for UniRGB-IR
# (frozen ViTDet ViT-B/16 + MFP + SFI, out_mode='seg': the 4 injection stages, all at
# 1/16). Only `model.backbone` and `model.data_preprocessor` differ from the stock model.
_base_ = ['mmseg::_base_/models/setr_mla.py']
model = dict(
    # RGB: ImageNet statistics (those of the frozen ViT's pretraining); X: its own
    # statistics, set per dataset in the method configs (never RGB's)
    data_preprocessor=dict(
        _delete_=True, type='RGBXSegDataPreProcessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        x_mean=[128.0], x_std=[64.0], bgr_to_rgb=True, pad_val=0, seg_pad_val=255),
    pretrained=None,
    backbone=dict(
        _delete_=True, type='UniRGBIRViT', img_size=768, out_mode='seg', x_channels=1,
        drop_path_rate=0.3,
        # the frozen ViT-B of the official runs: detectron2 ViTDet Cascade Mask R-CNN
        # (model_final_df306f.pkl) without its relative-position tables (they start at
        # zero and train), written by
        #   python tools/model_converters/vitdet2mmrgbir.py model_final_df306f.pkl \
        #       checkpoints/vitdet_vit-b16_coco_norelpos.pth
        # (docs/methods.md, UniRGB-IR "Weights")
        pretrained='checkpoints/vitdet_vit-b16_coco_norelpos.pth',
        pretrained_format='mmrgbir'),
    neck=dict(in_channels=[768, 768, 768, 768]))
