# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""HHA encoding (mmrgbir/datasets/hha.py) on ray-cast rooms of known geometry and on
the shared SUN RGB-D frames, and the tools/dataset_converters/depth_to_hha.py CLI."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from converter_testing import check_converter_contract, cli, corrupt_file
from rgbx_testing import load_tool, shared_data

from mmrgbir.datasets.hha import (ANGLE_OFFSET, CAMERA_UP, compute_hha, depth_to_points,
                                  estimate_gravity, estimate_normals, load_hha, save_hha)

FLOOR, BACK_WALL, SIDE_WALL, CEILING = 1, 2, 3, 4
ANGLE_0, ANGLE_90, ANGLE_180 = ANGLE_OFFSET, ANGLE_OFFSET + 90, ANGLE_OFFSET + 180


def intrinsics(h, w, f):
    return np.array([[f, 0.0, (w - 1) / 2], [0.0, f, (h - 1) / 2], [0.0, 0.0, 1.0]])


def render_room(h=120, w=160, f=140.0, pitch=10.0, roll=0.0, cam_height=1.4,
                wall_dist=3.0, half_width=2.0, ceiling=None):
    """Ray-cast a box room: floor at height 0, a back wall ``wall_dist`` ahead, side
    walls at +-``half_width``, optionally a ceiling; the camera is ``cam_height`` above
    the floor, pitched down by ``pitch`` then rolled by ``roll`` (degrees).

    Returns depth (metres), K, the true up vector in camera coordinates, the world
    height of every pixel (metres) and the plane id of every pixel.
    """
    p, r = np.radians(pitch), np.radians(roll)
    # camera axes (x right, y down, z forward) in the world (X right, Y up, Z forward)
    cx, cy, cz = np.eye(3)[0], np.array([0, -np.cos(p), -np.sin(p)]), \
        np.array([0, -np.sin(p), np.cos(p)])
    cx, cy = np.cos(r) * cx + np.sin(r) * cy, -np.sin(r) * cx + np.cos(r) * cy
    cam_to_world = np.stack([cx, cy, cz], axis=1)
    k = intrinsics(h, w, f)
    v, u = np.mgrid[0:h, 0:w].astype(float)
    rays = np.stack([u, v, np.ones_like(u)], -1) @ np.linalg.inv(k).T @ cam_to_world.T
    dx, dy, dz = rays[..., 0], rays[..., 1], rays[..., 2]
    with np.errstate(divide='ignore', invalid='ignore'):
        hits = [np.where(dy < 0, -cam_height / dy, np.inf),
                np.where(dz > 0, wall_dist / dz, np.inf),
                np.where(dx != 0, half_width / np.abs(dx), np.inf),
                np.where(dy > 0, (ceiling or np.inf) - cam_height, np.inf) / np.abs(dy)]
    hits = np.stack(hits)
    plane = np.argmin(hits, axis=0) + 1
    depth = np.min(hits, axis=0)
    assert np.all(np.isfinite(depth))
    return depth, k, cam_to_world.T @ np.array([0.0, 1.0, 0.0]), cam_height + depth * dy, plane


def interior(plane, which, margin=7):
    """Pixels of plane ``which`` at least ``margin`` pixels from any other plane."""
    mask = (plane == which).astype(np.uint8)
    mask = cv2.erode(mask, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8),
                     borderType=cv2.BORDER_REPLICATE)
    return mask.astype(bool)


def angle_deg(a, b):
    return np.degrees(np.arccos(np.clip(np.dot(a, b) / np.linalg.norm(a) /
                                        np.linalg.norm(b), -1, 1)))


def estimate_from_depth(depth, k):
    points = depth_to_points(depth, k)
    valid = np.isfinite(points[..., 2])
    return estimate_gravity(points, estimate_normals(points, valid), valid)


# ---------------------------------------------------------------------- geometry


