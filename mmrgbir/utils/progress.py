# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""A progress-tracked, optionally process-parallel ``map`` for offline tools.

:func:`track_map` is what mmseg's converters get from mmengine's ``track_progress``
/ ``track_parallel_progress``: results in task order, mmengine's
:class:`~mmengine.utils.ProgressBar` (done / total, tasks per second, elapsed, ETA),
and ``nproc`` worker processes. Differences, and why:

* Workers are **forked** and receive only task indices; the function and the task
  list are inherited, never pickled. So the function may be a closure or live in a
  script loaded as a module (the tools under ``tools/``), and large inputs (a 450 MB
  label array) are shared copy-on-write instead of being sent to every worker.
* A failing task stops the pool at once (its exception is raised in the caller) and
  no worker outlives the call; mmengine's helper leaves the pool running.
* Results are gathered in task order whatever ``nproc`` is, so a caller that combines
  them in that order gets bit-identical output for ``nproc=1`` and ``nproc=N``.

Where the ``fork`` start method does not exist (Windows), the tasks run in the
calling process with a warning.
"""
import multiprocessing as mp
import numbers
import sys
import warnings
from typing import Any, Callable, List, Optional, Sequence

from mmengine.utils import ProgressBar

# (func, tasks) of the running parallel map, inherited by the forked workers
_FORKED: Optional[tuple] = None


def check_nproc(nproc: Any, name: str = 'nproc') -> int:
    """``nproc`` as a positive int; a clear error otherwise."""
    if isinstance(nproc, bool) or not isinstance(nproc, numbers.Integral) or nproc < 1:
        raise ValueError(f'{name} must be a positive integer (number of worker '
                         f'processes, 1 = no worker), got {nproc!r}')
    return int(nproc)


def _call_forked(index: int) -> Any:
    func, tasks = _FORKED
    return func(tasks[index])


def track_map(func: Callable[[Any], Any], tasks: Sequence, nproc: int = 1, *,
              initializer: Optional[Callable] = None, initargs: tuple = (),
              progress: bool = True, file=None, chunksize: int = 1) -> List[Any]:
    """``[func(t) for t in tasks]`` with a progress bar, on ``nproc`` processes.

    Args:
        func: called once per task; with ``nproc > 1`` it runs in a worker process,
            so it must not rely on state changed in the caller after the call starts.
        tasks: a sequence (its length is the bar's total).
        nproc: worker processes; 1 runs everything in the calling process.
        initializer: called with ``initargs`` once per worker before its first task
            (e.g. to open a file handle the worker keeps); with ``nproc == 1`` once in
            the calling process, which then owns what it opened.
        progress: show mmengine's progress bar (with ETA).
        file: stream of the bar (default: ``sys.stderr``, so that stdout keeps only
            the tool's own report).
        chunksize: tasks sent to a worker at a time.

    Returns:
        list: the results, in the order of ``tasks``.
    """
    global _FORKED
    nproc = check_nproc(nproc)
    tasks = list(tasks) if not isinstance(tasks, Sequence) else tasks
    total = len(tasks)
    if total == 0:
        return []
    bar = ProgressBar(total, file=file or sys.stderr) if progress else None
    if nproc > 1 and 'fork' not in mp.get_all_start_methods():
        warnings.warn(f'nproc={nproc} needs the "fork" start method, which this platform '
                      f'lacks; running the {total} task(s) in one process')
        nproc = 1
    results: List[Any] = []
    try:
        if nproc == 1:
            if initializer is not None:
                initializer(*initargs)
            for task in tasks:
                results.append(func(task))
                if bar is not None:
                    bar.update()
        else:
            if _FORKED is not None:
                raise RuntimeError('track_map with nproc > 1 cannot be nested')
            _FORKED = (func, tasks)
            try:
                ctx = mp.get_context('fork')
                # the with-block terminates the workers, also when a task raises
                with ctx.Pool(min(nproc, total), initializer, initargs) as pool:
                    for result in pool.imap(_call_forked, range(total), chunksize):
                        results.append(result)
                        if bar is not None:
                            bar.update()
            finally:
                _FORKED = None
    finally:
        if bar is not None:
            bar.file.write('\n')
            bar.file.flush()
    return results


def format_eta(done: int, total: int, elapsed: float) -> str:
    """``'3/8, elapsed 1m20s, ETA 2m13s'``: a one-line progress report for steps that
    print their own logs (where a redrawn bar would be garbled)."""

    def fmt(seconds: float) -> str:
        seconds = int(round(seconds))
        if seconds >= 3600:
            return f'{seconds // 3600}h{seconds % 3600 // 60:02d}m'
        if seconds >= 60:
            return f'{seconds // 60}m{seconds % 60:02d}s'
        return f'{seconds}s'

    text = f'{done}/{total}, elapsed {fmt(elapsed)}'
    if 0 < done < total:
        text += f', ETA {fmt(elapsed / done * (total - done))}'
    return text
