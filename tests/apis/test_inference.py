# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""mmrgbir.apis.inference and tools/infer.py: arrays give what files give (8/16-bit,
1/3-channel X), lists give lists, task detection, folder pairing and the pictures."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from rgbx_testing import REPO, load_tool, pattern_pair, write_pair

DEMO = osp.join(REPO, 'configs/demo/night-rgbt_dualstream-r18-cmx_segformerhead.py')
SOD = osp.join(REPO, 'configs/tiny/msrs-person-sod_dualstream-r18-tiny_segformerhead.py')
DET = osp.join(REPO, 'configs/tiny/llvip_dualstream-r18-tiny_retinanet.py')
TITLE, GAP = 18, 4  # panels.side_by_side




def write_det_set(root, n=2, h=64, w=80):
    """A COCO set of pattern pairs (visible/, infrared/), one 'person' box each."""
    images, anns = [], []
    for i in range(n):
        rgb, x, _ = pattern_pair(h, w, seed=i)
        write_pair(root, f'{i:03d}', rgb, x, rgb_dir='visible', x_dir='infrared')
        images.append(dict(file_name=f'{i:03d}.png', height=h, width=w, id=i))
        anns.append(dict(id=i + 1, image_id=i, category_id=1, bbox=[12, 10, 38, 30],
                         area=38 * 30, iscrowd=0))
    with open(osp.join(root, 'annotations_coco.json'), 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=1, name='person')]), f)


@pytest.fixture(scope='module')
def seg_model():
    from mmrgbir.apis.inference import init_model
    torch.manual_seed(0)
    return init_model(DEMO, device='cpu')


@pytest.fixture
def pair_files(tmp_path):
    rgb, x, label = pattern_pair(64, 80)
    write_pair(str(tmp_path), 'a', rgb, x, label * 255)
    return (rgb, x, osp.join(tmp_path, 'rgb', 'a.png'), osp.join(tmp_path, 'thermal', 'a.png'),
            osp.join(tmp_path, 'labels', 'a.png'))


def test_arrays_give_the_same_result_as_files(seg_model, pair_files):
    from mmrgbir.apis.inference import inference_model
    rgb, x, rgb_path, x_path, _ = pair_files
    from_files = inference_model(seg_model, rgb_path, x_path)
    from_arrays = inference_model(seg_model, rgb, x)
    mixed = inference_model(seg_model, rgb_path, x)
    assert from_files.pred_sem_seg.shape == (64, 80)
    assert torch.equal(from_files.seg_logits.data, from_arrays.seg_logits.data)
    assert torch.equal(from_files.seg_logits.data, mixed.seg_logits.data)
    assert from_files.metainfo['img_path'] == rgb_path
    assert from_files.metainfo['x_path'] == x_path
    assert 'img_path' not in from_arrays.metainfo
    assert from_arrays.metainfo['modality_layout'] == from_files.metainfo['modality_layout']
    # the X kind of the config's dataset (no dataset at inference time)
    assert from_arrays.metainfo['modality_layout']['x_kind'] == 'thermal'


@pytest.mark.parametrize('x_dtype,x_channels,loader_x_channels', [
    (np.uint8, 1, None), (np.uint16, 1, None), (np.uint16, 3, None), (np.uint8, 1, 3),
    (np.uint8, 3, None)])
