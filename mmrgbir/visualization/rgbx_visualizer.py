# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Pictures of RGB-X predictions and annotations, and the visualizer that writes them.

One picture per sample, built from panels of equal height (see :func:`render_sample`):

- segmentation: ``RGB + labels | X + labels`` (labels overlaid on both modalities),
  plus a ``ground truth`` panel when predictions and ground truth are both drawn;
- detection: ``RGB + boxes | X + boxes`` (predicted boxes in the class colour with
  their score, ground-truth boxes in green);
- salient-object detection (SOD): ``RGB | X | saliency | ground truth``.

:class:`RGBXLocalVisualizer` draws these from data samples, so mmseg's
``SegVisualizationHook`` and mmdet's ``DetVisualizationHook`` (``tools/test.py
--show-dir``) write them. The hooks give it the RGB image only; it reads X from
``data_sample.metainfo['x_path']``.
"""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.visualization import Visualizer

from mmrgbir.registry import VISUALIZERS
from .output_paths import ImageRoots, OutputPathGuard, relative_output_path
from .panels import colorize_label, overlay, side_by_side, x_to_display

TASKS = ('seg', 'sod', 'det')
GT_BOX_COLOR = (0, 255, 0)
X_COLORMAPS = {'thermal': cv2.COLORMAP_INFERNO, 'depth': cv2.COLORMAP_TURBO, 'x': None}


# ---------------------------------------------------------------- small helpers
def read_x_image(path: str) -> np.ndarray:
    """Read an X image as stored (8/16-bit, 1 or 3 channels; 3 channels in RGB order)."""
    x = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if x is None:
        raise OSError(f'cannot read X image {path}')
    if x.ndim == 3 and x.shape[2] >= 3:
        x = x[..., 2::-1]  # BGR(A) -> RGB, as LoadRGBXImageFromFile does
    return x


def display_x(x: np.ndarray, x_kind: str = 'x') -> np.ndarray:
    """(H, W[, C]) X of any dtype -> (H, W, 3) uint8 RGB.

    Thermal gets the inferno colour map, depth the turbo map (0 = invalid depth is
    left out of the contrast stretch), other single-channel X is gray.
    """
    x = np.asarray(x)
    if x.ndim == 3 and x.shape[2] == 3 and (x == x[..., :1]).all():
        x = x[..., 0]  # gray stored as 3 channels (e.g. thermal JPEGs): use the colour map
    return x_to_display(x, X_COLORMAPS.get(x_kind, None),
                        valid_min=0 if x_kind == 'depth' else None)


def to_uint8_rgb(img: np.ndarray) -> np.ndarray:
    """Clip a (H, W, 3) image (any dtype, 0-255 scale) to uint8."""
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img)


def _numpy(data) -> np.ndarray:
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu()
        data = data.float() if data.is_floating_point() else data
        return data.numpy()
    return np.asarray(data)


def _label_map(pixel_data) -> np.ndarray:
    """PixelData (1, H, W) -> (H, W) array."""
    arr = _numpy(pixel_data.data)
    return arr[0] if arr.ndim == 3 else arr


def _resize_to(img: np.ndarray, hw: Tuple[int, int], nearest: bool = False) -> np.ndarray:
    if img.shape[:2] == tuple(hw):
        return img
    out = cv2.resize(img, (hw[1], hw[0]),
                     interpolation=cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR)
    return out[..., None] if img.ndim == 3 and out.ndim == 2 else out


def default_palette(num_classes: int, seed: int = 42) -> list:
    """A fixed random palette for models saved without one."""
    rng = np.random.RandomState(seed)
    return [tuple(int(v) for v in rng.randint(40, 256, 3)) for _ in range(num_classes)]


def is_sod_meta(dataset_meta: Optional[dict]) -> bool:
    """True for the salient-object datasets' classes ('background', 'salient')."""
    classes = tuple(str(c).lower() for c in (dataset_meta or {}).get('classes', ()))
    return len(classes) == 2 and classes[1] == 'salient'


def task_of_sample(data_sample, dataset_meta: Optional[dict] = None) -> str:
    """'det' for samples with instances, 'sod' for SOD datasets, 'seg' otherwise."""
    if 'pred_instances' in data_sample or 'gt_instances' in data_sample:
        return 'det'
    return 'sod' if is_sod_meta(dataset_meta) else 'seg'


