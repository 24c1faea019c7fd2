# RGB-only baseline of the demo: the same data, pipeline and head; the backbone sees
# only the RGB channels of the stacked input.
_base_ = ['./night-rgbt_dualstream-r18-cmx_segformerhead.py']
model = dict(
    backbone=dict(
        _delete_=True, type='SingleModalityBackbone', modality='rgb', x_channels=1,
        backbone={{_base_.model.backbone.backbone}}))
