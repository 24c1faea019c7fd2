# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Shared fixtures (helpers are in rgbx_testing.py)."""
import pytest


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

