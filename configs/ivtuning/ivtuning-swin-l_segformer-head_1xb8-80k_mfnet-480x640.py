# IV-tuning on MFNet with Swin-L (timm swin_large_patch4_window12_384) and a SegFormer
# head: the EVA02-L config with `model.backbone` swapped (and the head's input widths).
# Published mIoU: 60.07.
_base_ = ['./ivtuning-eva02-l_segformer-head_1xb8-80k_mfnet-480x640.py']
model = dict(
    backbone=dict(
        _delete_=True, type='IVTuningSwin', model_name='swin_large_patch4_window12_384',
        img_size=384, x_channels=1, out_indices=(0, 1, 2, 3),
        # Swin-L ImageNet-22k 384 (Microsoft or timm names, loaded as it is; the output
        # norms are not in it and stay at 1, 0). The segmentation run of the paper is
        # not released: which Swin-L weights it started from is unknown
        pretrained='checkpoints/swin_large_patch4_window12_384_22k.pth'),
    decode_head=dict(in_channels=[192, 384, 768, 1536]))
