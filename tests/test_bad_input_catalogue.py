# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""docs/bad_inputs.md: at least 30 cases, each naming a test that exists."""
import os.path as osp
import re

from rgbx_testing import REPO


def test_every_catalogue_row_names_an_existing_test():
    with open(osp.join(REPO, 'docs', 'bad_inputs.md')) as f:
        text = f.read()
    rows = [line for line in text.splitlines()
            if line.startswith('| ') and not line.startswith('| input ')]
    assert len(rows) >= 30
    for row in rows:
        refs = re.findall(r'`([\w/]+\.py)::(\w+)', row)
        last = row.rstrip(' |').rsplit('|', 1)[-1].strip()
        assert refs or last == 'same' or '`...[' in row, f'row without a test: {row[:80]}'
        for path, name in refs:
            full = osp.join(REPO, 'tests', path)
            assert osp.isfile(full), f'{path} (row: {row[:60]})'
            with open(full) as f:
                assert re.search(rf'^def {name}\(', f.read(), re.M), f'{path}::{name}'
