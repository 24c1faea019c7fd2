# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Training-step time, inference time, peak memory and parameters of the frozen-backbone
methods and of two-stream full fine-tuning on the same foundation model.

    python tools/analysis/benchmark.py --device cuda               # published sizes
    python tools/analysis/benchmark.py --device cuda --amp         # mixed precision
    python tools/analysis/benchmark.py --device cpu --tiny --iters 2 --warmup 1
    python tools/analysis/benchmark.py --methods dplnet --input-size 480 640

Prints a markdown table with the machine and the settings (see mmrgbir.apis.benchmark).
"""
import argparse
import json
import sys


def parse_args(argv=None):
    from mmrgbir.apis.benchmark import METHODS
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu',
                        help="'cpu' or 'cuda' ('cuda:N')")
    parser.add_argument('--methods', nargs='+', choices=list(METHODS), default=None,
                        metavar='METHOD',
                        help=f'methods to measure (default: all of {list(METHODS)})')
    parser.add_argument('--input-size', nargs='+', type=int, default=None,
                        metavar='N', help='H W (or one value for a square input) for '
                        'every method instead of its published size')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--iters', type=int, default=10, help='timed iterations per case')
    parser.add_argument('--warmup', type=int, default=3, help='untimed iterations first')
    parser.add_argument('--tiny', action='store_true',
                        help='tiny variants at 64 x 64 (a smoke test)')
    parser.add_argument('--no-baseline', action='store_true',
                        help='skip the two-stream full fine-tuning baseline')
    parser.add_argument('--no-isolate', action='store_true',
                        help='run all cases in this process (faster start, CPU memory '
                        'numbers less reliable)')
    parser.add_argument('--timeout', type=float, default=None,
                        help='seconds per case subprocess')
    parser.add_argument('--optimizer', default='recipe',
                        choices=['recipe', 'sgd', 'adam', 'adamw'],
                        help="optimizer of the train step (default: each method's recipe)")
    parser.add_argument('--with-cp', action='store_true',
                        help='gradient checkpointing of the foundation blocks, in the '
                        'adapters and in the two-stream baseline alike')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: autocast float16 with a gradient scaler on '
                        'CUDA (as mmengine\'s AmpOptimWrapper), bfloat16 on the CPU')
    parser.add_argument('--json', default=None, help='also write the raw rows to this file')
    args = parser.parse_args(argv)
    if args.input_size is not None:
        if len(args.input_size) not in (1, 2):
            parser.error('--input-size takes H W or a single value')
        if len(args.input_size) == 1:
            args.input_size = args.input_size * 2
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmrgbir.apis.benchmark import format_markdown, run_benchmark
    result = run_benchmark(
        methods=args.methods, device=args.device,
        input_size=tuple(args.input_size) if args.input_size else None,
        batch_size=args.batch_size, iters=args.iters, warmup=args.warmup, tiny=args.tiny,
        isolate=not args.no_isolate, baseline=not args.no_baseline, timeout=args.timeout,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        optimizer=args.optimizer, with_cp=args.with_cp, amp=args.amp)
    print(format_markdown(result))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(settings=result.settings, machine=result.machine,
                           rows=result.rows), f, indent=2)
    return 1 if result.errors else 0


if __name__ == '__main__':
    sys.exit(main())
