# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""tools/analysis/browse_dataset.py (pairs after the pipeline, de-stacked into RGB and X
panels with their labels / boxes) and tools/analysis/get_flops.py (two-modality input)."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from rgbx_testing import REPO, load_tool, pattern_pair, write_pair

DEMO = osp.join(REPO, 'configs/demo/night-rgbt_dualstream-r18-cmx_segformerhead.py')
DET = osp.join(REPO, 'configs/tiny/llvip_dualstream-r18-tiny_retinanet.py')
TITLE, GAP = 18, 4  # panels.side_by_side




def test_browse_segmentation_test_pipeline(tmp_path):
    browse = load_tool('tools/analysis/browse_dataset.py')
    root = str(tmp_path / 'data')
    labels = []
    for i in range(3):
        rgb, x, label = pattern_pair(48, 64, seed=i)
        rgb[:] = 90  # flat RGB: only the overlay changes it
        write_pair(root, f'{i:04d}', rgb, x, label * 3)  # class 3 = person (red)
        labels.append(label)
    with open(osp.join(root, 'val.txt'), 'w') as f:
        f.write('0000\n0001\n0002\n')
    out = str(tmp_path / 'out')
    browse.main([DEMO, '--phase', 'test', '--max-items', '2', '--output-dir', out,
                 '--cfg-options', f'test_dataloader.dataset.data_root={root}'])
    assert sorted(os.listdir(out)) == ['0000_0000.png', '0001_0001.png']
    pic = cv2.imread(osp.join(out, '0001_0001.png'))[..., ::-1].astype(int)
    assert pic.shape == (48 + TITLE, 2 * 64 + GAP, 3)  # RGB + labels | thermal + labels
    rgb_panel = pic[TITLE:, :64]
    person = labels[1] == 1
    # palette of 'person' is (220, 20, 60): the RGB panel is blended there, only there
    np.testing.assert_array_equal(rgb_panel[person], np.tile([155, 55, 75], (person.sum(), 1)))
    assert (rgb_panel[~person] == 90).all()
    x_panel = pic[TITLE:, 64 + GAP:]
    assert x_panel[person, 0].mean() > x_panel[~person, 0].mean()


def test_browse_detection_train_pipeline_boxes_follow_augmentation(tmp_path):
    browse = load_tool('tools/analysis/browse_dataset.py')
    root = str(tmp_path / 'data')
    rgb, x, _ = pattern_pair(64, 80)
    write_pair(root, '0000', rgb, x, rgb_dir='visible', x_dir='infrared')
    with open(osp.join(root, 'annotations_coco.json'), 'w') as f:
        json.dump(dict(images=[dict(file_name='0000.png', height=64, width=80, id=0)],
                       annotations=[dict(id=1, image_id=0, category_id=1,
                                         bbox=[12, 10, 38, 30], area=1140, iscrowd=0)],
                       categories=[dict(id=1, name='person')]), f)
    cfg = Config.fromfile(DET)
    cfg.train_dataloader.dataset.data_root = root
    # a fixed resize x4 and a horizontal flip: the box must move with the image
    cfg.train_dataloader.dataset.pipeline = [
        dict(type='LoadRGBXImageFromFile', x_channels=1),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='Resize', scale=(320, 256), keep_ratio=True),
        dict(type='RandomFlip', prob=1.0),
        dict(type='PackRGBXDetInputs')]
    written = browse.browse(cfg, str(tmp_path / 'out'), 'train', 5)
    assert len(written) == 1
    pic = cv2.imread(written[0])[..., ::-1]
    assert pic.shape == (256 + TITLE, 2 * 320 + GAP, 3)  # RGB | thermal after Resize
    # box xyxy (12, 10, 50, 40) * 4, flipped: x from 320 - 200 = 120 to 320 - 48 = 272
    for x0 in (0, 320 + GAP):
        panel = pic[TITLE:, x0:x0 + 320]
        green = (panel == [0, 255, 0]).all(axis=2)
        ys, xs = np.nonzero(green)
        assert abs(xs.min() - 120) <= 2 and abs(xs.max() - 272) <= 2
        assert abs(ys.min() - 40) <= 2 and abs(ys.max() - 160) <= 2


def test_get_flops_two_modality_input():
    flops_tool = load_tool('tools/analysis/get_flops.py')
    from mmrgbir.apis.inference import init_model
    from mmrgbir.models.utils.param_report import count_parameters
    cfg = Config.fromfile(DEMO)
    assert flops_tool.x_channels_of(cfg) == 1
    small = flops_tool.get_flops(cfg, (32, 48))
    big = flops_tool.get_flops(cfg, (64, 96))
    assert small['input_shape'] == (1, 4, 32, 48)
    _, total = count_parameters(init_model(DEMO))
    assert small['params'] == big['params'] == total
    # a convolutional network: 4x the pixels, about 4x the FLOPs
    assert 3.5 < big['flops'] / small['flops'] < 4.5
    three = Config.fromfile(DEMO)
    three.model.data_preprocessor.x_mean = [1.0, 2.0, 3.0]
    three.model.data_preprocessor.x_std = [1.0, 1.0, 1.0]
    assert flops_tool.x_channels_of(three) == 3
    with pytest.raises(ValueError, match='3 \\+ 1 channels'):  # the backbone says so
        flops_tool.get_flops(three, (32, 32))


def test_get_flops_cli_and_detector(capsys):
    flops_tool = load_tool('tools/analysis/get_flops.py')
    flops_tool.main([DET, '--shape', '64', '96'])
    out = capsys.readouterr().out
    assert 'Input shape: (1, 4, 64, 96) (RGB 3 + X 1)' in out
    assert 'Flops:' in out and 'Params:' in out
