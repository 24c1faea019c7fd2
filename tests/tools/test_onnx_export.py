# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""ONNX export of an RGB-X segmentor (the demo architecture): one (1, 3 + Cx, H, W)
input, logits out, equal to PyTorch under onnxruntime on CPU."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch

from rgbx_testing import REPO

onnx = pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')

DEMO = osp.join(REPO, 'configs/demo/night-rgbt_dualstream-r18-cmx_segformerhead.py')
H, W = 64, 96


@pytest.fixture(scope='module')
def model():
    from mmrgbir.apis.inference import init_model
    torch.manual_seed(0)
    m = init_model(DEMO)
    # non-trivial BatchNorm statistics, so that eval-mode normalisation is exercised
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
    return m


def test_export_normalised_input_matches_pytorch(model, tmp_path):
    from mmrgbir.apis.export import export_segmentor_onnx, onnx_parity
    out = str(tmp_path / 'seg.onnx')
    meta = export_segmentor_onnx(model, out, (H, W))
    proto = onnx.load(out)
    (inp,), (outp,) = proto.graph.input, proto.graph.output
    dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert inp.name == 'input' and dims == [1, 4, H, W]  # RGB 3 + thermal 1
    assert outp.name == 'logits'
    assert [d.dim_value for d in outp.type.tensor_type.shape.dim] == [1, 4, H, W]
    assert json.loads(meta['input_normalized']) is True
    assert json.loads(meta['x_mean']) == [110.0] and json.loads(meta['x_std']) == [50.0]
    stored = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(stored['classes']) == ['background', 'road', 'car', 'person']
    inputs = torch.randn(1, 4, H, W, generator=torch.Generator().manual_seed(1))
    assert onnx_parity(model, out, inputs) < 1e-4


def test_export_with_normalization_in_graph(model, tmp_path):
    from mmrgbir.apis.export import export_segmentor_onnx
    out = str(tmp_path / 'seg_raw.onnx')
    export_segmentor_onnx(model, out, (H, W), include_normalization=True)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (H, W, 3)).astype(np.uint8)  # RGB order
    thermal = rng.integers(0, 256, (H, W)).astype(np.uint8)
    raw = np.concatenate([rgb, thermal[..., None]], 2).transpose(2, 0, 1)[None]
    sess = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    got = sess.run(None, {'input': raw.astype(np.float32)})[0]
    # reference: the model's own preprocessor on the loader's [BGR | X] stacking
    stacked = np.concatenate([rgb[..., ::-1], thermal[..., None]], 2)
    data = model.data_preprocessor(dict(inputs=[torch.from_numpy(stacked.transpose(2, 0, 1)
                                                                 .copy())]), False)
    with torch.no_grad():
        ref = model.encode_decode(data['inputs'], [dict(img_shape=(H, W))]).numpy()
    assert np.abs(got - ref).max() < 1e-4


def test_cli_exports_and_verifies(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'tool_pytorch2onnx', osp.join(REPO, 'tools', 'deployment', 'pytorch2onnx.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'cli.onnx')
    tool.main([DEMO, '--out', out, '--shape', '32', '48'])
    text = capsys.readouterr().out
    assert 'input (1, 4, 32, 48) normalised' in text
    diff = float(text.split('max abs difference ')[1].split()[0])
    assert diff < 1e-4


def test_rejects_a_model_that_is_not_a_segmentor():
    from mmrgbir.apis.export import export_segmentor_onnx
    with pytest.raises(TypeError, match='segmentors'):
        export_segmentor_onnx(torch.nn.Conv2d(4, 2, 1), '/nonexistent.onnx', (8, 8))