def test_depth_to_points_known_pixels():
    k = np.array([[100.0, 0, 20], [0, 120.0, 10], [0, 0, 1]])
    depth = np.full((21, 41), 2.0)
    depth[0, 0], depth[1, 1] = 0.0, np.nan
    pts = depth_to_points(depth, k)
    assert pts.shape == (21, 41, 3) and pts.dtype == np.float64
    np.testing.assert_allclose(pts[10, 20], (0, 0, 2))  # principal point
    np.testing.assert_allclose(pts[20, 40], (20 * 2 / 100, 10 * 2 / 120, 2))  # x right, y down
    assert np.isnan(pts[0, 0]).all() and np.isnan(pts[1, 1]).all()


@pytest.mark.parametrize('pitch,roll,half_width', [
    (0, 0, 2.0), (20, 0, 2.0), (25, 10, 2.0), (10, -15, 2.0), (5, 20, 2.0), (35, 5, 2.0),
    (-5, 20, 1.0),  # looking up a corridor: no floor, gravity from three walls only
])
def test_gravity_of_tilted_camera(pitch, roll, half_width):
    depth, k, up, _, _ = render_room(pitch=pitch, roll=roll, half_width=half_width)
    g = estimate_from_depth(depth, k)
    assert np.isclose(np.linalg.norm(g), 1)
    assert angle_deg(g, up) < 1.0, (g, up)


def test_gravity_with_noise_and_holes():
    depth, k, up, _, _ = render_room(pitch=15, roll=-10)
    rng = np.random.default_rng(0)
    depth = depth * (1 + 0.005 * rng.standard_normal(depth.shape))
    depth[rng.random(depth.shape) < 0.3] = 0
    depth[20:50, 30:70] = np.nan
    assert angle_deg(estimate_from_depth(depth, k), up) < 3.0


def test_gravity_from_normals_directly():
    """Floor-like and wall-like normals around a tilted up vector, plus clutter."""
    rng = np.random.default_rng(1)
    up = np.array([0.2, -0.95, -0.1])
    up /= np.linalg.norm(up)
    side = np.cross(up, [0, 0, 1.0])
    side /= np.linalg.norm(side)
    third = np.cross(up, side)
    walls = np.cos(rng.uniform(0, 2 * np.pi, (400, 1))) * side + \
        np.sin(rng.uniform(0, 2 * np.pi, (400, 1))) * third
    normals = np.concatenate([np.tile(up, (300, 1)), -np.tile(up, (100, 1)), walls,
                              rng.standard_normal((100, 3))])
    normals += 0.02 * rng.standard_normal(normals.shape)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    points = np.ones_like(normals)
    g = estimate_gravity(points, normals, np.ones(len(normals), bool))
    assert angle_deg(g, up) < 1.5
    # the sign follows the starting estimate; invalid entries are ignored
    normals[:50] = np.nan
    g = estimate_gravity(points, normals, np.ones(len(normals), bool), initial=-CAMERA_UP)
    assert angle_deg(g, -up) < 1.5


def test_gravity_degenerate_inputs_keep_the_prior():
    # a single wall facing the camera leaves gravity free within the wall plane:
    # the estimate must stay at the camera's up axis, not turn arbitrarily
    depth = np.full((60, 80), 2.5)
    g = estimate_from_depth(depth, intrinsics(60, 80, 70.0))
    assert angle_deg(g, CAMERA_UP) < 1.0
    # no usable normal at all
    pts = np.zeros((5, 3))
    np.testing.assert_allclose(estimate_gravity(pts, pts, np.zeros(5, bool)), CAMERA_UP)


def test_normals_orientation_and_sparse_windows():
    depth, k, up, _, plane = render_room(pitch=20)
    pts = depth_to_points(depth, k)
    normals = estimate_normals(pts)
    floor = interior(plane, FLOOR)
    # floor normals point up (and towards the camera above it)
    assert np.all(normals[floor] @ up > np.cos(np.radians(1)))
    assert np.all(np.einsum('...i,...i', normals, pts) < 0)
    # an isolated valid pixel has too few neighbours for a plane
    lonely = np.full((30, 30), np.nan)
    lonely[15, 15] = 1.0
    assert np.isnan(estimate_normals(depth_to_points(lonely, intrinsics(30, 30, 30.0)))).all()
    with pytest.raises(ValueError, match='odd'):
        estimate_normals(pts, window=4)


