# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""tools/gpu_check.sh without a GPU: syntax, the dry run's commands, the failure exit
code and the embedded deformable-attention check (which must refuse to run on CPU)."""
import glob
import os
import os.path as osp
import re
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools/gpu_check.sh')


def run(*args, env=None, timeout=120):
    return subprocess.run(['bash', SCRIPT, *args], capture_output=True, text=True,
                          cwd=REPO, env=dict(os.environ, **(env or {})), timeout=timeout)


def test_syntax():
    assert subprocess.run(['bash', '-n', SCRIPT]).returncode == 0


def test_dry_run_prints_every_check_and_writes_nothing(tmp_path):
    work = tmp_path / 'gpu'
    res = run('--dry-run', '--work-dir', str(work), env={'PYTHON': sys.executable})
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert not work.exists()          # a dry run creates nothing
    lines = [line for line in out.splitlines() if line.startswith('[dry-run]')]
    steps = [line.split()[1] for line in lines]
    tiny = sorted(glob.glob(osp.join(REPO, 'configs/*/tiny/*.py')))
    assert len(tiny) >= 3
    assert steps[:2] == ['env', 'benchmark'] and steps[2] == 'deform_attn'
    assert sorted(steps[3:]) == sorted('train/' + osp.basename(c)[:-3] for c in tiny)
    bench = lines[1]
    for flag in ('tools/analysis/benchmark.py', '--device cuda', '--amp'):
        assert flag in bench
    assert '--no-baseline' not in bench
    for line, cfg in zip(lines[3:], tiny):
        assert 'tools/train.py' in line and ' --amp' in line and cfg in out
        assert 'CUDA available: True' in line       # the run must have used the GPU
    assert 'dry run: nothing was checked' in out
    # the summary table lists every step
    assert len(re.findall(r'^\| (env|benchmark|deform_attn|train/)', out, re.M)) == \
        3 + len(tiny)


def test_options_and_usage_errors(tmp_path):
    res = run('--dry-run', '--work-dir', str(tmp_path / 'w'), '--no-baseline',
              '--skip', 'train', '--skip', 'env')
    assert res.returncode == 0
    steps = [line.split()[1] for line in res.stdout.splitlines()
             if line.startswith('[dry-run]')]
    assert steps == ['benchmark', 'deform_attn']
    assert '--no-baseline' in res.stdout
    assert run('--bogus').returncode == 2
    assert run('--skip', 'nothing').returncode == 2


def test_a_failing_step_fails_the_script(tmp_path):
    # a Python that fails: the env step fails, the script says so and exits 1
    res = run('--work-dir', str(tmp_path / 'w'), '--skip', 'benchmark', '--skip',
              'deform_attn', '--skip', 'train', env={'PYTHON': '/bin/false'})
    assert res.returncode == 1
    assert re.search(r'^\| env +\| FAIL \(exit 1\)', res.stdout, re.M)
    assert 'GPU check FAILED' in res.stdout


def test_deformable_attention_check_refuses_cpu(tmp_path):
    """The embedded Python check compiles, imports what it compares and stops with a
    clear message without CUDA (it never compares the CPU path with itself)."""
    text = open(SCRIPT).read()
    code = text.split("<<'PYEOF'\n", 1)[1].split('\nPYEOF\n', 1)[0]
    compile(code, 'ms_deform_attn_check.py', 'exec')
    path = tmp_path / 'check.py'
    path.write_text(code)
    res = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         cwd=REPO, env=dict(os.environ, CUDA_VISIBLE_DEVICES=''),
                         timeout=120)
    assert res.returncode == 1 and 'no CUDA device' in res.stderr
