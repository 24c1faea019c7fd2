# IV-tuning segmentation / SOD model: mmseg's stock SegFormer (EncoderDecoder +
# SegformerHead) with the backbone swapped for IV-tuning on a frozen EVA02-L
# (timm eva02_large_patch14_224 rebuilt with 16-pixel patches; blocks 7, 11, 15, 23
# resized to strides 4, 8, 16, 32) and the MLP head at 768 channels.
_base_ = ['mmseg::_base_/models/segformer_mit-b0.py']
model = dict(
    # RGB: ImageNet statistics; X: its own statistics, set per dataset
    data_preprocessor=dict(
        _delete_=True, type='RGBXSegDataPreProcessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        x_mean=[128.0], x_std=[64.0], bgr_to_rgb=True, pad_val=0, seg_pad_val=255),
    backbone=dict(
        _delete_=True, type='IVTuningViT', model_name='eva02_large_patch14_224',
        img_size=512, patch_size=16, x_channels=1, out_indices=(7, 11, 15, 23),
        out_strides=(4, 8, 16, 32),
        # EVA02-L MIM m38m, patch 16: written by
        #   python tools/model_converters/eva2mmrgbir.py eva02_L_pt_m38m_p14to16.pt \
        #       checkpoints/eva02_L_pt_m38m_p16_mmrgbir.pth
        # (docs/methods.md, "IV-tuning weights"); the build stops without it
        pretrained='checkpoints/eva02_L_pt_m38m_p16_mmrgbir.pth'),
    decode_head=dict(in_channels=[1024, 1024, 1024, 1024], channels=768))
