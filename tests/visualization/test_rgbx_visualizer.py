# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""RGBXLocalVisualizer and render_sample: panel layout and content for segmentation,
detection and SOD, X read from x_path, and tools/test.py --show-dir for the three tasks."""
import importlib.util
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from rgbx_testing import REPO, pattern_pair, write_pair

TITLE, GAP = 18, 4  # panels.side_by_side
PALETTE = [[0, 0, 0], [200, 0, 0]]
META = dict(classes=('background', 'person'), palette=PALETTE)


def seg_sample(label, x_path=None, pred=None):
    from mmseg.structures import SegDataSample
    s = SegDataSample()
    s.set_metainfo(dict(img_path='/nowhere/img_7.png', x_path=x_path,
                        modality_layout=dict(rgb=(0, 3), x=(3, 4), x_kind='thermal',
                                             x_dtype='uint16', channels=4)))
    s.gt_sem_seg = PixelData(data=torch.from_numpy(label.astype(np.int64))[None])
    if pred is not None:
        s.pred_sem_seg = PixelData(data=torch.from_numpy(pred.astype(np.int64))[None])
    return s


def test_segmentation_panels():
    from mmrgbir.visualization.rgbx_visualizer import render_sample
    rgb, x, label = pattern_pair(40, 56, x_dtype=np.uint16)
    rgb[:] = 100
    pic = render_sample(rgb, x, seg_sample(label, pred=label), dataset_meta=META, alpha=0.5)
    assert pic.shape == (40 + TITLE, 3 * 56 + 2 * GAP, 3)  # RGB+pred | X+pred | GT
    rgb_panel = pic[TITLE:, :56].astype(int)
    # class 1 blended with its colour, background (black palette entry) left as is
    assert (rgb_panel[label == 1] == [150, 50, 50]).all()
    assert (rgb_panel[label == 0] == 100).all()
    gt_panel = pic[TITLE:, 2 * (56 + GAP):]
    assert (gt_panel[label == 1] == PALETTE[1]).all()
    # without a prediction the ground truth is overlaid on both modalities
    only_gt = render_sample(rgb, x, seg_sample(label), dataset_meta=META, draw_pred=True)
    assert only_gt.shape == (40 + TITLE, 2 * 56 + GAP, 3)
    x_panel = only_gt[TITLE:, 56 + GAP:].astype(int)
    assert x_panel[label == 1, 0].mean() > x_panel[label == 1, 2].mean() + 50  # red-ish


def test_detection_panels_draw_boxes_on_both_modalities():
    from mmdet.structures import DetDataSample

    from mmrgbir.visualization.rgbx_visualizer import render_sample
    rgb = np.full((60, 80, 3), 60, np.uint8)
    x = np.full((60, 80), 30, np.uint8)
    s = DetDataSample()
    s.set_metainfo(dict(modality_layout=dict(x_kind='thermal')))
    s.pred_instances = InstanceData(
        bboxes=torch.tensor([[10., 20., 40., 50.], [50., 5., 70., 25.]]),
        scores=torch.tensor([0.9, 0.1]), labels=torch.tensor([1, 1]))
    s.gt_instances = InstanceData(bboxes=torch.tensor([[5., 5., 30., 15.]]),
                                  labels=torch.tensor([0]))
    pic = render_sample(rgb, x, s, dataset_meta=META, score_thr=0.3)
    assert pic.shape == (60 + TITLE, 2 * 80 + GAP, 3)
    for x0 in (0, 80 + GAP):  # the same boxes on the RGB and on the X panel
        panel = pic[TITLE:, x0:x0 + 80]
        assert tuple(panel[50, 25]) == tuple(PALETTE[1])  # bottom edge of the kept box
        assert tuple(panel[25, 60]) != tuple(PALETTE[1])  # the 0.1 box is not drawn
        assert tuple(panel[10, 5]) == (0, 255, 0)  # ground truth in green
    no_gt = render_sample(rgb, x, s, dataset_meta=META, score_thr=0.3, draw_gt=False)
    assert tuple(no_gt[TITLE + 10, 5]) != (0, 255, 0)


def test_saliency_panels_follow_the_logits():
    from mmseg.structures import SegDataSample

    from mmrgbir.visualization.rgbx_visualizer import render_sample, saliency_map
    rgb, x, label = pattern_pair(32, 48)
    logits = torch.zeros(2, 32, 48)
    logits[1] = torch.linspace(-4, 4, 48)  # saliency grows left to right
    s = SegDataSample(seg_logits=PixelData(data=logits),
                      gt_sem_seg=PixelData(data=torch.from_numpy(label)[None].long()))
    sal = saliency_map(s)
    np.testing.assert_allclose(sal, torch.softmax(logits, 0)[1].numpy(), atol=1e-6)
    pic = render_sample(rgb, x, s, task='sod', dataset_meta=dict(classes=('bg', 'salient')))
    assert pic.shape == (32 + TITLE, 4 * 48 + 3 * GAP, 3)
    panel = pic[TITLE:, 2 * (48 + GAP):3 * (48 + GAP) - GAP, 0].astype(int)
    np.testing.assert_allclose(panel, np.round(sal * 255), atol=1)
    # a 1-channel head: mmseg stores the sigmoid already
    one = SegDataSample(seg_logits=PixelData(data=torch.full((1, 4, 4), 0.25)))
    np.testing.assert_allclose(saliency_map(one), 0.25)


def test_visualizer_reads_x_and_writes_files(tmp_path):
    from mmrgbir.registry import VISUALIZERS
    from mmrgbir.visualization.rgbx_visualizer import RGBXLocalVisualizer
    rgb, x, label = pattern_pair(40, 56, x_dtype=np.uint16)
    write_pair(str(tmp_path), 'img_7', rgb, x)
    x_path = osp.join(tmp_path, 'thermal', 'img_7.png')
    vis = VISUALIZERS.build(dict(type='RGBXLocalVisualizer', name='test_rgbx_vis_files',
                                 out_dir=str(tmp_path / 'show'), task='seg'))
    assert isinstance(vis, RGBXLocalVisualizer)
    vis.dataset_meta = META
    drawn = vis.add_datasample('test_img', rgb, seg_sample(label, x_path, pred=label))
    saved = cv2.imread(str(tmp_path / 'show' / 'img_7.png'))[..., ::-1]
    np.testing.assert_array_equal(saved, drawn)
    np.testing.assert_array_equal(vis.get_image(), drawn)
    # the X panel shows the 16-bit X (its marker is bright), not the RGB
    x_panel = drawn[TITLE:, 56 + GAP:2 * 56 + GAP].astype(int).sum(2)
    assert x_panel[label == 0].mean() < x_panel[label == 1].mean()
    # an explicit out_file wins; no x_path -> a clear error
    vis.add_datasample('n', rgb, seg_sample(label, x_path), out_file=str(tmp_path / 'o.png'))
    assert cv2.imread(str(tmp_path / 'o.png')).shape == (40 + TITLE, 2 * 56 + GAP, 3)
    with pytest.raises(KeyError, match='x_path'):
        vis.add_datasample('n', rgb, seg_sample(label))


# ----------------------------------------------------------- tools/test.py --show-dir
DEMO = 'configs/demo/night-rgbt_dualstream-r18-cmx_segformerhead.py'
SOD = 'configs/tiny/msrs-person-sod_dualstream-r18-tiny_segformerhead.py'
DET = 'configs/tiny/llvip_dualstream-r18-tiny_retinanet.py'


def _make_data(task, root):
    """Two tiny pairs in the layout each config expects; returns --cfg-options."""
    root = str(root)
    if task == 'seg':
        for i in range(2):
            rgb, x, label = pattern_pair(48, 64, seed=i)
            write_pair(root, f'{i:04d}', rgb, x, label)
        with open(osp.join(root, 'val.txt'), 'w') as f:
            f.write('0000\n0001\n')
        return [f'test_dataloader.dataset.data_root={root}', 'test_dataloader.num_workers=0',
                'test_dataloader.persistent_workers=False'], (48, 64)
    if task == 'sod':
        for i in range(2):
            rgb, x, label = pattern_pair(48, 64, seed=i)
            write_pair(root, f'{i:04d}', rgb, x, label * 255, rgb_dir='vi', x_dir='ir',
                       label_dir='person_mask')
        with open(osp.join(root, 'msrs_split.json'), 'w') as f:
            json.dump({'0000': 'train', '0001': 'train'}, f)
        return [f'test_dataloader.dataset.data_root={root}'], (48, 64)
    images, anns = [], []
    for i in range(2):
        rgb, x, _ = pattern_pair(48, 64, seed=i)
        write_pair(root, f'{i:04d}', rgb, x, rgb_dir='visible', x_dir='infrared')
        images.append(dict(file_name=f'{i:04d}.png', height=48, width=64, id=i))
        anns.append(dict(id=i + 1, image_id=i, category_id=1, bbox=[12, 10, 38, 30],
                         area=38 * 30, iscrowd=0))
    ann = osp.join(root, 'annotations_coco.json')
    with open(ann, 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=1, name='person')]), f)
    # score_thr > 1: only the ground truth is drawn (a random model's scores are high)
    return [f'test_dataloader.dataset.data_root={root}', f'test_evaluator.ann_file={ann}',
            'default_hooks.visualization.score_thr=1.01'], (48, 64)


@pytest.mark.parametrize('task,config,panels', [
    ('seg', DEMO, 3), ('sod', SOD, 4), ('det', DET, 2)])
def test_test_tool_show_dir(tmp_path, monkeypatch, task, config, panels):
    from mmrgbir.apis.inference import init_model
    opts, (h, w) = _make_data(task, tmp_path / 'data')
    model = init_model(osp.join(REPO, config), cfg_options=dict(o.split('=', 1) for o in opts))
    ckpt = str(tmp_path / 'random.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=model.dataset_meta)), ckpt)
    spec = importlib.util.spec_from_file_location('rgbx_test_tool',
                                                  osp.join(REPO, 'tools', 'test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    work = str(tmp_path / 'work')
    monkeypatch.chdir(REPO)
    maps = ['--save-maps', 'maps'] if task == 'sod' else []  # one test set: maps/<name>
    monkeypatch.setattr(sys, 'argv', ['test.py', config, ckpt, '--work-dir', work,
                                      '--show-dir', 'show', *maps, '--cfg-options', *opts])
    tool.main()
    show = osp.join(work, 'show')
    assert sorted(os.listdir(show)) == ['0000.png', '0001.png']
    if maps:
        assert sorted(os.listdir(osp.join(work, 'maps'))) == ['0000.png', '0001.png']
        saved = cv2.imread(osp.join(work, 'maps', '0000.png'), cv2.IMREAD_UNCHANGED)
        assert saved.dtype == np.uint8 and saved.shape == (h, w)
    pic = cv2.imread(osp.join(show, '0000.png'))
    assert pic.shape == (h + TITLE, panels * w + (panels - 1) * GAP, 3)
    if task == 'det':  # the ground-truth box on both modalities
        for x0 in (0, w + GAP):
            assert tuple(pic[TITLE + 10, x0 + 30][::-1]) == (0, 255, 0)


# ------------------------------------------- output names: no collision ever
def test_visualizer_keeps_the_path_relative_to_the_image_root(tmp_path):
    """KAIST-style repeated base names: set00/V000/I00000 and set01/V000/I00000 give
    two files, each with its own picture; without an image root a second image with
    the same base name is an error, never an overwrite."""
    from mmrgbir.visualization.rgbx_visualizer import RGBXLocalVisualizer
    root = tmp_path / 'images'
    samples, drawn = {}, {}
    for seq, (h, w, seed) in {'set00': (40, 56, 0), 'set01': (32, 48, 1)}.items():
        rgb, x, label = pattern_pair(h, w, x_dtype=np.uint16, seed=seed)
        folder = root / seq / 'V000'
        write_pair(str(folder), 'I00000', rgb, x, rgb_dir='visible', x_dir='lwir')
        s = seg_sample(label, str(folder / 'lwir' / 'I00000.png'), pred=label)
        s.set_metainfo(dict(img_path=str(folder / 'visible' / 'I00000.png')))
        samples[seq] = (rgb, s)
    vis = RGBXLocalVisualizer(name='test_rgbx_vis_roots', out_dir=str(tmp_path / 'show'),
                              task='seg', img_root=str(root))
    vis.dataset_meta = META
    for seq, (rgb, s) in samples.items():
        drawn[seq] = vis.add_datasample('n', rgb, s)
    for seq in samples:
        saved = cv2.imread(str(tmp_path / 'show' / seq / 'V000' / 'visible' / 'I00000.png'))
        np.testing.assert_array_equal(saved[..., ::-1], drawn[seq])
    assert drawn['set00'].shape != drawn['set01'].shape
    # no image root: base names, and the second I00000 is refused
    flat = RGBXLocalVisualizer(name='test_rgbx_vis_flat', out_dir=str(tmp_path / 'flat'),
                               task='seg')
    flat.dataset_meta = META
    flat.add_datasample('n', *samples['set00'])
    flat.add_datasample('n', *samples['set00'])  # the same image again: fine
    with pytest.raises(ValueError, match='two images'):
        flat.add_datasample('n', *samples['set01'])
    kept = cv2.imread(str(tmp_path / 'flat' / 'I00000.png'))
    np.testing.assert_array_equal(kept[..., ::-1], drawn['set00'])
    # several test sets: the roots come from the dataset_meta of a NamedConcatDataset
    sets = RGBXLocalVisualizer(name='test_rgbx_vis_sets', out_dir=str(tmp_path / 'sets'),
                               task='seg')
    sets.dataset_meta = dict(META, img_roots={'A': str(root / 'set00'),
                                              'B': str(root / 'set01')})
    for rgb, s in samples.values():
        sets.add_datasample('n', rgb, s)
    assert (tmp_path / 'sets' / 'A' / 'V000' / 'visible' / 'I00000.png').is_file()
    assert (tmp_path / 'sets' / 'B' / 'V000' / 'visible' / 'I00000.png').is_file()


def test_test_tool_show_dir_repeated_base_names(tmp_path, monkeypatch):
    """tools/test.py --show-dir on a split listing set00/V000/I00000 and
    set01/V000/I00000: two pictures under show/, each of its own image."""
    from mmrgbir.apis.inference import init_model
    root = str(tmp_path / 'data')
    sizes = {'set00': (48, 64), 'set01': (40, 56)}
    for i, (seq, (h, w)) in enumerate(sizes.items()):
        rgb, x, label = pattern_pair(h, w, seed=i)
        # RGBXSegDataset: split names relative to the rgb/, thermal/, labels/ folders
        for sub, img in (('rgb', rgb[..., ::-1]), ('thermal', x), ('labels', label)):
            os.makedirs(osp.join(root, sub, seq, 'V000'))
            assert cv2.imwrite(osp.join(root, sub, seq, 'V000', 'I00000.png'), img)
    with open(osp.join(root, 'val.txt'), 'w') as f:
        f.write('set00/V000/I00000\nset01/V000/I00000\n')
    opts = [f'test_dataloader.dataset.data_root={root}', 'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False']
    model = init_model(osp.join(REPO, DEMO), cfg_options=dict(o.split('=', 1) for o in opts))
    ckpt = str(tmp_path / 'random.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=model.dataset_meta)), ckpt)
    spec = importlib.util.spec_from_file_location('rgbx_test_tool_kaist',
                                                  osp.join(REPO, 'tools', 'test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    work = str(tmp_path / 'work')
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys, 'argv', ['test.py', DEMO, ckpt, '--work-dir', work,
                                      '--show-dir', 'show', '--cfg-options', *opts])
    tool.main()
    show = osp.join(work, 'show')
    assert sorted(os.listdir(show)) == ['set00', 'set01']
    for seq, (h, w) in sizes.items():  # RGB+pred | X+pred | GT at each image's size
        pic = cv2.imread(osp.join(show, seq, 'V000', 'I00000.png'))
        assert pic.shape == (h + TITLE, 3 * w + 2 * GAP, 3), seq