def test_array_loader_matches_file_loader(tmp_path, x_dtype, x_channels, loader_x_channels):
    from mmrgbir.apis.inference import LoadRGBXImageFromNDArray
    from mmrgbir.datasets.transforms import LoadRGBXImageFromFile
    rgb, x, _ = pattern_pair(40, 56, x_channels=x_channels, x_dtype=x_dtype)
    # files store 3-channel X in BGR like any cv2 image; arrays are given in RGB order
    write_pair(str(tmp_path), 'p', rgb, x if x.ndim == 2 else x[..., ::-1])
    kw = dict(x_channels=loader_x_channels, x_kind='thermal')
    ref = LoadRGBXImageFromFile(**kw)(dict(img_path=osp.join(tmp_path, 'rgb', 'p.png'),
                                           x_path=osp.join(tmp_path, 'thermal', 'p.png')))
    got = LoadRGBXImageFromNDArray(**kw)(dict(rgb=rgb, x=x))
    assert got['img'].dtype == ref['img'].dtype
    np.testing.assert_array_equal(got['img'], ref['img'])
    assert got['modality_layout'] == ref['modality_layout']
    x_ref = x if x.ndim == 3 else np.repeat(x[..., None], loader_x_channels or 1, axis=2)
    np.testing.assert_array_equal(got['img'][..., 3:], x_ref)  # X unquantised, RGB order
    np.testing.assert_array_equal(got['img'][..., :3], rgb[..., ::-1])  # BGR like files


def test_16bit_x_inference(tmp_path):
    from mmrgbir.apis.inference import inference_model, init_model
    model = init_model(DEMO, cfg_options={'model.data_preprocessor.x_mean': [20000.0],
                                          'model.data_preprocessor.x_std': [15000.0]})
    rgb, x, _ = pattern_pair(48, 64, x_dtype=np.uint16)
    assert x.max() == 60000
    write_pair(str(tmp_path), 'd', rgb, x)
    a = inference_model(model, rgb, x)
    f = inference_model(model, osp.join(tmp_path, 'rgb', 'd.png'),
                        osp.join(tmp_path, 'thermal', 'd.png'))
    assert a.metainfo['modality_layout']['x_dtype'] == 'uint16'
    assert torch.equal(a.seg_logits.data, f.seg_logits.data)
    # the 16-bit values are used, not an 8-bit reduction of them
    low = inference_model(model, rgb, (x // 257).astype(np.uint8))
    assert not torch.allclose(a.seg_logits.data, low.seg_logits.data)


def test_list_input_returns_a_list(seg_model, pair_files):
    from mmrgbir.apis.inference import inference_model
    rgb, x, rgb_path, x_path, _ = pair_files
    rgb2, x2, _ = pattern_pair(48, 72, seed=3)
    out = inference_model(seg_model, [rgb_path, rgb2], [x_path, x2])
    assert isinstance(out, list) and len(out) == 2
    assert out[0].pred_sem_seg.shape == (64, 80)
    assert out[1].pred_sem_seg.shape == (48, 72)  # different sizes are fine
    single = inference_model(seg_model, rgb2, x2)
    assert torch.equal(out[1].seg_logits.data, single.seg_logits.data)
    assert isinstance(inference_model(seg_model, (rgb,), (x,)), list)


def test_input_errors(seg_model):
    from mmrgbir.apis.inference import inference_model
    rgb, x, _ = pattern_pair(32, 40)
    with pytest.raises(ValueError, match='1 RGB images but 2 X images'):
        inference_model(seg_model, [rgb], [x, x])
    with pytest.raises(TypeError, match='both as single images or both as lists'):
        inference_model(seg_model, [rgb], x)
    with pytest.raises(ValueError, match='pixel-aligned'):
        inference_model(seg_model, rgb, x[:20])
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        inference_model(seg_model, rgb, np.zeros((32, 40, 4), np.uint8))
    with pytest.raises(TypeError, match='dtype int32'):
        inference_model(seg_model, rgb, x.astype(np.int32))


def test_task_detection(seg_model):
    from mmengine.config import Config

    from mmrgbir.apis.inference import detect_task, task_from_config
    assert task_from_config(Config.fromfile(DEMO)) == 'seg'
    assert task_from_config(Config.fromfile(SOD)) == 'sod'
    assert task_from_config(Config.fromfile(DET)) == 'det'
    assert detect_task(seg_model) == 'seg'
    assert seg_model.dataset_meta['classes'] == ('background', 'road', 'car', 'person')


def test_detection_arrays_equal_files(tmp_path):
    from mmdet.structures import DetDataSample

    from mmrgbir.apis.inference import detect_task, inference_model, init_model
    write_det_set(str(tmp_path), n=1)
    torch.manual_seed(0)
    model = init_model(DET, cfg_options={'test_dataloader.dataset.data_root': str(tmp_path)})
    assert detect_task(model) == 'det'
    assert model.dataset_meta['classes'] == ('person',)
    rgb, x, _ = pattern_pair(64, 80, seed=0)
    f = inference_model(model, osp.join(tmp_path, 'visible', '000.png'),
                        osp.join(tmp_path, 'infrared', '000.png'))
    a = inference_model(model, [rgb], [x])[0]
    assert isinstance(f, DetDataSample) and len(f.pred_instances) > 0
    assert torch.equal(f.pred_instances.bboxes, a.pred_instances.bboxes)
    assert torch.equal(f.pred_instances.scores, a.pred_instances.scores)
    # boxes are in the coordinates of the input pair (rescaled from 320 x 256)
    assert float(f.pred_instances.bboxes[:, 2].max()) <= 80 + 1e-3


def _save_random_checkpoint(model, path):
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=model.dataset_meta)), path)
    return str(path)