def saliency_map(data_sample) -> Optional[np.ndarray]:
    """(H, W) float saliency in [0, 1] from a SegDataSample's logits or prediction.

    mmseg stores ``seg_logits`` after a sigmoid when the head has one output channel
    (``C == 1``) and raw logits otherwise (``C >= 2``: softmax, channel 1).
    """
    if 'seg_logits' in data_sample:
        logits = torch.as_tensor(_numpy(data_sample.seg_logits.data)).float()
        if logits.shape[0] == 1:
            return logits[0].clamp(0, 1).numpy()
        return logits.softmax(dim=0)[1].numpy()
    if 'pred_sem_seg' in data_sample:
        return (_label_map(data_sample.pred_sem_seg) > 0).astype(np.float32)
    return None


# ---------------------------------------------------------------- drawing
def overlay_labels(base: np.ndarray, label: np.ndarray, palette: Sequence,
                   alpha: float = 0.5, ignore_index: int = 255) -> np.ndarray:
    """Blend the class colours of ``label`` (H, W) onto ``base`` (H, W, 3) RGB.

    Classes whose palette colour is pure black (usually background) and
    ``ignore_index`` pixels are left unblended, so the image stays readable.
    """
    color = colorize_label(label, palette, ignore_index)
    blended = overlay(base, color, alpha)
    keep = (color.max(axis=2) == 0) | (label == ignore_index)
    blended[keep] = base[keep]
    return blended


