# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""tools/analysis/benchmark.py on the tiny variants (CPU; no timing assertions)."""
import json
import os.path as osp
import runpy

import pytest
import torch

from mmrgbir.apis.benchmark import (METHODS, RATIO_COLUMNS, TABLE_COLUMNS, VARIANTS,
                                    MethodSpec, build_case_model, format_markdown,
                                    measure_case, run_benchmark)
from mmrgbir.models.utils.param_report import count_parameters

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools/analysis/benchmark.py')


def _table_rows(text: str, columns) -> list:
    """The body rows of the markdown table whose header is ``columns``."""
    lines = text.splitlines()
    start = lines.index('| ' + ' | '.join(columns) + ' |')
    assert lines[start + 1] == '|' + '|'.join(['---'] * len(columns)) + '|'
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith('|'):
            break
        cells = [c.strip() for c in line.strip('|').split('|')]
        assert len(cells) == len(columns)
        rows.append(dict(zip(columns, cells)))
    return rows


def test_benchmark_script_tiny_cpu(capsys, tmp_path):
    main = runpy.run_path(SCRIPT, run_name='benchmark')['main']
    out_json = tmp_path / 'rows.json'
    methods = ['dplnet', 'ivtuning-eva02l']   # all methods: see the next test
    rc = main(['--tiny', '--device', 'cpu', '--iters', '1', '--warmup', '0',
               '--methods', *methods, '--no-isolate', '--json', str(out_json)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert 'device cpu' in text and 'batch 1' in text and 'tiny variants' in text
    rows = _table_rows(text, TABLE_COLUMNS)
    assert len(rows) == 2 * len(methods)
    assert [r['variant'] for r in rows] == list(VARIANTS) * len(methods)
    assert [r['method'] for r in rows[::2]] == [METHODS[m].label for m in methods]
    for r in rows:
        assert r['input (H x W)'] == '64 x 64' and r['batch'] == '1'
        assert float(r['train step (ms)']) > 0 and float(r['inference (ms)']) > 0
        # CPU memory is only measured in a fresh process per case
        assert r['train peak mem (MiB)'] == r['inference peak mem (MiB)'] == 'n/a'
        if r['variant'] == 'two-stream FT':
            assert r['trainable %'] == '100.00'
        else:
            assert 0 < float(r['trainable %']) < 100
    ratios = _table_rows(text, RATIO_COLUMNS)
    assert len(ratios) == len(methods)
    raw = json.loads(out_json.read_text())
    assert raw['settings']['tiny'] and len(raw['rows']) == 2 * len(methods)
    assert not any('error' in r for r in raw['rows'])


@pytest.mark.parametrize('method', list(METHODS))
def test_baseline_is_two_trainable_copies_of_the_foundation(method):
    adapter = build_case_model(method, 'adapter', tiny=True)
    baseline = build_case_model(method, 'two-stream FT', tiny=True)
    a_train, a_total = count_parameters(adapter)
    b_train, b_total = count_parameters(baseline)
    assert b_train == b_total                       # everything trains
    assert 0 < a_train < a_total                    # the method freezes its foundation
    stream = baseline.rgb_backbone
    assert baseline.x_backbone is not stream
    assert count_parameters(baseline.x_backbone) == count_parameters(stream)
    # one stream is the foundation: the method's frozen parameters (UniRGB-IR trains
    # the ViT's relative-position tables, so those are counted as foundation too)
    frozen = a_total - a_train
    rel_pos = sum(p.numel() for n, p in adapter.named_parameters()
                  if p.requires_grad and n.startswith('vit.'))
    assert count_parameters(stream)[1] == frozen + rel_pos
    x = torch.randn(1, 3 + METHODS[method].x_channels, 64, 64)
    outs = baseline(x)
    assert isinstance(outs, tuple) and all(o.dim() == 4 for o in outs)


def test_isolated_case_reports_cpu_memory():
    result = run_benchmark(methods=['ivtuning-eva02l'], tiny=True, iters=1, warmup=0, isolate=True,
                           baseline=False, timeout=120)
    assert not result.errors, result.errors
    (row, ) = result.rows
    assert row['train_mem_mib'] > 0 and row['train_mem_mib'] >= row['infer_mem_mib']
    assert row['trainable_params'] < row['total_params']
    assert 'one subprocess per case' in format_markdown(result)


def test_errors_are_rows_not_crashes(monkeypatch):
    def broken(tiny):
        raise RuntimeError('cannot build')

    monkeypatch.setitem(METHODS, 'broken', MethodSpec('broken', 'Broken', 'none', (64, 64),
                                                      1, broken))
    result = run_benchmark(methods=['broken'], tiny=True, iters=1, warmup=0, isolate=False)
    assert len(result.errors) == 2
    text = format_markdown(result)
    assert 'error in broken / adapter: RuntimeError: cannot build' in text
    assert len(_table_rows(text, TABLE_COLUMNS)) == 2
    with pytest.raises(KeyError, match='unknown method'):
        run_benchmark(methods=['nope'])


def test_recipe_optimizers_and_shared_checkpointing():
    # each case trains with its recipe's optimizer unless one is forced
    assert {m: s.optimizer for m, s in METHODS.items()} == {
        'unirgbir-seg': 'sgd', 'unirgbir-det': 'adamw', 'dplnet': 'sgd',
        'ivtuning-eva02l': 'adam', 'ivtuning-swinl': 'adamw'}
    row = measure_case('unirgbir-det', 'two-stream FT', tiny=True, iters=1, warmup=0)
    assert row['optimizer'] == 'adamw' and row['with_cp'] is False
    row = measure_case('unirgbir-det', 'adapter', tiny=True, iters=1, warmup=0,
                       optimizer='sgd', with_cp=True)
    assert row['optimizer'] == 'sgd' and row['with_cp'] is True
    with pytest.raises(KeyError, match='optimizer'):
        measure_case('dplnet', 'adapter', tiny=True, optimizer='lion')
    # --with-cp reaches the foundation blocks of both variants alike
    for method in METHODS:
        for variant in VARIANTS:
            model = build_case_model(method, variant, tiny=True, with_cp=True)
            flags = [getattr(m, 'with_cp', None) for m in model.modules()] + [
                getattr(m, 'grad_checkpointing', None) for m in model.modules()]
            assert True in flags, (method, variant)
            x = torch.randn(1, 3 + METHODS[method].x_channels, 64, 64)
            sum(o.mean() for o in model(x)).backward()


def test_amp_runs_the_forward_passes_in_reduced_precision(monkeypatch, capsys):
    """--amp: autocast around the train step and inference (bfloat16 on the CPU,
    float16 with a gradient scaler on CUDA), recorded in the settings and rows."""
    import mmrgbir.apis.benchmark as bench
    seen = []
    build = bench.build_case_model

    def build_and_watch(*args, **kwargs):
        model = build(*args, **kwargs)
        linear = next(m for m in model.modules() if isinstance(m, torch.nn.Linear))
        linear.register_forward_hook(lambda mod, inp, out: seen.append(out.dtype))
        return model

    monkeypatch.setattr(bench, 'build_case_model', build_and_watch)
    row = measure_case('ivtuning-eva02l', 'adapter', tiny=True, iters=1, warmup=0,
                       amp=True)
    assert row['amp'] == 'bfloat16' and row['train_ms'] > 0
    assert seen and set(seen) == {torch.bfloat16}
    seen.clear()
    row = measure_case('ivtuning-eva02l', 'adapter', tiny=True, iters=1, warmup=0)
    assert row['amp'] is False and set(seen) == {torch.float32}
    # the command line
    main = runpy.run_path(SCRIPT, run_name='benchmark')['main']
    assert main(['--tiny', '--iters', '1', '--warmup', '0', '--methods', 'dplnet',
                 '--no-isolate', '--no-baseline', '--amp']) == 0
    assert 'autocast bfloat16' in capsys.readouterr().out
