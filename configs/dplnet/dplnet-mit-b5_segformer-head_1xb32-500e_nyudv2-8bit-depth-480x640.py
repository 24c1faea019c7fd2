# DPLNet on NYUDv2 with the depth input of the official run: the 8-bit depth PNGs of
# its NYUDv2 pack, repeated to 3 channels, scaled to [0, 1] and normalised with mean
# 0.449 / std 0.226, i.e. x_mean = 0.449 * 255, x_std = 0.226 * 255 in 8-bit units.
# Everything else is the NYUDv2 recipe (the parent config). Use this config with
# official checkpoints converted by tools/model_converters/dplnet2mmrgbir.py: they
# were trained on this input.
# Data: data_root must hold 8-bit depth PNGs in Depth/ (same layout as the parent:
# RGB/, Depth/, Label/, train.txt, test.txt). The uint16 millimetres that
# tools/dataset_converters/nyudv2.py writes need the parent config instead: the loader
# here (x_dtype='uint8') stops with the file name on a 16-bit depth file.
# As in the official training, depth is resized with nearest-neighbour interpolation
# and RGB bilinearly (RGBXRandomResize); test images are 480 x 640 already.
_base_ = ['./dplnet-mit-b5_segformer-head_1xb32-500e_nyudv2-480x640.py']
# 0.449 * 255 = 114.495, 0.226 * 255 = 57.63
model = dict(data_preprocessor=dict(x_mean=[114.495] * 3, x_std=[57.63] * 3))
train_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3, x_kind='depth', x_dtype='uint8'),
    dict(type='LoadAnnotations'),
    dict(type='RGBOnly', transforms=[
        dict(type='PhotoMetricDistortion', brightness_delta=32,
             contrast_range=(0.5, 1.5), saturation_range=(0.5, 1.5), hue_delta=1)]),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RGBXRandomResize', scale=(640, 480), ratio_range=(0.5, 2.0),
         keep_ratio=True, x_interpolation='nearest'),
    dict(type='RandomCrop', crop_size=(480, 640)),
    dict(type='PackRGBXSegInputs'),
]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=3, x_kind='depth', x_dtype='uint8'),
    dict(type='Resize', scale=(640, 480), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