def test_infer_tool_pairs_folders_and_draws(seg_model, tmp_path):
    infer = load_tool('tools/infer.py')
    ckpt = _save_random_checkpoint(seg_model, tmp_path / 'seg.pth')
    data = str(tmp_path / 'data')
    for name, seed in (('a', 0), ('b', 1)):
        rgb, x, label = pattern_pair(64, 80, seed=seed)
        write_pair(data, name, rgb, x, label)
    cv2.imwrite(osp.join(data, 'rgb', 'lonely.png'), np.zeros((8, 8, 3), np.uint8))
    os.rename(osp.join(data, 'thermal', 'b.png'), osp.join(data, 'thermal', 'b.tif'))
    rgb, _, _ = pattern_pair(64, 80, seed=2)
    write_pair(data, 'corrupt', rgb, np.zeros((64, 80), np.uint8))
    with open(osp.join(data, 'thermal', 'corrupt.png'), 'wb') as f:
        f.write(b'\x89PNG truncated')
    out = str(tmp_path / 'out')
    with pytest.raises(SystemExit) as exit_info:  # the corrupt pair fails, the rest is drawn
        infer.main([DEMO, ckpt, '--rgb', osp.join(data, 'rgb'), '--x',
                    osp.join(data, 'thermal'), '--gt', osp.join(data, 'labels'),
                    '--out-dir', out])
    assert exit_info.value.code == 1
    assert sorted(os.listdir(out)) == ['a.png', 'b.png']  # paired by base name
    pic = cv2.imread(osp.join(out, 'a.png'))
    # RGB + prediction | thermal + prediction | ground truth
    assert pic.shape == (64 + TITLE, 3 * 80 + 2 * GAP, 3)
    # a single pair, no ground truth, detection task refused for a segmentor
    infer.main([DEMO, ckpt, '--rgb', osp.join(data, 'rgb', 'a.png'), '--x',
                osp.join(data, 'thermal', 'a.png'), '--out-dir', str(tmp_path / 'one')])
    assert cv2.imread(str(tmp_path / 'one' / 'a.png')).shape == (64 + TITLE, 2 * 80 + GAP, 3)
    with pytest.raises(ValueError, match='does not fit'):
        infer.main([DEMO, ckpt, '--rgb', osp.join(data, 'rgb', 'a.png'), '--x',
                    osp.join(data, 'thermal', 'a.png'), '--out-dir', out, '--task', 'det'])


