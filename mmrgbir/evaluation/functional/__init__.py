# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
from .sod_measures import (e_measure_adaptive, e_measure_curve, f_measure_adaptive,
                           f_measure_curve, mae, s_measure, weighted_f_measure)

__all__ = ['e_measure_adaptive', 'e_measure_curve', 'f_measure_adaptive', 'f_measure_curve',
           'mae', 's_measure', 'weighted_f_measure']
