# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
