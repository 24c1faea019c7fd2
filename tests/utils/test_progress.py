# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""mmrgbir.utils.progress: the progress-tracked, process-parallel map of the tools."""
import io
import multiprocessing as mp
import os

import numpy as np
import pytest

from mmrgbir.utils.progress import check_nproc, format_eta, track_map

_WORKER = {}


def _init(tag):
    _WORKER['tag'] = tag
    _WORKER['pid'] = os.getpid()


def test_results_in_task_order_for_any_nproc_and_closures_run_in_workers():
    offset = np.arange(3) * 1000  # captured by a closure: never pickled

    def work(task):
        return task * 7 + offset, os.getpid()

    tasks = [5, 1, 4, 2, 3]
    expected = [t * 7 + offset for t in tasks]
    for nproc in (1, 2, 8):  # 8 > tasks: capped
        bar = io.StringIO()
        out = track_map(work, tasks, nproc, file=bar)
        for got, want in zip([o[0] for o in out], expected):
            np.testing.assert_array_equal(got, want)
        pids = {o[1] for o in out}
        assert (pids == {os.getpid()}) if nproc == 1 else (os.getpid() not in pids)
        text = bar.getvalue()  # mmengine's bar: done / total, rate, ETA
        assert '5/5' in text and 'ETA' in text and text.endswith('\n')
    assert mp.active_children() == []  # no worker outlives the call
    assert track_map(work, [], 2) == []


def test_initializer_runs_once_per_worker_and_in_process_for_nproc_1():
    out = track_map(lambda t: (_WORKER['tag'], _WORKER['pid'], t), range(6), 2,
                    initializer=_init, initargs=('w', ), progress=False)
    assert [o[2] for o in out] == list(range(6)) and {o[0] for o in out} == {'w'}
    assert all(pid != os.getpid() for _, pid, _ in out)
    _WORKER.clear()
    out = track_map(lambda t: _WORKER['tag'], [0], 1, initializer=_init, initargs=('p', ),
                    progress=False)
    assert out == ['p'] and _WORKER['pid'] == os.getpid()


@pytest.mark.parametrize('nproc', [1, 2])
def test_a_failing_task_raises_in_the_caller_and_stops_the_workers(nproc):
    def work(task):
        if task == 3:
            raise ValueError(f'task {task}: broken input')
        return task

    with pytest.raises(ValueError, match='task 3: broken input'):
        track_map(work, list(range(6)), nproc, progress=False)
    assert mp.active_children() == []


@pytest.mark.parametrize('bad', [0, -1, 1.5, True, '2', None])
def test_check_nproc_rejects(bad):
    with pytest.raises(ValueError, match='positive integer'):
        check_nproc(bad)
    with pytest.raises(ValueError, match='positive integer'):
        track_map(abs, [1], bad)


def test_format_eta():
    assert format_eta(0, 4, 0.0) == '0/4, elapsed 0s'
    assert format_eta(1, 4, 30.0) == '1/4, elapsed 30s, ETA 1m30s'
    assert format_eta(3, 8, 4000.0) == '3/8, elapsed 1h06m, ETA 1h51m'
    assert format_eta(4, 4, 61.0) == '4/4, elapsed 1m01s'
