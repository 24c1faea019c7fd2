# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
import os

import cv2
import numpy as np
import pytest

from mmrgbir.datasets.synthetic import generate_night_rgbt, render_scene


def test_deterministic_and_people_hidden_in_rgb():
    a = render_scene(np.random.default_rng([0, 3]))
    b = render_scene(np.random.default_rng([0, 3]))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    # over many scenes: people are much hotter than background in thermal, while in
    # RGB most of them are as dark as the background
    hidden, hot = [], []
    for i in range(20):
        rgb, th, lab = render_scene(np.random.default_rng([0, i]))
        person, bg = lab == 3, lab == 0
        if person.any():
            hot.append(th[person].mean() - th[bg].mean())
            hidden.append(abs(rgb[person].mean() - rgb[bg].mean()) < 25)
    assert min(hot) > 80
    assert np.mean(hidden) > 0.4


def test_generator_writes_layout_and_never_overwrites(tmp_path):
    root = str(tmp_path / 'd')
    generate_night_rgbt(root, num_train=3, num_val=2, progress=False)
    assert sorted(os.listdir(root)) == ['labels', 'manifest.json', 'rgb', 'thermal',
                                        'train.txt', 'val.txt']
    lab = cv2.imread(os.path.join(root, 'labels', '0000.png'), cv2.IMREAD_UNCHANGED)
    assert lab.shape == (96, 128) and lab.max() <= 3
    mtime = os.path.getmtime(os.path.join(root, 'rgb', '0000.png'))
    generate_night_rgbt(root, num_train=3, num_val=2, progress=False)  # reused
    assert os.path.getmtime(os.path.join(root, 'rgb', '0000.png')) == mtime
    with pytest.raises(FileExistsError, match='other parameters'):
        generate_night_rgbt(root, num_train=4, num_val=2, progress=False)
    user = tmp_path / 'user'
    user.mkdir()
    (user / 'mine.txt').write_text('precious')
    with pytest.raises(FileExistsError, match='refusing'):
        generate_night_rgbt(str(user), progress=False)
    assert (user / 'mine.txt').read_text() == 'precious'
