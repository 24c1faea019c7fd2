# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Write the generated night-street demo dataset (RGB + thermal [+ depth]).

    python tools/misc/generate_demo_data.py work_dirs/demo/data
    python tools/misc/generate_demo_data.py work_dirs/demo/data_rgbtd --with-depth

The data of ``configs/demo/`` (``tools/run_demo.py`` writes the RGB-T one itself).
An existing folder is reused when it holds the same generated data and is never
written into otherwise.
"""
import argparse

from mmrgbir.datasets.synthetic import generate_night_rgbt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='output folder')
    parser.add_argument('--with-depth', action='store_true',
                        help='also write depth/ (16-bit millimetres): three modalities')
    parser.add_argument('--num-train', type=int, default=160)
    parser.add_argument('--num-val', type=int, default=40)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    generate_night_rgbt(args.root, args.num_train, args.num_val, seed=args.seed,
                        with_depth=args.with_depth)
    print(f'demo data in {args.root}')


if __name__ == '__main__':
    main()
