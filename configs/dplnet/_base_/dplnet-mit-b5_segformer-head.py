# DPLNet model: mmseg's stock SegFormer (EncoderDecoder + SegformerHead) with the
# backbone swapped for DPLNet (frozen MiT-B5 + MPG prompt generators + MFA adapters)
# and the MLP head at 768 channels (SegFormer-B5's). Only `model.backbone`,
# `model.data_preprocessor` and the head widths differ from the stock model.
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
        # local SegFormer-B5 weights (NVIDIA or mmseg names), e.g. the ADE20K
        # segformer.b5.640x640.ade.160k.pth the paper starts from
        pretrained=None),
    decode_head=dict(in_channels=[64, 128, 320, 512], channels=768))
