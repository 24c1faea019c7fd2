# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""tools/analysis/count_params.py: the ParameterReportHook table of a config's model."""
import os.path as osp
import runpy

from mmrgbir.models.utils.param_report import count_parameters, parameter_table

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs/demo/night-rgbt_dualstream-r18-cmx_segformerhead.py')
SCRIPT = osp.join(REPO, 'tools/analysis/count_params.py')


def test_build_model_from_cfg_counts():
    from mmrgbir.apis.analysis import build_model_from_cfg, load_config, parameter_report
    cfg = load_config(CONFIG, {'model.backbone.freeze_rgb': True})
    model = build_model_from_cfg(cfg)
    assert type(model).__name__ == 'EncoderDecoder'
    trainable, total = count_parameters(model)
    rgb_t, rgb_n = count_parameters(model.backbone.rgb_backbone)
    assert rgb_t == 0 and rgb_n > 0 and trainable == total - rgb_n
    report = parameter_report(model, depth=2)
    assert parameter_table(model, 2) in report
    assert f'trainable parameters: {trainable:,}' in report
    assert f'frozen parameters:    {rgb_n:,}' in report
    assert f'total parameters:     {total:,}' in report


def test_count_params_script(capsys):
    main = runpy.run_path(SCRIPT, run_name='count_params')['main']
    main([CONFIG, '--depth', '3', '--cfg-options', 'model.backbone.freeze_x=True',
          'model.decode_head.channels=32'])
    out = capsys.readouterr().out
    assert out.startswith('model: EncoderDecoder')
    lines = out.splitlines()
    header = lines[1].split()
    assert header == ['module', 'trainable', 'frozen', 'total']
    # depth 3 rows, e.g. backbone.x_backbone.layer1; the frozen X stream has no trainable
    row = next(line for line in lines if line.startswith('backbone.x_backbone.layer1 '))
    assert row.split()[1] == '0'
    total_line = next(line for line in lines if line.startswith('total parameters:'))
    trainable_line = next(line for line in lines if line.startswith('trainable parameters:'))
    total = int(total_line.split(':')[1].replace(',', ''))
    trainable = int(trainable_line.split(':')[1].replace(',', ''))
    assert 0 < trainable < total
    assert 'decode_head' in out
