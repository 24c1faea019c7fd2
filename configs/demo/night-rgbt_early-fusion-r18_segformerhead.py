# Early-fusion baseline of the demo: one ResNet-18 (same width as the demo streams) whose
# first convolution takes the 4 stacked channels [RGB | thermal]; no wrapper is needed.
_base_ = ['./night-rgbt_dualstream-r18-cmx_segformerhead.py']
model = dict(
    backbone=dict(
        _delete_=True, type='ResNetV1c', depth=18, in_channels=4, stem_channels=16,
        base_channels=16, num_stages=4, out_indices=(0, 1, 2, 3), dilations=(1, 1, 1, 1),
        strides=(1, 2, 2, 2), norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
        style='pytorch', contract_dilation=True))
