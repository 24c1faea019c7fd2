# Thermal-only baseline of the demo: the same data, pipeline and head; the backbone sees
# only the X channel of the stacked input (repeated to the 3 input channels it expects).
_base_ = ['./night-rgbt_dualstream-r18-cmx_segformerhead.py']
model = dict(
    backbone=dict(
        _delete_=True, type='SingleModalityBackbone', modality='x', x_channels=1,
        backbone={{_base_.model.backbone.backbone}}))
