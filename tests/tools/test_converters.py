# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Dataset converters (tools/dataset_converters) against small trees in each official
layout made here and the shared LLVIP / MSRS / MFNet samples, then the datasets of the
benchmark configs on their outputs; and tools/analysis/modality_stats.py."""
import json
import os
import os.path as osp
import shutil
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from converter_testing import check_converter_contract, cli, corrupt_file
from rgbx_testing import (DATASET_CFGS, dataset_from_config, load_tool, shared_data,
                          write_image)

import mmrgbir.datasets.benchmarks  # noqa: F401,E402  (registers the benchmark datasets)
import mmrgbir.datasets.transforms.stacked_loading  # noqa: F401,E402







def write_voc(path, filename, width, height, objects):
    """A Pascal VOC XML: objects are (name, xmin, ymin, xmax, ymax[, difficult])."""
    root = ET.Element('annotation')
    ET.SubElement(root, 'filename').text = filename
    size = ET.SubElement(root, 'size')
    for tag, value in (('width', width), ('height', height), ('depth', 3)):
        ET.SubElement(size, tag).text = str(value)
    for obj in objects:
        node = ET.SubElement(root, 'object')
        ET.SubElement(node, 'name').text = obj[0]
        ET.SubElement(node, 'difficult').text = str(obj[5] if len(obj) > 5 else 0)
        box = ET.SubElement(node, 'bndbox')
        for tag, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), obj[1:5]):
            ET.SubElement(box, tag).text = repr(float(value))
    os.makedirs(osp.dirname(str(path)), exist_ok=True)
    ET.ElementTree(root).write(str(path))


def _boxes_by_file(coco):
    names = {im['id']: im['file_name'] for im in coco['images']}
    out = {}
    for ann in coco['annotations']:
        out.setdefault(names[ann['image_id']], []).append(
            (ann['category_id'], tuple(round(v, 6) for v in ann['bbox'])))
    return {k: sorted(v) for k, v in out.items()}


# ----------------------------------------------------------------------- MFNet


def test_mfnet_converter(seg_scope, tmp_path, capsys):
    mfnet = load_tool('tools/dataset_converters/mfnet.py')
    src = tmp_path / 'ir_seg_dataset'
    names = dict(train=['00001D', '01477D'], val=['00002N'], test=['01234N'])
    samples = shared_data('rgbt_mfnet_4ch')
    rng = np.random.default_rng(0)
    for name in sum(names.values(), []):
        if osp.isfile(osp.join(samples, name + '.png')):  # the two real MFNet files
            os.makedirs(src / 'images', exist_ok=True)
            shutil.copy(osp.join(samples, name + '.png'), src / 'images')
            shape = (480, 640)
        else:
            shape = (24, 32)
            write_image(src / 'images' / f'{name}.png',
                        rng.integers(0, 256, shape + (4, ), np.uint8))
        write_image(src / 'labels' / f'{name}.png', rng.integers(0, 9, shape, np.uint8))
    for split, ids in names.items():
        (src / f'{split}.txt').write_text('\n'.join(ids) + '\n')
    out = tmp_path / 'mfnet'
    counts = mfnet.main([str(src), str(out)])
    assert counts == dict(images=4, day=2, night=2, train=2, val=1, test=1)
    printed = capsys.readouterr().out
    assert '4 pairs (2 day, 2 night)' in printed and 'trainval 3' in printed
    assert (out / 'trainval.txt').read_text().split() == ['00001D', '01477D', '00002N']
    for name in sum(names.values(), []):
        raw = cv2.imread(str(src / 'images' / f'{name}.png'), cv2.IMREAD_UNCHANGED)
        rgb = cv2.imread(str(out / 'rgb' / f'{name}.png'), cv2.IMREAD_UNCHANGED)
        thermal = cv2.imread(str(out / 'thermal' / f'{name}.png'), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(rgb, raw[..., :3])
        np.testing.assert_array_equal(thermal, raw[..., 3])
        assert (out / 'labels' / f'{name}.png').read_bytes() == \
            (src / 'labels' / f'{name}.png').read_bytes()
    # the converted tree is what the mfnet.py config reads, and matches the 4-channel one
    folders = dataset_from_config('mfnet.py', 'val_dataloader', out)
    stacked = dataset_from_config('mfnet_4ch.py', 'val_dataloader', src)
    assert len(folders) == len(stacked) == 1
    np.testing.assert_array_equal(folders[0]['inputs'].numpy(), stacked[0]['inputs'].numpy())
    assert len(dataset_from_config('mfnet.py', 'train_dataloader', out)) == 3
    # never overwrites
    with pytest.raises(FileExistsError, match=str(out)):
        mfnet.main([str(src), str(out)])


def test_mfnet_converter_errors(tmp_path):
    mfnet = load_tool('tools/dataset_converters/mfnet.py')
    src = tmp_path / 'src'
    write_image(src / 'images' / 'a.png', np.zeros((8, 8, 3), np.uint8))
    write_image(src / 'labels' / 'a.png', np.zeros((8, 8), np.uint8))
    for split in ('train', 'val', 'test'):
        (src / f'{split}.txt').write_text('a\n')
    with pytest.raises(ValueError, match=r'images/a\.png has 3 channel\(s\); expected 4'):
        mfnet.convert_mfnet(str(src), str(tmp_path / 'out1'))
    (src / 'test.txt').write_text('a\nmissing\n')
    with pytest.raises(FileNotFoundError, match=r"test\.txt lists 1 name.*'missing'"):
        mfnet.convert_mfnet(str(src), str(tmp_path / 'out2'))


# ----------------------------------------------------------------------- LLVIP


def _llvip_tree(tmp_path):
    """The official LLVIP layout holding the shared test samples, with XML made from
    the shared COCO json."""
    data = shared_data('rgbt_det_llvip')
    with open(osp.join(data, 'annotations_coco.json')) as f:
        coco = json.load(f)
    root = tmp_path / 'LLVIP'
    for modality in ('visible', 'infrared'):
        os.makedirs(root / modality / 'test')
        for im in coco['images']:
            os.symlink(osp.join(data, modality, im['file_name']),
                       root / modality / 'test' / im['file_name'])
    by_image = {}
    for ann in coco['annotations']:
        x, y, w, h = ann['bbox']
        by_image.setdefault(ann['image_id'], []).append(('person', x, y, x + w, y + h))
    for im in coco['images']:
        write_voc(root / 'Annotations' / (osp.splitext(im['file_name'])[0] + '.xml'),
                  im['file_name'], int(im['width']), int(im['height']),
                  by_image.get(im['id'], []))
    return root, coco


def test_llvip_voc_round_trip(det_scope, tmp_path, capsys):
    llvip = load_tool('tools/dataset_converters/llvip.py')
    root, coco = _llvip_tree(tmp_path)
    summaries = llvip.main([str(root), '--out-dir', str(root / 'coco'), '--splits', 'test'])
    assert summaries['test'].startswith('12 images') and '27 boxes (person 27' in \
        summaries['test']
    assert 'LLVIP test: 12 images' in capsys.readouterr().out
    with open(root / 'coco' / 'llvip_test.json') as f:
        converted = json.load(f)
    original = {f'test/{k}': v for k, v in _boxes_by_file(coco).items()}
    assert _boxes_by_file(converted) == original  # every box equal, image by image
    assert sorted(im['file_name'] for im in converted['images']) == \
        sorted(f'test/{im["file_name"]}' for im in coco['images'])
    # the llvip.py config reads the output
    ds = dataset_from_config('llvip.py', 'test_dataloader', root)
    assert type(ds).__name__ == 'LLVIPDataset' and len(ds) == 12
    assert sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds))) == 27
    item = ds[0]
    assert item['inputs'].shape == (4, 512, 640)
    assert item['data_samples'].metainfo['x_path'].startswith(str(root / 'infrared' / 'test'))
    with pytest.raises(FileExistsError, match='llvip_test.json'):
        llvip.main([str(root), '--out-dir', str(root / 'coco'), '--splits', 'test'])


def test_voc_errors_name_the_file(tmp_path):
    from mmrgbir.datasets.benchmarks.annotation_formats import read_voc_xml
    bad = tmp_path / 'no_size.xml'
    bad.write_text('<annotation><object><name>person</name><bndbox><xmin>1</xmin>'
                   '<ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>')
    with pytest.raises(ValueError, match=r'no_size\.xml: no <size> element'):
        read_voc_xml(str(bad))
    write_voc(tmp_path / 'empty_box.xml', 'a.jpg', 10, 10, [('person', 5, 5, 5, 9)])
    with pytest.raises(ValueError, match=r'empty_box\.xml: <object> #0 \(person\) has an '
                                         r'empty box'):
        read_voc_xml(str(tmp_path / 'empty_box.xml'))
    (tmp_path / 'broken.xml').write_text('<annotation><size>')
    with pytest.raises(ValueError, match=r'broken\.xml: not a valid XML'):
        read_voc_xml(str(tmp_path / 'broken.xml'))


# ---------------------------------------------------------------- FLIR, M3FD


def _jpg(path, w=32, h=24, value=0):
    write_image(path, np.full((h, w, 3), value, np.uint8))


def test_flir_aligned_converter(det_scope, tmp_path, capsys):
    flir = load_tool('tools/dataset_converters/flir_aligned.py')
    root = tmp_path / 'FLIR_aligned' / 'align'
    boxes = {'FLIR_00002': [('person', 1, 2, 11, 20), ('car', 5, 5, 30, 15)],
             'FLIR_00005': [('bicycle', 2, 3, 12, 13), ('dog', 0, 0, 5, 5)],
             'FLIR_08863': [('car', 3, 3, 20, 20, 1)]}
    for pair, objects in boxes.items():
        _jpg(root / 'JPEGImages' / f'{pair}_RGB.jpg')
        _jpg(root / 'JPEGImages' / f'{pair}_PreviewData.jpeg', value=99)
        write_voc(root / 'Annotations' / f'{pair}_PreviewData.xml',
                  f'{pair}_PreviewData.jpeg', 32, 24, objects)
    (root / 'align_train.txt').write_text('FLIR_00002_PreviewData\nFLIR_00005\n')
    (root / 'align_validation.txt').write_text('FLIR_08863\n')
    out = tmp_path / 'FLIR_aligned' / 'coco'
    summaries = flir.main([str(root), '--out-dir', str(out)])
    assert "dropped {'dog': 1}" in summaries['train']
    assert 'FLIR-aligned test: 1 images' in capsys.readouterr().out
    with open(out / 'flir_aligned_train.json') as f:
        train = json.load(f)
    assert [c['name'] for c in train['categories']] == ['person', 'car', 'bicycle']
    assert train['images'][0]['file_name'] == 'FLIR_00002_RGB.jpg'
    assert train['images'][0]['x_file_name'] == 'FLIR_00002_PreviewData.jpeg'
    assert _boxes_by_file(train)['FLIR_00002_RGB.jpg'] == [(1, (1.0, 2.0, 10.0, 18.0)),
                                                          (2, (5.0, 5.0, 25.0, 10.0))]
    with open(out / 'flir_aligned_test.json') as f:
        test = json.load(f)
    assert test['annotations'][0]['iscrowd'] == 1  # difficult -> ignore region
    ds = dataset_from_config('flir_aligned.py', 'train_dataloader', tmp_path / 'FLIR_aligned',
                              filter_cfg=None)
    assert len(ds) == 2
    item = ds[0]
    assert item['data_samples'].metainfo['x_path'].endswith('FLIR_00002_PreviewData.jpeg')
    assert item['inputs'].shape[0] == 4 and (item['inputs'][3] >= 95).all()  # thermal = 99
    test_ds = dataset_from_config('flir_aligned.py', 'test_dataloader',
                                   tmp_path / 'FLIR_aligned')
    assert test_ds.get_data_info(0)['instances'][0]['ignore_flag'] == 1
    # copies that keep the lists under ImageSets/Main/ convert the same
    (root / 'ImageSets' / 'Main').mkdir(parents=True)
    for name in ('align_train.txt', 'align_validation.txt'):
        os.replace(root / name, root / 'ImageSets' / 'Main' / name)
    flir.main([str(root), '--out-dir', str(tmp_path / 'nested')])
    with open(tmp_path / 'nested' / 'flir_aligned_train.json') as f:
        assert json.load(f) == train
    os.remove(root / 'JPEGImages' / 'FLIR_00005_RGB.jpg')
    with pytest.raises(FileNotFoundError, match='FLIR_00005_RGB.jpg'):
        flir.main([str(root), '--out-dir', str(tmp_path / 'other')])


def test_m3fd_converter_hash_split_and_lists(det_scope, tmp_path):
    m3fd = load_tool('tools/dataset_converters/m3fd.py')
    root = tmp_path / 'M3FD' / 'M3FD_Detection'
    ids = [f'{i:05d}' for i in range(12)]
    for i, stem in enumerate(ids):
        _jpg(root / 'Vis' / f'{stem}.png')
        _jpg(root / 'Ir' / f'{stem}.png')
        write_voc(root / 'Annotation' / f'{stem}.xml', f'{stem}.png', 32, 24,
                  [('people', 1, 1, 10, 20), ('Lamp', 2, 2, 6, 6 + i % 3)])
    out = tmp_path / 'M3FD' / 'coco'
    m3fd.main([str(root), '--out-dir', str(out), '--test-ratio', '0.25'])
    with open(out / 'm3fd_train.json') as f:
        train = json.load(f)
    with open(out / 'm3fd_test.json') as f:
        test = json.load(f)
    train_ids = {im['file_name'] for im in train['images']}
    test_ids = {im['file_name'] for im in test['images']}
    assert train_ids.isdisjoint(test_ids) and len(train_ids | test_ids) == 12 and test_ids
    # the hash split of one id does not depend on the other files
    from mmrgbir.datasets.benchmarks.annotation_formats import hash_split
    assert test_ids == {f'{s}.png' for s in ids if hash_split(s, 0.25, 0) == 'val'}
    assert [c['name'] for c in train['categories']] == ['People', 'Car', 'Bus', 'Motorcycle',
                                                         'Lamp', 'Truck']
    assert {a['category_id'] for a in train['annotations']} == {1, 5}  # 'people' -> People
    ds = dataset_from_config('m3fd.py', 'test_dataloader', tmp_path / 'M3FD')
    assert len(ds) == len(test_ids) and ds[0]['inputs'].shape[0] == 4
    # given lists
    (tmp_path / 'train.txt').write_text('00000\n00001\n')
    (tmp_path / 'test.txt').write_text('00002\n')
    m3fd.main([str(root), '--out-dir', str(tmp_path / 'listed'), '--train-list',
               str(tmp_path / 'train.txt'), '--test-list', str(tmp_path / 'test.txt')])
    with open(tmp_path / 'listed' / 'm3fd_test.json') as f:
        assert [im['file_name'] for im in json.load(f)['images']] == ['00002.png']
    (tmp_path / 'test.txt').write_text('00001\n')
    with pytest.raises(ValueError, match='in both lists'):
        m3fd.main([str(root), '--out-dir', str(tmp_path / 'x'), '--train-list',
                   str(tmp_path / 'train.txt'), '--test-list', str(tmp_path / 'test.txt')])


# ----------------------------------------------------------------------- KAIST

BBGT = '% bbGt version=3\n'


def _kaist_tree(tmp_path):
    """KAIST images and annotations in the nested, flat and paired layouts."""
    root = tmp_path / 'kaist-rgbt'
    frames = ['set00/V000/I00001', 'set06/V001/I00019', 'set09/V000/I00039']
    for frame in frames:
        s, v, i = frame.split('/')
        _jpg(root / 'images' / s / v / 'visible' / f'{i}.jpg', 640, 512)
        _jpg(root / 'images' / s / v / 'lwir' / f'{i}.jpg', 640, 512, value=50)
    lines = {
        # person 80 px tall, no occlusion; person heavily occluded; a crowd ("people")
        'set00/V000/I00001': ['person 100 100 40 80 0 0 0 0 0 0 0',
                              'person 300 120 30 70 2 0 0 0 0 0 0',
                              'people 400 100 60 90 0 0 0 0 0 0 0'],
        # a small person (< 55 px) and a cyclist
        'set06/V001/I00019': ['person 200 200 20 40 1 0 0 0 0 0 0',
                              'cyclist 50 60 40 90 0 0 0 0 0 0 0'],
        # an ignore-flagged person and a regular one
        'set09/V000/I00039': ['person 10 20 30 60 0 0 0 0 0 1 0',
                              'person 500 150 40 100 1 500 150 40 60 0 0'],
    }
    for frame, rows in lines.items():
        s, v, i = frame.split('/')
        for path in (root / 'annotations' / s / v / f'{i}.txt',
                     root / 'improved' / f'{s}_{v}_{i}.txt',
                     root / 'paired' / s / v / 'visible' / f'{i}.txt'):
            os.makedirs(path.parent, exist_ok=True)
            path.write_text(BBGT + '\n'.join(rows) + '\n')
        # lwir boxes shifted by 3 px (same objects, same order)
        lwir = [' '.join([r.split()[0], str(int(r.split()[1]) + 3)] + r.split()[2:])
                for r in rows]
        path = root / 'paired' / s / v / 'lwir' / f'{i}.txt'
        os.makedirs(path.parent, exist_ok=True)
        path.write_text(BBGT + '\n'.join(lwir) + '\n')
    (root / 'train.txt').write_text('\n'.join(frames) + '\n')
    (root / 'test.txt').write_text('\n'.join(f.replace('/', '_') for f in frames) + '\n')
    return root


def test_kaist_converter_keeps_ignore_height_occlusion(det_scope, tmp_path):
    kaist = load_tool('tools/dataset_converters/kaist.py')
    root = _kaist_tree(tmp_path)
    images = str(root / 'images')
    outs = {}
    for layout, ann, lst in (('nested', 'annotations', 'train.txt'),
                             ('flat', 'improved', 'test.txt'),
                             ('paired', 'paired', 'train.txt')):
        outs[layout] = root / 'coco' / f'kaist_{layout}.json'
        summary = kaist.main([images, str(root / ann), '--list', str(root / lst), '--out',
                              str(outs[layout]), '--ann-layout', layout])
        assert summary.startswith('3 images (0 without boxes), 7 boxes (person 7; 3 ignore')
    jsons = {k: json.load(open(v)) for k, v in outs.items()}
    assert jsons['nested']['images'] == jsons['flat']['images']
    strip = [{k: v for k, v in a.items() if k != 'x_bbox'} for a in
             jsons['paired']['annotations']]
    assert jsons['nested']['annotations'] == jsons['flat']['annotations'] == strip
    anns = jsons['nested']['annotations']
    assert [a['iscrowd'] for a in anns] == [0, 0, 1, 0, 1, 1, 0]
    assert [a['occlusion'] for a in anns] == [0, 2, 0, 1, 0, 0, 1]
    assert [a['height'] for a in anns] == [80, 70, 90, 40, 90, 60, 100]
    assert [a['kaist_label'] for a in anns][2:5] == ['people', 'person', 'cyclist']
    im = jsons['nested']['images'][1]
    assert (im['file_name'], im['x_file_name'], im['width'], im['height']) == \
        ('set06/V001/visible/I00019.jpg', 'set06/V001/lwir/I00019.jpg', 640, 512)
    assert jsons['paired']['annotations'][0]['x_bbox'] == [103.0, 100.0, 40.0, 80.0]

    # the kaist.py config reads the json; instances carry what the metric needs
    os.rename(outs['flat'], root / 'coco' / 'kaist_test_improved.json')
    ds = dataset_from_config('kaist.py', 'test_dataloader', root)
    instances = ds.get_data_info(0)['instances']
    assert [(i['ignore_flag'], i['height'], i['occlusion']) for i in instances] == \
        [(0, 80, 0), (0, 70, 2), (1, 90, 0)]
    from mmengine.registry import METRICS
    metric_cfg = Config.fromfile(osp.join(DATASET_CFGS, 'kaist.py')).val_evaluator

    def evaluate(drop_ignore=False):
        metric = METRICS.build(metric_cfg)
        metric.dataset_meta = ds.metainfo
        samples = []
        for i in range(len(ds)):
            sample = ds[i]['data_samples']
            instances = sample.metainfo['instances']
            # detect only the regular boxes of the "reasonable" setting (>= 55 px, not
            # heavily occluded), and put the highest-scoring detection on the crowd box
            boxes = [inst['bbox'] for inst in instances if not inst['ignore_flag']
                     and inst['height'] >= 55 and inst['occlusion'] < 2]
            if i == 0:
                boxes.insert(0, [400, 100, 460, 190])
            out = sample.to_dict()
            if drop_ignore:
                out['instances'] = [dict(inst, ignore_flag=0) for inst in instances]
            out['pred_instances'] = dict(
                bboxes=np.array(boxes, np.float32).reshape(-1, 4),
                scores=np.linspace(0.9, 0.5, len(boxes)), labels=np.zeros(len(boxes), int))
            samples.append(out)
        metric.process({}, samples)
        return metric.compute_metrics(metric.results)

    results = evaluate()
    # the crowd detection is absorbed by its ignore region; the 70 px heavily occluded
    # and the 40 px persons are ignored by "reasonable" (occlusion / height survived)
    for setting in ('reasonable', 'day', 'night'):  # day: set00 / set06, night: set09
        assert results[f'MR_{setting}'] == pytest.approx(0.0, abs=1e-6), setting
    assert results['MR_all'] > 10  # no height / occlusion limit: two misses
    # without the ignore flags the crowd detection is a false positive at top score
    assert evaluate(drop_ignore=True)['MR_reasonable'] > 10


def test_kaist_errors(tmp_path):
    kaist = load_tool('tools/dataset_converters/kaist.py')
    root = _kaist_tree(tmp_path)
    bad = root / 'annotations' / 'set00' / 'V000' / 'I00001.txt'
    bad.write_text(BBGT + 'person 1 2 3 4 0 0\n')
    with pytest.raises(ValueError, match=r'I00001\.txt:2: expected .*12 fields.* got 7'):
        kaist.main([str(root / 'images'), str(root / 'annotations'), '--list',
                    str(root / 'train.txt'), '--out', str(tmp_path / 'a.json')])
    (root / 'bad_list.txt').write_text('set00/V000/frame1\n')
    with pytest.raises(ValueError, match='not a KAIST frame id'):
        kaist.main([str(root / 'images'), str(root / 'annotations'), '--list',
                    str(root / 'bad_list.txt'), '--out', str(tmp_path / 'b.json')])


# ------------------------------------------------------------------ YOLO (MSRS)


def test_msrs_yolo_to_coco(det_scope, tmp_path, capsys):
    yolo = load_tool('tools/dataset_converters/yolo_to_coco.py')
    msrs = shared_data('rgbt_msrs')
    out = tmp_path / 'msrs_train.json'
    summary = yolo.main([osp.join(msrs, 'vi'), osp.join(msrs, 'labels_yolo', 'fusion'),
                         '--classes', osp.join(msrs, 'labels_yolo', 'classes.txt'),
                         '--x-images', osp.join(msrs, 'ir'),
                         '--split-json', osp.join(msrs, 'msrs_split.json'), '--split', 'train',
                         '--out', str(out)])
    assert 'YOLO -> COCO: 8 images' in capsys.readouterr().out
    with open(out) as f:
        coco = json.load(f)
    with open(osp.join(msrs, 'msrs_split.json')) as f:
        train_ids = sorted(k for k, v in json.load(f).items() if v == 'train')
    assert [im['file_name'] for im in coco['images']] == [f'{i}.png' for i in train_ids]
    assert [c['name'] for c in coco['categories']] == ['person', 'bicycle', 'car']
    expected_boxes = 0
    for im in coco['images']:
        assert (im['width'], im['height']) == (640, 480)
        rows = [line.split() for line in open(osp.join(
            msrs, 'labels_yolo', 'fusion', im['file_name'].replace('.png', '.txt')))
            if line.strip()]
        anns = [a for a in coco['annotations'] if a['image_id'] == im['id']]
        assert len(anns) == len(rows)
        for row, ann in zip(rows, anns):
            cls, cx, cy, w, h = int(row[0]), *map(float, row[1:])
            x1, y1 = max(0, (cx - w / 2) * 640), max(0, (cy - h / 2) * 480)
            x2, y2 = min(640, (cx + w / 2) * 640), min(480, (cy + h / 2) * 480)
            assert ann['category_id'] == cls + 1
            np.testing.assert_allclose(ann['bbox'], [x1, y1, x2 - x1, y2 - y1], atol=1e-6)
        expected_boxes += len(rows)
    assert len(coco['annotations']) == expected_boxes > 0
    assert summary.startswith(f'8 images (0 without boxes), {expected_boxes} boxes')
    from mmrgbir.datasets.rgbx_coco import RGBXCocoDataset
    ds = RGBXCocoDataset(data_root=msrs, ann_file=str(out), data_prefix=dict(img='vi', x='ir'),
                         metainfo=dict(classes=('person', 'bicycle', 'car')),
                         pipeline=[dict(type='LoadRGBXImageFromFile', x_channels=1),
                                   dict(type='LoadAnnotations', with_bbox=True),
                                   dict(type='PackRGBXDetInputs')])
    assert len(ds) == 8 and ds[0]['inputs'].shape == (4, 480, 640)
    with pytest.raises(FileExistsError, match='msrs_train.json'):
        yolo.main([osp.join(msrs, 'vi'), osp.join(msrs, 'labels_yolo', 'fusion'),
                   '--classes', 'person,bicycle,car', '--out', str(out)])


def test_yolo_errors_name_file_and_line(tmp_path):
    yolo = load_tool('tools/dataset_converters/yolo_to_coco.py')
    write_image(tmp_path / 'img' / 'a.png', np.zeros((10, 20, 3), np.uint8))
    os.makedirs(tmp_path / 'lbl')
    (tmp_path / 'lbl' / 'a.txt').write_text('0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2\n')
    args = [str(tmp_path / 'img'), str(tmp_path / 'lbl'), '--classes', 'a,b']
    with pytest.raises(ValueError, match=r'a\.txt:2: expected 5 values .* got 4'):
        yolo.main(args + ['--out', str(tmp_path / 'o1.json')])
    (tmp_path / 'lbl' / 'a.txt').write_text('2 0.5 0.5 0.2 0.2\n')
    with pytest.raises(ValueError, match=r'a\.txt:1: class 2 outside 0\.\.1'):
        yolo.main(args + ['--out', str(tmp_path / 'o2.json')])
    (tmp_path / 'lbl' / 'a.txt').write_text('1 0.5 0.5 0.2 0.2\n')
    yolo.main(args + ['--out', str(tmp_path / 'o3.json')])
    with open(tmp_path / 'o3.json') as f:
        np.testing.assert_allclose(json.load(f)['annotations'][0]['bbox'], [8, 4, 4, 2])


# --------------------------------------- every converter: atomic output, --nproc


def test_mfnet_atomic_and_nproc(tmp_path):
    mfnet = load_tool('tools/dataset_converters/mfnet.py')
    src = tmp_path / 'src'
    rng = np.random.default_rng(1)
    names = ['00001D', '00002N', '00003D', '00004N', '00005D']
    for name in names:
        write_image(src / 'images' / f'{name}.png', rng.integers(0, 256, (6, 8, 4), np.uint8))
        write_image(src / 'labels' / f'{name}.png', rng.integers(0, 9, (6, 8), np.uint8))
    for split, ids in (('train', names[:3]), ('val', names[3:4]), ('test', names[4:])):
        (src / f'{split}.txt').write_text('\n'.join(ids) + '\n')
    broken, fixed = corrupt_file(src / 'images' / '00003D.png')  # the middle image
    ref = check_converter_contract(cli(mfnet.main, src, '{out}'), tmp_path / 'out', broken,
                                   fixed, OSError, r'cannot decode MFNet image .*00003D\.png',
                                   tamper='rgb/00001D.png')
    assert len(ref) == 3 * 5 + 4  # rgb, thermal, label per image; 4 lists


def _voc_tree(root, stems, vis='Vis', ir='Ir', ann='Annotation'):
    """Images and a VOC XML per stem, each with distinct boxes."""
    for i, stem in enumerate(stems):
        _jpg(root / vis / f'{stem}.png', value=i)
        _jpg(root / ir / f'{stem}.png', value=100 + i)
        write_voc(root / ann / f'{osp.basename(stem)}.xml', f'{stem}.png', 32, 24,
                  [('people', 1, 1, 10 + i, 20), ('lamp', 2, 2, 6, 6 + i)])


def test_m3fd_atomic_and_nproc(tmp_path):
    m3fd = load_tool('tools/dataset_converters/m3fd.py')
    root = tmp_path / 'M3FD_Detection'
    _voc_tree(root, [f'{i:05d}' for i in range(8)])
    broken, fixed = corrupt_file(root / 'Annotation' / '00004.xml', b'<annotation><size>')
    ref = check_converter_contract(cli(m3fd.main, root, '--out-dir', '{out}'),
                                   tmp_path / 'out', broken, fixed, ValueError,
                                   r'00004\.xml: not a valid XML', tamper='m3fd_train.json')
    assert sorted(ref) == ['m3fd_test.json', 'm3fd_train.json']


def test_llvip_atomic_and_nproc(tmp_path):
    llvip = load_tool('tools/dataset_converters/llvip.py')
    root = tmp_path / 'LLVIP'
    # train 010001..010003, test 190001..190003; the test split is converted second
    stems = [f'train/01000{i}' for i in (1, 2, 3)] + [f'test/19000{i}' for i in (1, 2, 3)]
    _voc_tree(root, stems, vis='visible', ir='infrared', ann='Annotations')
    broken, fixed = corrupt_file(root / 'Annotations' / '190002.xml', b'<annotation><size>')
    check_converter_contract(cli(llvip.main, root, '--out-dir', '{out}'), tmp_path / 'out',
                             broken, fixed, ValueError, r'190002\.xml: not a valid XML',
                             tamper='llvip_train.json')


def test_flir_aligned_atomic_and_nproc(tmp_path):
    flir = load_tool('tools/dataset_converters/flir_aligned.py')
    root = tmp_path / 'align'
    pairs = [f'FLIR_0000{i}' for i in range(1, 7)]
    for i, pair in enumerate(pairs):
        _jpg(root / 'JPEGImages' / f'{pair}_RGB.jpg')
        _jpg(root / 'JPEGImages' / f'{pair}_PreviewData.jpeg', value=99)
        write_voc(root / 'Annotations' / f'{pair}_PreviewData.xml',
                  f'{pair}_PreviewData.jpeg', 32, 24, [('car', 1, 2, 11 + i, 20)])
    (root / 'align_train.txt').write_text('\n'.join(pairs[:3]) + '\n')
    (root / 'align_validation.txt').write_text('\n'.join(pairs[3:]) + '\n')
    # a bad XML in the second list: the train json, complete by then, must not remain
    broken, fixed = corrupt_file(root / 'Annotations' / 'FLIR_00005_PreviewData.xml',
                                 b'<annotation><size>')
    check_converter_contract(cli(flir.main, root, '--out-dir', '{out}'), tmp_path / 'out',
                             broken, fixed, ValueError, r'FLIR_00005_PreviewData\.xml',
                             tamper='flir_aligned_test.json')


def test_kaist_atomic_and_nproc(tmp_path):
    kaist = load_tool('tools/dataset_converters/kaist.py')
    root = _kaist_tree(tmp_path)
    broken, fixed = corrupt_file(root / 'paired' / 'set06' / 'V001' / 'visible' / 'I00019.txt',
                                 (BBGT + 'person 1 2 3\n').encode())
    check_converter_contract(
        cli(kaist.main, root / 'images', root / 'paired', '--list', root / 'train.txt',
            '--ann-layout', 'paired', '--out', '{out}'),
        tmp_path / 'out', broken, fixed, ValueError, r'I00019\.txt:2')


def test_yolo_atomic_and_nproc(tmp_path):
    yolo = load_tool('tools/dataset_converters/yolo_to_coco.py')
    for i in range(5):
        write_image(tmp_path / 'img' / f'{i}.png', np.zeros((10 + i, 20, 3), np.uint8))
        write_image(tmp_path / 'x' / f'{i}.png', np.zeros((10 + i, 20), np.uint8))
        os.makedirs(tmp_path / 'lbl', exist_ok=True)
        (tmp_path / 'lbl' / f'{i}.txt').write_text(f'{i % 2} 0.5 0.5 0.{i + 1} 0.2\n')
    broken, fixed = corrupt_file(tmp_path / 'lbl' / '2.txt', b'0 0.5 0.5\n')
    check_converter_contract(
        cli(yolo.main, tmp_path / 'img', tmp_path / 'lbl', '--classes', 'a,b', '--x-images',
            tmp_path / 'x', '--out', '{out}'),
        tmp_path / 'out', broken, fixed, ValueError, r'2\.txt:1: expected 5 values')


# ------------------------------------------------------------- modality stats


def test_modality_stats_folders_and_config(seg_scope, tmp_path):
    stats_tool = load_tool('tools/analysis/modality_stats.py')
    rng = np.random.default_rng(0)
    rgbs, xs = [], []
    for i, (h, w) in enumerate(((12, 16), (20, 10))):
        rgb = rng.integers(0, 256, (h, w, 3), np.uint8)
        x = rng.integers(0, 4000, (h, w), np.uint16)
        x[0, :] = 0  # invalid depth
        write_image(tmp_path / 'rgb' / f'{i}.png', rgb[..., ::-1])  # stored RGB
        write_image(tmp_path / 'x' / f'{i}.png', x)
        rgbs.append(rgb.reshape(-1, 3))
        xs.append(x.reshape(-1))
    rgb_all, x_all = np.concatenate(rgbs).astype(np.float64), np.concatenate(xs)
    stats = stats_tool.main(['--rgb-dir', str(tmp_path / 'rgb'), '--x-dir',
                             str(tmp_path / 'x')])
    np.testing.assert_allclose(stats['mean'], rgb_all.mean(0), atol=1e-3)  # RGB order
    np.testing.assert_allclose(stats['std'], rgb_all.std(0), atol=1e-3)
    np.testing.assert_allclose(stats['x_mean'], [x_all.mean()], atol=1e-3)
    np.testing.assert_allclose(stats['x_std'], [x_all.std()], atol=1e-3)
    assert stats['images'] == 2 and stats['x_dtype'] == ['uint16']
    # the images are measured on 2 processes and combined in the same order: equal
    assert stats_tool.main(['--rgb-dir', str(tmp_path / 'rgb'), '--x-dir',
                            str(tmp_path / 'x'), '--nproc', '2']) == stats
    valid = x_all[x_all > 0].astype(np.float64)
    nz = stats_tool.main(['--rgb-dir', str(tmp_path / 'rgb'), '--x-dir', str(tmp_path / 'x'),
                          '--x-ignore-zero', '--out', str(tmp_path / 'stats.json')])
    np.testing.assert_allclose(nz['x_mean'], [valid.mean()], atol=1e-3)
    assert nz['x_pixels'] == valid.size
    assert json.load(open(tmp_path / 'stats.json'))['x_std'] == nz['x_std']
    # from a config: the loader of its training pipeline, on its training split
    root = tmp_path / 'pst'
    for split in ('train', 'test'):
        for folder in ('rgb', 'thermal'):
            shutil.copytree(tmp_path / ('x' if folder == 'thermal' else 'rgb'),
                            root / split / folder)
        for i, (h, w) in enumerate(((12, 16), (20, 10))):  # single-channel label maps
            write_image(root / split / 'labels' / f'{i}.png', np.zeros((h, w), np.uint8))
    cfg = tmp_path / 'pst_cfg.py'
    cfg.write_text(f"_base_ = ['{DATASET_CFGS}/pst900.py']\n"
                   f"train_dataloader = dict(dataset=dict(data_root='{root}'))\n"
                   f"custom_imports = dict(imports=['mmrgbir'])\ndefault_scope = 'mmseg'\n")
    # the pst900 loader keeps 1 X channel; 16-bit X arrives as float32, exactly
    from_cfg = stats_tool.main([str(cfg)])
    assert from_cfg['images'] == 2
    assert stats_tool.main([str(cfg), '--nproc', '2']) == from_cfg
    np.testing.assert_allclose(from_cfg['x_mean'], stats['x_mean'], atol=1e-3)
    np.testing.assert_allclose(from_cfg['mean'], stats['mean'], atol=1e-3)