# ---------------------------------------------------------------------- encoding


@pytest.mark.parametrize('pitch,roll', [(15, 0), (25, -12)])
def test_hha_channels_on_known_room(pitch, roll):
    depth, k, up, height, plane = render_room(pitch=pitch, roll=roll, ceiling=2.4,
                                              half_width=1.5)
    hha = compute_hha(depth, k)
    assert hha.dtype == np.uint8 and hha.shape == depth.shape + (3,)
    disparity, height_ch, angle = (hha[..., i].astype(int) for i in range(3))
    # disparity: 310 / depth_m, saturated close by, so decreasing with depth
    np.testing.assert_array_equal(disparity, np.clip(np.rint(310 / depth), 0, 255))
    order = np.argsort(depth.ravel())
    assert np.all(np.diff(disparity.ravel()[order]) <= 0)
    # height: centimetres above the floor (the floor fills more than 1% of the frame)
    floor, wall, side = (interior(plane, i) for i in (FLOOR, BACK_WALL, SIDE_WALL))
    ceiling = interior(plane, CEILING)
    assert floor.sum() > 200 and wall.sum() > 200 and side.sum() > 50
    assert np.abs(height_ch[floor]).max() <= 1
    np.testing.assert_allclose(height_ch[wall], np.clip(100 * height[wall], 0, 255), atol=1.5)
    # up along a wall column: heights increase row by row towards the top of the image
    column = wall[:, depth.shape[1] // 2]
    rows = np.flatnonzero(column)
    assert len(rows) > 10 and np.all(np.diff(height_ch[rows, depth.shape[1] // 2]) <= 0)
    assert height_ch[rows[0], depth.shape[1] // 2] > height_ch[rows[-1], depth.shape[1] // 2]
    # angle: floor 0 degrees, walls 90, ceiling 180
    assert np.abs(angle[floor] - ANGLE_0).max() <= 2
    assert np.abs(angle[wall] - ANGLE_90).max() <= 2
    assert np.abs(angle[side] - ANGLE_90).max() <= 2
    if ceiling.any():
        assert np.abs(angle[ceiling] - ANGLE_180).max() <= 2


def test_hha_missing_pixels_are_zero():
    depth, k, up, _, plane = render_room(pitch=20, roll=5)
    full = compute_hha(depth, k)
    holes = depth.copy()
    holes[10:30, 20:60] = 0
    holes[50:55, 100:140] = np.nan
    holes[0, :] = -1
    holes[1, :] = np.inf
    extra = np.zeros(depth.shape, bool)
    extra[100:110, 5:15] = True
    hha = compute_hha(holes, k, missing_mask=extra)
    missing = ~np.isfinite(holes) | (holes <= 0) | extra
    assert (hha[missing] == 0).all()
    # elsewhere: identical disparity, and the same geometry away from the holes
    np.testing.assert_array_equal(hha[~missing, 0], full[~missing, 0])
    far = interior(np.where(missing, 0, plane), FLOOR) | interior(np.where(missing, 0, plane),
                                                                   BACK_WALL)
    assert np.abs(hha[far].astype(int) - full[far]).max() <= 2
    # nothing valid: all zero, no error
    assert (compute_hha(np.zeros((7, 9)), intrinsics(7, 9, 8.0)) == 0).all()
    with pytest.raises(ValueError, match='missing_mask'):
        compute_hha(depth, k, missing_mask=extra[:-1])


@pytest.mark.parametrize('h,w', [(37, 53), (61, 45), (1, 1), (3, 200)])
def test_hha_odd_and_non_square_sizes(h, w):
    depth, k, up, _, _ = render_room(h=h, w=w, f=0.9 * max(h, w), pitch=20)
    hha = compute_hha(depth, k)
    assert hha.shape == (h, w, 3) and hha.dtype == np.uint8
    np.testing.assert_array_equal(hha[..., 0], np.clip(np.rint(310 / depth), 0, 255))


def test_hha_with_known_gravity_and_millimetre_depth():
    depth, k, up, _, plane = render_room(pitch=10)
    estimated = compute_hha(depth, k).astype(int)
    known = compute_hha(depth, k, gravity=-3 * up).astype(int)  # any length; points down
    floor = interior(plane, FLOOR)
    assert np.abs(known[floor, 2] - ANGLE_180).max() <= 2  # floor normal opposes "down"
    assert np.abs(compute_hha(depth, k, gravity=up).astype(int) - estimated).max() <= 2
    # depth rounded to millimetres (as stored in 16-bit PNGs) changes little
    mm = np.rint(depth * 1000).astype(np.uint16)
    assert np.abs(compute_hha(mm / 1000.0, k).astype(int) - estimated).max() <= 2


def test_hha_input_validation():
    depth = np.ones((10, 12))
    k = intrinsics(10, 12, 10.0)
    with pytest.raises(ValueError, match='3x3'):
        compute_hha(depth, k[:2])
    with pytest.raises(ValueError, match='transposed'):
        compute_hha(depth, k.T)
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        compute_hha(np.ones((10, 12, 1)), k)
    with pytest.raises(ValueError, match='gravity'):
        compute_hha(depth, k, gravity=np.zeros(3))


# ---------------------------------------------------------------------- files


def test_save_hha_channel_order_and_no_overwrite(tmp_path):
    rng = np.random.default_rng(0)
    hha = rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)
    hha[..., 0], hha[..., 1], hha[..., 2] = 200, 100, 30  # distinct per channel
    hha[0, 0] = (1, 2, 3)
    png = str(tmp_path / 'a.png')
    save_hha(png, hha)
    bgr = cv2.imread(png, cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(bgr[..., 2], hha[..., 0])  # the file's R is disparity
    np.testing.assert_array_equal(bgr[..., 0], hha[..., 2])  # and its B the angle
    np.testing.assert_array_equal(load_hha(png), hha)
    with pytest.raises(FileExistsError, match='a.png'):
        save_hha(png, np.zeros_like(hha))
    np.testing.assert_array_equal(load_hha(png), hha)  # untouched
    jpg = str(tmp_path / 'a.jpg')
    save_hha(jpg, hha)
    assert np.abs(cv2.imread(jpg)[..., 2].astype(int) - 200).mean() < 3
    with pytest.raises(ValueError, match='uint8'):
        save_hha(str(tmp_path / 'b.png'), hha.astype(np.float32))
    with pytest.raises(OSError):
        save_hha(str(tmp_path / 'no_such_dir' / 'c.png'), hha)


# ---------------------------------------------------------------------- real data


def _sunrgbd_frame(name):
    root = shared_data('rgbd_sunrgbd')
    with open(osp.join(root, 'calib', name + '.txt')) as f:
        lines = f.read().split('\n')
    # SUN RGB-D calib: line 1 the tilt rotation Rtilt, line 2 K, both column-major.
    # Rtilt maps camera points written (x, z, -y) (x right, forward, up) to a
    # gravity-aligned frame with z up, so its third row is "up" in that camera frame.
    rtilt = np.array(lines[0].split(), float).reshape(3, 3, order='F')
    k = np.array(lines[1].split(), float).reshape(3, 3, order='F')
    right, forward, upward = rtilt[2]
    up = np.array([right, -upward, forward])
    depth_path = osp.join(root, 'depth_mm', name + '.png')
    depth = cv2.imread(depth_path, cv2.IMREAD_UNCHANGED)
    assert depth is not None and depth.dtype == np.uint16, depth_path
    return depth / 1000.0, k, up


@pytest.mark.parametrize('name', ['000001', '000002', '000003', '000004'])
def test_gravity_on_sunrgbd(name):
    depth, k, up = _sunrgbd_frame(name)
    g = estimate_from_depth(depth, k)
    assert angle_deg(g, CAMERA_UP) < 30  # a roughly level hand-held camera
    assert angle_deg(g, up) < 5, (g, up)  # agrees with the dataset's calibration


def test_hha_on_sunrgbd():
    depth, k, up = _sunrgbd_frame('000001')
    hha = compute_hha(depth, k)
    assert hha.shape == depth.shape + (3,) and hha.dtype == np.uint8
    missing = depth == 0
    assert (hha[missing] == 0).all()
    # most valid pixels are horizontal or vertical surfaces: near 0 or 90 degrees
    angle = hha[~missing, 2].astype(int)
    horizontal, vertical = np.abs(angle - ANGLE_0) <= 15, np.abs(angle - ANGLE_90) <= 15
    assert horizontal.mean() > 0.15 and vertical.mean() > 0.3
    assert (horizontal | vertical).mean() > 0.6
    # the lowest horizontal surfaces are the floor, at height ~0
    low = hha[~missing, 1][horizontal] < 10
    assert low.mean() > 0.3


# ---------------------------------------------------------------------- CLI


def _depth_folder(root, frames):
    os.makedirs(root, exist_ok=True)
    for name, depth in frames.items():
        assert cv2.imwrite(osp.join(root, name + '.png'), np.rint(depth * 1000).astype(np.uint16))


def test_cli_converts_a_folder(tmp_path, capsys):
    tool = load_tool('tools/dataset_converters/depth_to_hha.py')
    d1, k, _, _, _ = render_room(pitch=15)
    d2, _, _, _, _ = render_room(pitch=5, roll=8)
    d2[:10] = 0
    _depth_folder(tmp_path / 'depth', {'a': d1, 'b': d2})
    (tmp_path / 'depth' / 'notes.txt').write_text('not an image')
    fx, fy, cx, cy = k[0, 0], k[1, 1], k[0, 2], k[1, 2]
    out = tmp_path / 'hha'
    counts = tool.main([str(tmp_path / 'depth'), str(out), '--intrinsics', str(fx), str(fy),
                        str(cx), str(cy), '--suffix', '.png'])
    assert counts == dict(images=2, skipped=1, missing_pixels=10 * d2.shape[1])
    assert '2 depth image(s)' in capsys.readouterr().out
    assert sorted(os.listdir(out)) == ['a.png', 'b.png']
    for name, depth in (('a', d1), ('b', d2)):
        expected = compute_hha(np.rint(depth * 1000) / 1000, k)
        np.testing.assert_array_equal(load_hha(str(out / (name + '.png'))), expected)
    # default suffix .jpg, other depth scale
    out_jpg = tmp_path / 'hha_jpg'
    tool.main([str(tmp_path / 'depth'), str(out_jpg), '--intrinsics', str(fx), str(fy),
               str(cx), str(cy), '--depth-scale', '1000'])
    assert sorted(os.listdir(out_jpg)) == ['a.jpg', 'b.jpg']
    # never into a non-empty folder
    with pytest.raises(FileExistsError, match='hha'):
        tool.main([str(tmp_path / 'depth'), str(out), '--intrinsics', '1', '1', '0', '0'])


def test_cli_atomic_and_nproc(tmp_path):
    tool = load_tool('tools/dataset_converters/depth_to_hha.py')
    frames = {}
    for i in range(6):  # each frame its own camera pose: distinct HHA images
        frames[f'f{i}'], k, _, _, _ = render_room(h=30, w=40, f=35.0, pitch=3.0 * i,
                                                  roll=i - 2.0)
    _depth_folder(tmp_path / 'depth', frames)
    broken, fixed = corrupt_file(tmp_path / 'depth' / 'f3.png')
    ref = check_converter_contract(
        cli(tool.main, tmp_path / 'depth', '{out}', '--intrinsics', k[0, 0], k[1, 1],
            k[0, 2], k[1, 2], '--suffix', '.png'),
        tmp_path / 'out', broken, fixed, OSError, r'cannot decode depth image .*f3\.png',
        tamper='f0.png')
    for name, depth in frames.items():  # and the bytes are the right ones
        expected = compute_hha(np.rint(depth * 1000) / 1000, k)
        np.testing.assert_array_equal(
            cv2.imdecode(np.frombuffer(ref[name + '.png'], np.uint8), cv2.IMREAD_COLOR),
            expected[..., ::-1])


def test_cli_rejects_bad_depth_files(tmp_path):
    tool = load_tool('tools/dataset_converters/depth_to_hha.py')
    args = ['--intrinsics', '100', '100', '40', '30']
    eight_bit = tmp_path / 'eight'
    os.makedirs(eight_bit)
    cv2.imwrite(str(eight_bit / 'x.png'), np.full((60, 80), 7, np.uint8))
    with pytest.raises(ValueError, match=r'x\.png.*16-bit'):
        tool.main([str(eight_bit), str(tmp_path / 'o1')] + args)
    broken = tmp_path / 'broken'
    os.makedirs(broken)
    (broken / 'y.png').write_bytes(b'not a png at all')
    with pytest.raises(OSError, match=r'y\.png'):
        tool.main([str(broken), str(tmp_path / 'o2')] + args)
    assert not osp.exists(tmp_path / 'o1') and not osp.exists(tmp_path / 'o2')  # atomic
    os.makedirs(tmp_path / 'empty')
    with pytest.raises(FileNotFoundError, match='no depth PNG'):
        tool.main([str(tmp_path / 'empty'), str(tmp_path / 'o3')] + args)


def test_cli_per_image_intrinsics(tmp_path):
    tool = load_tool('tools/dataset_converters/depth_to_hha.py')
    depth, k, _, _, _ = render_room(pitch=15)
    _depth_folder(tmp_path / 'depth', {'a': depth})
    calib = tmp_path / 'calib'
    os.makedirs(calib)
    np.savetxt(calib / 'a.txt', k)
    counts = tool.main([str(tmp_path / 'depth'), str(tmp_path / 'out'), '--intrinsics-dir',
                        str(calib), '--suffix', '.png'])
    assert counts['images'] == 1
    np.testing.assert_array_equal(load_hha(str(tmp_path / 'out' / 'a.png')),
                                  compute_hha(np.rint(depth * 1000) / 1000, k))
    np.savetxt(calib / 'a.txt', k.T)  # a transposed K is refused, naming the file
    with pytest.raises(ValueError, match=r'a\.txt'):
        tool.main([str(tmp_path / 'depth'), str(tmp_path / 'out2'), '--intrinsics-dir',
                   str(calib)])
    os.remove(calib / 'a.txt')
    with pytest.raises(FileNotFoundError, match=r'a\.txt'):
        tool.main([str(tmp_path / 'depth'), str(tmp_path / 'out3'), '--intrinsics-dir',
                   str(calib)])
    with pytest.raises(SystemExit):  # exactly one source of intrinsics
        tool.main([str(tmp_path / 'depth'), str(tmp_path / 'out4')])


def test_cli_on_sunrgbd(tmp_path):
    tool = load_tool('tools/dataset_converters/depth_to_hha.py')
    root = shared_data('rgbd_sunrgbd')
    calib = tmp_path / 'k'
    os.makedirs(calib)
    for name in ('000001', '000002', '000003', '000004'):
        with open(osp.join(root, 'calib', name + '.txt')) as f:
            k = np.array(f.read().split('\n')[1].split(), float).reshape(3, 3, order='F')
        np.savetxt(calib / (name + '.txt'), k)
    counts = tool.main([osp.join(root, 'depth_mm'), str(tmp_path / 'hha'),
                        '--intrinsics-dir', str(calib)])
    assert counts['images'] == 4 and counts['missing_pixels'] > 0
    hha = load_hha(str(tmp_path / 'hha' / '000001.jpg'))
    assert hha.shape == (530, 730, 3)
