# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Segmentation, SOD and detection end to end through tools/train.py and tools/test.py,
with tiny configs on the shared samples; checkpoints load and resume on torch >= 2.6
with no environment variable."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from rgbx_testing import REPO, shared_data

SEG = 'configs/tiny/msrs-person_dualstream-r18-tiny_segformerhead.py'
SOD = 'configs/tiny/msrs-person-sod_dualstream-r18-tiny_segformerhead.py'
DET = 'configs/tiny/llvip_dualstream-r18-tiny_retinanet.py'


def _data_options(root, det=False):
    opts = [f'{loader}.dataset.data_root={root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    if det:
        opts += [f'val_evaluator.ann_file={root}/annotations_coco.json',
                 f'test_evaluator.ann_file={root}/annotations_coco.json']
    return opts


def run_tool(tool, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'}
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', tool), *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f'{tool} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}'
    return proc.stdout + proc.stderr


def _scalars(work_dir):
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    rows = []
    for f in files:
        with open(f) as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


@pytest.mark.parametrize('config,data,det,metric', [
    (SEG, 'rgbt_msrs', False, 'mIoU'),
    (SOD, 'rgbt_msrs', False, 'Sm'),
    (DET, 'rgbt_det_llvip', True, 'coco/bbox_mAP'),
], ids=['segmentation', 'sod', 'detection'])
def test_train_then_test(tmp_path, config, data, det, metric):
    root = shared_data(data)
    work = str(tmp_path / 'work')
    out = run_tool('train.py', config, '--work-dir', work, '--cfg-options',
                   *_data_options(root, det))
    assert 'Trainable / frozen parameters' in out
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    vals = [r for r in _scalars(work) if metric in r]
    assert vals, f'no {metric} in the validation logs'
    out = run_tool('test.py', config, osp.join(work, 'iter_4.pth'), '--work-dir', work,
                   '--cfg-options', *_data_options(root, det))
    assert metric in out


def test_resume_continues_iteration_count_and_load_from(tmp_path):
    root = shared_data('rgbt_msrs')
    work = str(tmp_path / 'work')
    opts = _data_options(root)
    run_tool('train.py', SEG, '--work-dir', work, '--cfg-options', *opts,
             'train_cfg.max_iters=2', 'train_cfg.val_interval=100')
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    out = run_tool('train.py', SEG, '--work-dir', work, '--resume', '--cfg-options', *opts,
                   'train_cfg.max_iters=4', 'train_cfg.val_interval=100')
    assert 'resumed epoch: 0, iter: 2' in out
    assert 'Iter(train) [3/4]' in out and 'Iter(train) [1/4]' not in out
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    # load_from an mmengine checkpoint (HistoryBuffer inside) with weights-only torch.load
    out = run_tool('train.py', SEG, '--work-dir', str(tmp_path / 'ft'), '--cfg-options',
                   *opts, f'load_from={osp.join(work, "iter_4.pth")}', 'train_cfg.max_iters=1',
                   'train_cfg.val_interval=100')
    assert 'Load checkpoint from' in out


# ------------------------------------------- SOD: several test sets, saved maps
# (set name, folder under the data root, images, image size, ground-truth size); the
# loader requires the ground truth at the image's size (a GT of another size is
# resized to by SODMetric: tests/evaluation/test_sod_metric.py)
VT_SETS = (('VT5000', 'VT5000/Test', 2, (20, 28), (20, 28)),
           ('VT1000', 'VT1000', 3, (24, 20), (24, 20)),
           ('VT821', 'VT821', 2, (18, 26), (18, 26)))


def _make_vt_sets(root):
    """Tiny VT5000-test / VT1000 / VT821 sets; every set has a 000.jpg (equal base
    names in different sets). Thermal is 1-channel, as the tiny model expects."""
    import cv2
    import numpy as np
    rng = np.random.default_rng(7)
    for _, folder, num, (h, w), (gh, gw) in VT_SETS:
        for i in range(num):
            d = osp.join(root, folder)
            for sub in ('RGB', 'T', 'GT'):
                os.makedirs(osp.join(d, sub), exist_ok=True)
            rgb = rng.integers(0, 90, (h, w, 3), np.uint8)
            rgb[4:12 + i, 5:15] = 230
            thermal = rng.integers(0, 60, (h, w), np.uint8)
            thermal[4:12 + i, 5:15] = 250
            mask = np.zeros((gh, gw), np.uint8)
            mask[4 * gh // h:(12 + i) * gh // h, 5 * gw // w:15 * gw // w] = 255
            assert cv2.imwrite(osp.join(d, 'RGB', f'{i:03d}.jpg'), rgb)
            assert cv2.imwrite(osp.join(d, 'T', f'{i:03d}.png'), thermal)
            assert cv2.imwrite(osp.join(d, 'GT', f'{i:03d}.png'), mask)


def test_sod_three_test_sets_one_table_and_saved_maps(tmp_path, monkeypatch):
    """tools/test.py on a NamedConcatDataset of VT5000-test / VT1000 / VT821: one CSV
    row per set whose numbers are the toolbox's on that set's saved maps, maps saved
    as 8-bit PNGs at ground-truth size under maps/<set>/, pictures under show/<set>/."""
    import cv2
    import numpy as np
    import torch
    from mmrgbir.apis.inference import inference_model, init_model
    from mmrgbir.evaluation.functional import sod_measures as sm
    from rgbx_testing import load_tool
    data = str(tmp_path / 'data')
    _make_vt_sets(data)
    config = tmp_path / 'vt_trio_tiny.py'
    config.write_text(f'''
_base_ = [{osp.join(REPO, SOD)!r}]
test_pipeline = [
    dict(type='LoadRGBXImageFromFile', x_channels=1),
    dict(type='Resize', scale=(160, 120), keep_ratio=True),
    dict(type='LoadSODAnnotations'),
    dict(type='PackRGBXSegInputs'),
]
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    _delete_=True, type='NamedConcatDataset', names=['VT5000', 'VT1000', 'VT821'],
    datasets=[
        dict(type='VT5000Dataset', data_root={data + '/VT5000'!r}, split='test',
             pipeline=test_pipeline),
        dict(type='VT1000Dataset', data_root={data + '/VT1000'!r}, pipeline=test_pipeline),
        dict(type='VT821Dataset', data_root={data + '/VT821'!r}, pipeline=test_pipeline),
    ]))
# quantize_pred: the numbers are exactly those of the toolbox on the saved 8-bit maps
test_evaluator = dict(_delete_=True, type='PerDatasetEvaluator',
                      metrics=[dict(type='SODMetric', quantize_pred=True)])
''')
    model = init_model(str(config))
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'random.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=model.dataset_meta)), ckpt)
    work = str(tmp_path / 'work')
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys, 'argv', ['test.py', str(config), ckpt, '--work-dir', work,
                                      '--save-maps', 'maps', '--show-dir', 'show'])
    load_tool('tools/test.py').main()

    tables = glob.glob(osp.join(work, '*', 'per_dataset_metrics.csv'))
    assert len(tables) == 1
    import csv
    with open(tables[0]) as f:
        rows = {r['dataset']: r for r in csv.DictReader(f)}
    assert list(rows) == ['VT5000', 'VT1000', 'VT821']
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'Results per test set' in log and 'VT821/Sm' in log
    # expected numbers from the saved files and the GT files (sod_measures is checked
    # against PySODMetrics in tests/evaluation/test_sod_metric.py)
    maes = []
    for name, folder, num, _, (gh, gw) in VT_SETS:
        assert int(rows[name]['images']) == num
        per_image = []
        for i in range(num):
            stem = f'{i:03d}'
            saved = cv2.imread(osp.join(work, 'maps', name, stem + '.png'),
                               cv2.IMREAD_UNCHANGED)
            gt = cv2.imread(osp.join(data, folder, 'GT', stem + '.png'), cv2.IMREAD_GRAYSCALE)
            assert saved.dtype == np.uint8 and saved.shape == gt.shape == (gh, gw)
            # independent of SODMetric: the model's probability, resized by OpenCV to
            # the ground truth's size, min-max stretched to 0-255
            sample = inference_model(model, osp.join(data, folder, 'RGB', stem + '.jpg'),
                                     osp.join(data, folder, 'T', stem + '.png'))
            prob = torch.softmax(sample.seg_logits.data.double(), 0)[1].numpy()
            prob = cv2.resize(prob, (gw, gh), interpolation=cv2.INTER_LINEAR)
            expected = sm.minmax_normalize(prob) * 255
            assert np.abs(saved - expected).max() <= 0.5 + 1e-3, (name, stem)
            pred, mask = sm.minmax_normalize(saved / 255.0), gt > 127
            per_image.append((sm.mae(pred, mask), sm.s_measure(pred, mask),
                              sm.weighted_f_measure(pred, mask),
                              sm.e_measure_curve(pred, mask)))
        got = {k: float(rows[name][k]) for k in ('MAE', 'Sm', 'wF', 'maxE')}
        assert got['MAE'] == pytest.approx(np.mean([p[0] for p in per_image]), abs=1e-12)
        assert got['Sm'] == pytest.approx(np.mean([p[1] for p in per_image]), abs=1e-12)
        assert got['wF'] == pytest.approx(np.mean([p[2] for p in per_image]), abs=1e-12)
        assert got['maxE'] == pytest.approx(
            np.mean([p[3] for p in per_image], axis=0).max(), abs=1e-12)
        maes.append(got['MAE'])
        # the pictures of the three 000.jpg do not overwrite each other
        assert cv2.imread(osp.join(work, 'show', name, '000.png')) is not None
    assert len(set(maes)) == 3


# ----------------------------------------------------------- the demo picture
def test_demo_picture_shows_rgb_only_beside_rgb_thermal(tmp_path):
    """tools/run_demo.py: RGB | thermal | RGB-only prediction | RGB+thermal prediction |
    ground truth, each panel from its own array (composition checked on small arrays;
    the training run itself is the demo's)."""
    import cv2
    import numpy as np
    from rgbx_testing import load_tool
    demo = load_tool('tools/run_demo.py')
    h, w, title, gap = 6, 8, 18, 4  # panels.side_by_side
    palette = [[0, 0, 0], [10, 200, 30], [200, 40, 90], [60, 70, 250]]
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 11, 22, 33
    thermal = np.arange(h * w, dtype=np.uint16).reshape(h, w) * 1000
    gt = np.full((h, w), 3, np.uint8)
    rgb_only = np.full((h, w), 1, np.uint8)
    rgbt = np.full((h, w), 2, np.uint8)
    rgbt[0, 0] = 0
    pic = demo.demo_panel(rgb, thermal, gt, {'RGB only': rgb_only, 'RGB+thermal': rgbt},
                          palette)
    assert pic.shape == (h + title, 5 * w + 4 * gap, 3)

    def panel(i):
        return pic[title:, i * (w + gap):i * (w + gap) + w]
    assert (panel(0) == [11, 22, 33]).all()
    assert panel(1)[-1, -1].sum() > panel(1)[0, 0].sum()  # thermal ramp, stretched
    assert (panel(2) == palette[1]).all()  # RGB-only prediction
    assert (panel(3)[0, 0] == palette[0]).all() and (panel(3)[1:] == palette[2]).all()
    assert (panel(4) == palette[3]).all()  # ground truth last
    # write_panels: one file per image (path under the image folder) + the picture
    root = tmp_path / 'data' / 'rgb'
    os.makedirs(root / 'seq1')
    assert cv2.imwrite(str(root / 'seq1' / 'a.png'), rgb[..., ::-1])
    assert cv2.imwrite(str(tmp_path / 'data' / 'a_x.png'), thermal)
    img = str(root / 'seq1' / 'a.png')
    x_path = str(tmp_path / 'data' / 'a_x.png')
    preds = {'RGB only': {img: (x_path, rgb_only, gt)}, 'RGB+thermal': {img: (x_path, rgbt, gt)}}
    picture = str(tmp_path / 'demo_side_by_side.png')
    demo.write_panels(preds, str(tmp_path / 'vis'), str(root), palette, picture=picture)
    saved = cv2.imread(str(tmp_path / 'vis' / 'seq1' / 'a.png'))[..., ::-1]
    np.testing.assert_array_equal(saved, pic)
    np.testing.assert_array_equal(cv2.imread(picture)[..., ::-1], pic)