def test_infer_tool_saliency_picture(tmp_path):
    from mmrgbir.apis.inference import detect_task, init_model
    infer = load_tool('tools/infer.py')
    model = init_model(SOD)  # classes of RGBXSODDataset: ('background', 'salient')
    assert detect_task(model) == 'sod'
    ckpt = _save_random_checkpoint(model, tmp_path / 'sod.pth')
    rgb, x, label = pattern_pair(60, 80)
    write_pair(str(tmp_path), 's', rgb, x, label * 255)
    out = str(tmp_path / 'out')
    infer.main([SOD, ckpt, '--rgb', str(tmp_path / 'rgb' / 's.png'), '--x',
                str(tmp_path / 'thermal' / 's.png'), '--gt', str(tmp_path / 'labels' / 's.png'),
                '--out-dir', out])
    pic = cv2.imread(osp.join(out, 's.png'))[..., ::-1]
    assert pic.shape == (60 + TITLE, 4 * 80 + 3 * GAP, 3)  # RGB | X | saliency | GT
    gt_panel = pic[TITLE:, 3 * (80 + GAP):]
    np.testing.assert_array_equal(gt_panel[..., 0] > 127, label == 1)
    sal_panel = pic[TITLE:, 2 * (80 + GAP):3 * (80 + GAP) - GAP]
    assert (sal_panel[..., 0] == sal_panel[..., 1]).all()  # a gray map


def test_infer_tool_keeps_sub_folders(seg_model, tmp_path):
    """KAIST-style repeated base names (set00/V000/I00000, set01/V000/I00000) give two
    pictures, each of its own pair, and never overwrite an input image."""
    infer = load_tool('tools/infer.py')
    ckpt = _save_random_checkpoint(seg_model, tmp_path / 'seg.pth')
    data = str(tmp_path / 'data')
    sizes = {'set00': (48, 64), 'set01': (40, 56)}  # the picture tells which pair it shows
    for seq, (h, w) in sizes.items():
        rgb, x, _ = pattern_pair(h, w)
        os.makedirs(osp.join(data, 'visible', seq, 'V000'))
        os.makedirs(osp.join(data, 'lwir', seq, 'V000'))
        cv2.imwrite(osp.join(data, 'visible', seq, 'V000', 'I00000.jpg'), rgb[..., ::-1])
        cv2.imwrite(osp.join(data, 'lwir', seq, 'V000', 'I00000.png'), x)
    out = str(tmp_path / 'out')
    infer.main([DEMO, ckpt, '--rgb', osp.join(data, 'visible'), '--x', osp.join(data, 'lwir'),
                '--out-dir', out])
    for seq, (h, w) in sizes.items():
        pic = cv2.imread(osp.join(out, seq, 'V000', 'I00000.png'))
        assert pic is not None and pic.shape == (h + TITLE, 2 * w + GAP, 3), seq
    assert sorted(os.listdir(out)) == ['set00', 'set01']
    # I00000.jpg and I00000.png in one folder: which one pairs is ambiguous
    cv2.imwrite(osp.join(data, 'visible', 'set00', 'V000', 'I00000.png'),
                np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match='two images for "set00/V000/I00000"'):
        infer.main([DEMO, ckpt, '--rgb', osp.join(data, 'visible'), '--x',
                    osp.join(data, 'lwir'), '--out-dir', str(tmp_path / 'out2')])
    os.remove(osp.join(data, 'visible', 'set00', 'V000', 'I00000.png'))
    # --out-dir = the RGB folder of PNG images: refused, the image is kept
    rgb_png = osp.join(data, 'rgbpng')
    os.makedirs(rgb_png)
    rgb, x, _ = pattern_pair(48, 64)
    cv2.imwrite(osp.join(rgb_png, 'a.png'), rgb[..., ::-1])
    cv2.imwrite(osp.join(data, 'lwir', 'a.png'), x)
    before = open(osp.join(rgb_png, 'a.png'), 'rb').read()
    with pytest.raises(ValueError, match='overwrite the input file'):
        infer.main([DEMO, ckpt, '--rgb', osp.join(rgb_png, 'a.png'), '--x',
                    osp.join(data, 'lwir', 'a.png'), '--out-dir', rgb_png])
    assert open(osp.join(rgb_png, 'a.png'), 'rb').read() == before
