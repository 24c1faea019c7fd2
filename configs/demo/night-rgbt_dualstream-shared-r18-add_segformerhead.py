# Two-stream variant through config: one ResNet-18 shared by the RGB and thermal streams
# (share_weights=True) and element-wise add fusion, on the demo data. Freezing a stream is
# freeze_rgb=True / freeze_x=True (weights and BatchNorm statistics).
_base_ = ['./night-rgbt_dualstream-r18-cmx_segformerhead.py']
model = dict(backbone=dict(share_weights=True, fusion=dict(_delete_=True, type='AddFusion')))