def draw_boxes(img: np.ndarray, bboxes: np.ndarray, labels: Optional[np.ndarray] = None,
               scores: Optional[np.ndarray] = None, classes: Sequence[str] = (),
               palette: Sequence = (), color=None) -> np.ndarray:
    """Draw (N, 4) xyxy boxes on a copy of an RGB image, with 'class score' tags."""
    out = np.ascontiguousarray(img.copy())
    h, w = out.shape[:2]
    thick = max(1, int(round(min(h, w) / 250)))
    scale = max(0.35, min(h, w) / 700)
    for i, box in enumerate(np.asarray(bboxes, np.float32).reshape(-1, 4)):
        label = int(labels[i]) if labels is not None else 0
        col = color if color is not None else (
            tuple(int(v) for v in palette[label % len(palette)]) if len(palette) else
            (255, 0, 0))
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), col, thick)
        if scores is None and color is not None:
            continue  # ground truth: no tag
        text = str(classes[label]) if label < len(classes) else str(label)
        if scores is not None:
            text += f' {float(scores[i]):.2f}'
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        ty = max(y1, th + base + 1)
        cv2.rectangle(out, (x1, ty - th - base - 1), (x1 + tw + 2, ty), col, -1)
        cv2.putText(out, text, (x1 + 1, ty - base), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return out


def render_sample(rgb: np.ndarray, x: np.ndarray, data_sample, task: str = 'auto',
                  dataset_meta: Optional[Dict] = None, x_kind: Optional[str] = None,
                  draw_gt: bool = True, draw_pred: bool = True, score_thr: float = 0.3,
                  alpha: float = 0.5, max_height: Optional[int] = None) -> np.ndarray:
    """The picture of one RGB-X sample, (H', W', 3) uint8 RGB.

    Args:
        rgb: (H, W, 3) RGB image in RGB order (uint8, or float on the 0-255 scale).
        x: (H, W[, C]) X image as stored (any dtype); resized to the RGB size if needed.
        data_sample: a ``SegDataSample`` (seg / SOD) or ``DetDataSample`` (det) with
            predictions and / or ground truth, at the resolution of ``rgb``.
        task: 'seg', 'sod', 'det' or 'auto' (:func:`task_of_sample`).
        dataset_meta: ``classes`` and ``palette``.
        x_kind: 'thermal', 'depth' or 'x' (default: from the sample's modality layout).
        draw_gt, draw_pred: what to draw.
        score_thr: detection boxes below this score are not drawn.
        alpha: opacity of the label overlay.
        max_height: downscale the panels to at most this height.
    """
    task = task_of_sample(data_sample, dataset_meta) if task == 'auto' else task
    if task not in TASKS:
        raise ValueError(f'task must be one of {TASKS} or "auto", got {task!r}')
    meta = dataset_meta or {}
    if x_kind is None:
        x_kind = (data_sample.metainfo.get('modality_layout') or {}).get('x_kind', 'x')
    rgb = to_uint8_rgb(rgb)
    hw = rgb.shape[:2]
    x_disp = _resize_to(display_x(x, x_kind), hw)
    x_name = x_kind if x_kind != 'x' else 'X'

    if task == 'det':
        scale = 1.0
        if max_height is not None and hw[0] > max_height:
            # downscale first, so that boxes and tags are drawn at display resolution
            scale = max_height / hw[0]
            size = (max(1, int(round(hw[1] * scale))), max_height)
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            x_disp = cv2.resize(x_disp, size, interpolation=cv2.INTER_AREA)
        panels, titles = _det_panels(rgb, x_disp, data_sample, meta, draw_gt, draw_pred,
                                     score_thr, scale)
        titles = [f'RGB {titles}'.strip(), f'{x_name} {titles}'.strip()]
    elif task == 'seg':
        panels, titles = _seg_panels(rgb, x_disp, data_sample, meta, draw_gt, draw_pred,
                                     alpha, x_name)
    else:
        panels, titles = _sod_panels(rgb, x_disp, data_sample, draw_gt, draw_pred, x_name)
    if max_height is not None and panels[0].shape[0] > max_height:
        scale = max_height / hw[0]
        panels = [cv2.resize(p, (max(1, int(round(p.shape[1] * scale))), max_height),
                             interpolation=cv2.INTER_AREA) for p in panels]
    return side_by_side(panels, titles)


def _classes_palette(meta: Dict, num: int):
    classes = list(meta.get('classes') or [str(i) for i in range(num)])
    palette = meta.get('palette') or default_palette(max(len(classes), num))
    return classes, palette


def _det_panels(rgb, x_disp, sample, meta, draw_gt, draw_pred, score_thr, scale=1.0):
    panels = [rgb, x_disp]
    what = []
    if draw_gt and 'gt_instances' in sample and len(sample.gt_instances) > 0:
        boxes = _numpy(sample.gt_instances.bboxes.tensor if hasattr(
            sample.gt_instances.bboxes, 'tensor') else sample.gt_instances.bboxes)
        panels = [draw_boxes(p, boxes * scale, color=GT_BOX_COLOR) for p in panels]
        what.append('ground truth (green)')
    if draw_pred and 'pred_instances' in sample:
        pred = sample.pred_instances
        boxes = _numpy(pred.bboxes.tensor if hasattr(pred.bboxes, 'tensor') else pred.bboxes)
        scores = _numpy(pred.scores) if 'scores' in pred else np.ones(len(boxes))
        labels = _numpy(pred.labels) if 'labels' in pred else np.zeros(len(boxes), int)
        keep = scores >= score_thr
        classes, palette = _classes_palette(meta, int(labels.max()) + 1 if len(labels) else 1)
        panels = [draw_boxes(p, boxes[keep] * scale, labels[keep], scores[keep], classes,
                             palette) for p in panels]
        num = int(keep.sum())
        what.insert(0, f'+ {num} box{"" if num == 1 else "es"} (score >= {score_thr:g})')
    return panels, ', '.join(what)


def _seg_panels(rgb, x_disp, sample, meta, draw_gt, draw_pred, alpha, x_name):
    pred = _label_map(sample.pred_sem_seg) if draw_pred and 'pred_sem_seg' in sample else None
    gt = _label_map(sample.gt_sem_seg) if draw_gt and 'gt_sem_seg' in sample else None
    ref = pred if pred is not None else gt
    if ref is None:
        return [rgb, x_disp], ['RGB', x_name]
    hw = rgb.shape[:2]
    classes, palette = _classes_palette(meta, int(ref[ref != 255].max(initial=0)) + 1)
    ignore = meta.get('ignore_index', 255)
    shown = _resize_to(ref.astype(np.uint8), hw, nearest=True)
    what = 'prediction' if pred is not None else 'ground truth'
    panels = [overlay_labels(rgb, shown, palette, alpha, ignore),
              overlay_labels(x_disp, shown, palette, alpha, ignore)]
    titles = [f'RGB + {what}', f'{x_name} + {what}']
    if pred is not None and gt is not None:
        panels.append(colorize_label(_resize_to(gt.astype(np.uint8), hw, nearest=True),
                                     palette, ignore))
        titles.append('ground truth')
    return panels, titles


def _sod_panels(rgb, x_disp, sample, draw_gt, draw_pred, x_name):
    hw = rgb.shape[:2]
    panels, titles = [rgb, x_disp], ['RGB', x_name]
    sal = saliency_map(sample) if draw_pred else None
    if sal is not None:
        gray = (np.clip(sal, 0, 1) * 255).round().astype(np.uint8)
        panels.append(np.repeat(_resize_to(gray, hw)[..., None], 3, axis=2))
        titles.append('saliency')
    if draw_gt and 'gt_sem_seg' in sample:
        gt = ((_label_map(sample.gt_sem_seg) > 0) * 255).astype(np.uint8)
        panels.append(np.repeat(_resize_to(gt, hw, nearest=True)[..., None], 3, axis=2))
        titles.append('ground truth')
    return panels, titles


# ---------------------------------------------------------------- the visualizer
@VISUALIZERS.register_module()
class RGBXLocalVisualizer(Visualizer):
    """Draws RGB-X segmentation, SOD and detection samples as side-by-side panels.

    Works with mmseg's ``SegVisualizationHook`` and mmdet's ``DetVisualizationHook``,
    which call :meth:`add_datasample` with the RGB image read from ``img_path``; X is
    read from ``data_sample.metainfo['x_path']`` (or given as ``x_image``).

    Args:
        name: instance name (mmengine visualizers are named singletons).
        vis_backends, save_dir: as for mmengine's ``Visualizer``; pictures go to the
            backends (``vis_data/vis_image/``) unless ``out_dir`` or ``out_file`` is set.
        task: 'seg', 'sod', 'det' or 'auto' (instances -> det; classes
            ('background', 'salient') -> SOD; otherwise seg).
        out_dir: write each picture to ``out_dir/<image path relative to the image
            root>.png`` (used by ``tools/test.py --show-dir``), so that images with
            the same base name in different folders (KAIST ``set00/V000/I00000.jpg``,
            ``set01/V000/I00000.jpg``) get different files.
        img_root: the dataset's image folder, or ``{set name: folder}`` (then the
            set name is the first folder). Default: ``dataset_meta['img_roots']``
            (a ``NamedConcatDataset``), else the base name; two different images
            are never written to the same file (error instead).
        alpha: opacity of the label overlay.
        max_height: downscale pictures to at most this panel height.
        score_thr: default detection score threshold (the mmdet hook passes its own).
    """

    def __init__(self, name: str = 'visualizer', image: Optional[np.ndarray] = None,
                 vis_backends=None, save_dir: Optional[str] = None, task: str = 'auto',
                 out_dir: Optional[str] = None, alpha: float = 0.5,
                 max_height: Optional[int] = None, score_thr: float = 0.3,
                 img_root: ImageRoots = None, **kwargs) -> None:
        if task not in TASKS + ('auto',):
            raise ValueError(f'task must be one of {TASKS} or "auto", got {task!r}')
        super().__init__(name=name, image=image, vis_backends=vis_backends,
                         save_dir=save_dir, **kwargs)
        self.task = task
        self.out_dir = out_dir
        self.alpha = alpha
        self.max_height = max_height
        self.score_thr = score_thr
        self.img_root = img_root
        self._guard = OutputPathGuard('picture')

    def output_file(self, img_path: str) -> str:
        """``out_dir/<img_path relative to the image root, .png>``."""
        roots = self.img_root
        if roots is None:
            roots = (self.dataset_meta or {}).get('img_roots')
        return osp.join(self.out_dir, relative_output_path(img_path, roots))

    def add_datasample(self, name: str, image: np.ndarray, data_sample=None,
                       draw_gt: bool = True, draw_pred: bool = True, show: bool = False,
                       wait_time: float = 0, out_file: Optional[str] = None,
                       step: int = 0, pred_score_thr: Optional[float] = None,
                       x_image: Optional[np.ndarray] = None, **kwargs) -> np.ndarray:
        """Draw ``data_sample`` on ``image`` (RGB, RGB order) and its X image.

        The picture goes to ``out_file`` if given, else to
        :meth:`output_file` if ``out_dir`` is set, else to the vis
        backends under ``name``; it is also returned and set as the current image.
        Extra keyword arguments of the stock visualizers (``with_labels``, ...) are
        accepted and ignored.
        """
        if data_sample is None:
            raise ValueError('RGBXLocalVisualizer.add_datasample needs a data sample')
        meta = data_sample.metainfo
        if x_image is None:
            x_path = meta.get('x_path')
            if x_path is None:
                raise KeyError(
                    'RGBXLocalVisualizer: the data sample has no "x_path" in its metainfo '
                    'and no x_image was given; pack the data with PackRGBXSegInputs / '
                    'PackRGBXDetInputs (their meta_keys must keep "x_path")')
            x_image = read_x_image(x_path)
        drawn = render_sample(
            image, x_image, data_sample, task=self.task, dataset_meta=self.dataset_meta,
            draw_gt=draw_gt, draw_pred=draw_pred,
            score_thr=self.score_thr if pred_score_thr is None else pred_score_thr,
            alpha=self.alpha, max_height=self.max_height)
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is None and self.out_dir is not None:
            img_path = meta.get('img_path') or name
            out_file = self.output_file(img_path)
            self._guard.claim(out_file, img_path, meta.get('x_path'),
                              meta.get('seg_map_path'))
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)  # creates the folder
        else:
            self.add_image(name, drawn, step)
        return drawn
