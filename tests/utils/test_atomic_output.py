# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""mmrgbir.utils.atomic_output: converters' outputs appear complete or not at all."""
import os
import stat

import pytest

from mmrgbir.utils.atomic_output import (atomic_output_dir, atomic_output_files,
                                         write_files_atomically)


def _tree(folder):
    """{relative path: bytes} of every file below ``folder``."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, 'rb') as f:
                out[os.path.relpath(path, folder)] = f.read()
    return out


def _write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def test_dir_appears_only_when_complete_with_a_normal_mode(tmp_path):
    target = tmp_path / 'deep' / 'out'
    with atomic_output_dir(str(target)) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path / 'deep')  # beside it: a rename
        assert os.path.basename(tmp).startswith('.out.partial-')
        _write(os.path.join(tmp, 'a.txt'), 'A')
        assert not target.exists()
    assert _tree(target) == {'a.txt': b'A'}
    assert os.listdir(tmp_path / 'deep') == ['out']  # no temporary folder left
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o777 & ~mask  # not mkdtemp's 0700


def test_failure_leaves_nothing_and_a_rerun_succeeds(tmp_path):
    target = tmp_path / 'new' / 'out'
    with pytest.raises(KeyboardInterrupt):
        with atomic_output_dir(str(target)) as tmp:
            _write(os.path.join(tmp, 'half.txt'), 'partial')
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []  # the parent it created is gone too
    with atomic_output_dir(str(target)) as tmp:
        _write(os.path.join(tmp, 'a.txt'), 'A')
    assert _tree(target) == {'a.txt': b'A'}


def test_existing_output_is_never_clobbered_without_overwrite(tmp_path):
    target = tmp_path / 'out'
    target.mkdir()
    _write(target / 'user.txt', 'mine')
    with pytest.raises(FileExistsError, match=f'not empty: {target} .*--overwrite'):
        with atomic_output_dir(str(target)):
            raise AssertionError('must not run')  # refused before anything is written
    assert _tree(target) == {'user.txt': b'mine'} and os.listdir(tmp_path) == ['out']
    (tmp_path / 'file').write_text('x')
    with pytest.raises(FileExistsError, match='not a folder'):
        with atomic_output_dir(str(tmp_path / 'file'), overwrite=True):
            pass
    # overwrite: the old output stays until the new one is complete
    with pytest.raises(RuntimeError):
        with atomic_output_dir(str(target), overwrite=True) as tmp:
            _write(os.path.join(tmp, 'new.txt'), 'new')
            raise RuntimeError('conversion failed')
    assert _tree(target) == {'user.txt': b'mine'}
    with atomic_output_dir(str(target), overwrite=True) as tmp:
        _write(os.path.join(tmp, 'new.txt'), 'new')
    assert _tree(target) == {'new.txt': b'new'}
    assert sorted(os.listdir(tmp_path)) == ['file', 'out']
    # an empty folder is taken (what `mkdir out` before converting gives)
    (tmp_path / 'empty').mkdir()
    with atomic_output_dir(str(tmp_path / 'empty')) as tmp:
        _write(os.path.join(tmp, 'a.txt'), 'A')
    assert _tree(tmp_path / 'empty') == {'a.txt': b'A'}


def test_target_appearing_meanwhile_is_not_clobbered(tmp_path):
    target = tmp_path / 'out'
    with pytest.raises(FileExistsError, match='not empty'):
        with atomic_output_dir(str(target)) as tmp:
            _write(os.path.join(tmp, 'a.txt'), 'converter')
            target.mkdir()
            _write(target / 'user.txt', 'other process')
    assert _tree(target) == {'user.txt': b'other process'}
    assert os.listdir(tmp_path) == ['out']


def test_files_are_put_in_place_together(tmp_path):
    out = tmp_path / 'coco'
    train, test = str(out / 'train.json'), str(out / 'test.json')
    with pytest.raises(ValueError, match='test split broken'):
        with atomic_output_files(train, test) as (tmp_train, tmp_test):
            _write(tmp_train, 'train')  # the first file is complete...
            raise ValueError('test split broken')  # ...the second fails
    assert not out.exists()  # no train.json that would block a re-run
    write_files_atomically({train: lambda p: _write(p, 'T'), test: lambda p: _write(p, 'V')})
    assert _tree(out) == {'train.json': b'T', 'test.json': b'V'}
    # existing files: refused before writing, kept; replaced with overwrite
    calls = []
    with pytest.raises(FileExistsError, match='train.json.*--overwrite'):
        write_files_atomically({train: calls.append})
    assert calls == [] and _tree(out) == {'train.json': b'T', 'test.json': b'V'}
    _write(out / 'notes.txt', 'user')  # other files of the folder are never touched
    write_files_atomically({train: lambda p: _write(p, 'T2')}, overwrite=True)
    assert _tree(out) == {'train.json': b'T2', 'test.json': b'V', 'notes.txt': b'user'}
    with pytest.raises(ValueError, match='twice'):
        write_files_atomically({train: None, str(out / '..' / 'coco' / 'train.json'): None})
