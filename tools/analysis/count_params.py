# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Print the trainable / frozen parameters of a config's model, per module.

    python tools/analysis/count_params.py CONFIG [--depth N] [--cfg-options k=v ...]

The table is the one ParameterReportHook logs when training starts.
"""
import argparse

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--depth', type=int, default=2,
                        help='levels of parameter names that make a table row')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    import mmrgbir  # noqa: F401  (registers components, as custom_imports would)
    from mmrgbir.apis.analysis import count_params
    print(count_params(args.config, depth=args.depth, cfg_options=args.cfg_options))


if __name__ == '__main__':
    main()
