# DPLNet model: mmseg's stock EncoderDecoder with DPLNet's backbone (frozen MiT-B5 +
# MPG prompt generators + MFA adapters, `DPLNetMiT`) and its decode head (`DPLNetHead`:
# NVIDIA's SegFormer MLP head at 768 channels - per-level Linear, BN + ReLU fusion,
# Dropout2d 0.5 - with a 150-way classifier and a 1x1 projection 150 -> classes, as the
# official code; official checkpoints convert one to one with
# tools/model_converters/dplnet2mmrgbir.py).
_base_ = ['mmseg::_base_/models/segformer_mit-b0.py']
model = dict(
    # RGB: ImageNet statistics; X (depth or thermal, 3 channels): DPLNet's grey-level
    # statistics 0.449 / 0.226 in 8-bit units (0.449 * 255, 0.226 * 255)
    data_preprocessor=dict(
        _delete_=True, type='RGBXSegDataPreProcessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        x_mean=[114.495] * 3, x_std=[57.63] * 3, bgr_to_rgb=True, pad_val=0,
        seg_pad_val=255),
    backbone=dict(
        _delete_=True, type='DPLNetMiT', arch='b5', x_channels=3, drop_path_rate=0.1,
        # LayerNorm eps as the official code: 1e-5 in the patch embeddings (RGB and
        # prompt path) and the spatial-reduction norms, 1e-6 elsewhere
        norm_eps=1e-6, patch_norm_eps=1e-5, sr_norm_eps=1e-5,
        # The frozen MiT-B5: NVIDIA's ADE20K SegFormer-B5 (segformer.b5.640x640.ade.160k.pth,
        # what DPLNet starts from), converted with
        #   python tools/model_converters/mit2mmrgbir.py segformer.b5.640x640.ade.160k.pth \
        #       checkpoints/mit-b5_segformer-ade20k-640x640.pth
        # (docs/methods.md, "DPLNet weights"). Without this file the build stops; a
        # complete checkpoint given to tools/train.py (load_from / --resume) or
        # tools/test.py supplies the frozen weights instead.
        pretrained='checkpoints/mit-b5_segformer-ade20k-640x640.pth'),
    decode_head=dict(
        _delete_=True, type='DPLNetHead', in_channels=[64, 128, 320, 512],
        in_index=[0, 1, 2, 3], channels=768, pretrain_classes=150, dropout_ratio=0.5,
        num_classes=19, extra_void_class=False,
        norm_cfg=dict(type='SyncBN', requires_grad=True), align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
