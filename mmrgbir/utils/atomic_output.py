# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""All-or-nothing outputs for the dataset converters.

A converter writes into a hidden temporary folder **beside** its target (same
filesystem, so the final step is a rename, not a copy) and renames it into place only
when everything was written. A converter that fails or is interrupted midway removes
its temporary folder and leaves no partial output that would block a re-run.

Existing user data is never replaced silently: an existing non-empty target folder
(or an existing target file) is an error unless ``overwrite=True`` (the converters'
``--overwrite``); even then it is replaced only after the new output is complete. An
existing *empty* target folder is allowed (and replaced).

A process killed with SIGKILL cannot clean up: its ``.<name>.partial-*`` folder stays
beside the target, does not block a re-run (every run picks a new name) and can be
deleted.
"""
import os
import os.path as osp
import shutil
import tempfile
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List

OVERWRITE_HINT = ('converters never overwrite: remove it, choose another output, or pass '
                  '--overwrite to replace it once the new output is complete')


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _make_parents(folder: str) -> List[str]:
    """``os.makedirs(folder)``; returns the folders it created, deepest first."""
    created = []
    path = osp.abspath(folder)
    while not osp.isdir(path):
        created.append(path)
        path = osp.dirname(path)
    os.makedirs(folder, exist_ok=True)
    return created


def _remove_empty(folders: List[str]) -> None:
    for folder in folders:  # deepest first
        try:
            os.rmdir(folder)
        except OSError:
            return


def _temp_dir(parent: str, name: str) -> str:
    tmp = tempfile.mkdtemp(prefix=f'.{name}.partial-', dir=parent)
    # mkdtemp makes the folder private (0700); give it the mode of os.makedirs
    os.chmod(tmp, 0o777 & ~_umask())
    return tmp


def check_output_dir(target: str, overwrite: bool = False) -> None:
    """Raise ``FileExistsError`` when ``target`` cannot become a converter's output."""
    if not osp.lexists(target):
        return
    if not osp.isdir(target):
        raise FileExistsError(f'output exists and is not a folder: {target} (converters '
                              f'never replace a file with a folder)')
    if os.listdir(target) and not overwrite:
        raise FileExistsError(f'output already exists and is not empty: {target} '
                              f'({OVERWRITE_HINT})')


def check_output_files(*paths: str, overwrite: bool = False) -> None:
    """Raise ``FileExistsError`` naming the first of ``paths`` that exists (unless
    ``overwrite``) or is a folder."""
    for path in paths:
        if osp.isdir(path):
            raise FileExistsError(f'output is an existing folder: {path}; expected a file '
                                  f'name')
        if osp.lexists(path) and not overwrite:
            raise FileExistsError(f'output already exists: {path} ({OVERWRITE_HINT})')


@contextmanager
def atomic_output_dir(target: str, overwrite: bool = False) -> Iterator[str]:
    """Yield a temporary folder to fill; it becomes ``target`` when the block succeeds.

    Args:
        target: the output folder. Its parent folders are created (and removed again
            on failure).
        overwrite: replace an existing non-empty ``target`` (after the new output is
            complete). Without it such a target is an error, raised before anything
            is written.

    On any exception (also ``KeyboardInterrupt``) the temporary folder is removed and
    the exception propagates; ``target`` is untouched.
    """
    check_output_dir(target, overwrite)
    target = osp.abspath(target)
    created = _make_parents(osp.dirname(target))
    tmp = _temp_dir(osp.dirname(target), osp.basename(target))
    try:
        yield tmp
        # checked again: the target may have appeared while converting
        check_output_dir(target, overwrite)
        old = None
        if osp.isdir(target):
            if os.listdir(target):  # overwrite=True: keep it until the new one is in place
                old = _temp_dir(osp.dirname(target), osp.basename(target) + '.old')
                os.rename(target, osp.join(old, 'previous'))
            else:
                os.rmdir(target)
        try:
            os.rename(tmp, target)
        except BaseException:
            if old is not None:  # put the previous output back
                os.rename(osp.join(old, 'previous'), target)
                os.rmdir(old)
            raise
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        raise


@contextmanager
def atomic_output_files(*paths: str, overwrite: bool = False) -> Iterator[List[str]]:
    """Yield temporary paths to write ``paths`` to; they are renamed into place together
    when the block succeeds.

    For converters whose outputs are files (COCO jsons) in a folder that may hold other
    data: each file is written in a temporary folder beside it and renamed only once
    every file of the block is complete, so a failure while building the second json
    leaves no first json behind. Existing files are an error unless ``overwrite``.
    """
    targets = [osp.abspath(p) for p in paths]
    if len(set(targets)) != len(targets):
        raise ValueError(f'the same output path is given twice: {list(paths)}')
    check_output_files(*paths, overwrite=overwrite)
    created: List[str] = []
    temps: Dict[str, str] = {}  # parent folder -> its temporary folder
    try:
        for target in targets:
            parent = osp.dirname(target)
            if parent not in temps:
                created += _make_parents(parent)
                temps[parent] = _temp_dir(parent, osp.basename(target))
        staged = [osp.join(temps[osp.dirname(t)], osp.basename(t)) for t in targets]
        yield staged
        missing = [p for p, s in zip(paths, staged) if not osp.isfile(s)]
        if missing:
            raise RuntimeError(f'internal error: no file was written for {missing}')
        check_output_files(*paths, overwrite=overwrite)
        done: List[str] = []
        try:
            for src, dst in zip(staged, targets):
                os.replace(src, dst)
                done.append(dst)
        except BaseException:
            if not overwrite:  # take back the files of this run
                for dst in done:
                    os.remove(dst)
            raise
    finally:
        for tmp in temps.values():
            shutil.rmtree(tmp, ignore_errors=True)
        if any(not osp.exists(t) for t in targets):
            _remove_empty(created)


def write_files_atomically(writers: Dict[str, Callable[[str], None]],
                           overwrite: bool = False) -> None:
    """``{path: write}``: call each ``write(staged_path)`` and put all files in place
    together (:func:`atomic_output_files`), e.g. ``{json_path: coco_builder.dump}``."""
    with atomic_output_files(*writers, overwrite=overwrite) as staged:
        for write, path in zip(writers.values(), staged):
            write(path)
