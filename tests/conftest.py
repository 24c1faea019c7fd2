# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Shared fixtures (helpers are in rgbx_testing.py)."""
import pytest

from rgbx_testing import one_torch_thread


@pytest.fixture
def seg_scope():
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    yield


@pytest.fixture
def det_scope():
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    yield



@pytest.fixture
def one_thread():
    """One intra-op torch thread for the test (use with pytest.mark.usefixtures)."""
    with one_torch_thread():
        yield
