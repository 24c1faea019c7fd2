# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .checkpoint import load_local_checkpoint, patch_checkpoint_loading

__all__ = ['load_local_checkpoint', 'patch_checkpoint_loading']
