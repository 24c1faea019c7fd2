# IV-tuning on MFNet with Swin-L (timm swin_large_patch4_window12_384) and a SegFormer
# head: the EVA02-L config with `model.backbone` swapped (and the head's input widths).
# Published mIoU: 60.07.
_base_ = ['./ivtuning-eva02-l_segformer-head_1xb8-80k_mfnet-480x640.py']
model = dict(
    backbone=dict(
        _delete_=True, type='IVTuningSwin', model_name='swin_large_patch4_window12_384',
        img_size=384, x_channels=1, out_indices=(0, 1, 2, 3),
        # local Swin-L ImageNet-22k checkpoint (timm or Microsoft names)
        pretrained=None),
    decode_head=dict(in_channels=[192, 384, 768, 1536]))
