# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Where the per-image outputs of a run go (pictures, saliency maps).

Benchmarks reuse base names across folders (KAIST ``set00/V000/visible/I00000.jpg`` and
``set01/V000/visible/I00000.jpg``), so an output is named after the image's path
*relative to the dataset's image folder*, not after its base name alone:

    image root  data/kaist/images
    image       data/kaist/images/set01/V000/visible/I00000.jpg
    output      <out_dir>/set01/V000/visible/I00000.png

With several test sets (``NamedConcatDataset``) the roots are ``{set name: folder}``
and the set name is the first folder (``<out_dir>/VT821/0001.png``). An image outside
every root keeps only its base name; :class:`OutputPathGuard` then makes sure that two
different images never write the same file.
"""
import os.path as osp
from typing import Dict, Mapping, Optional, Union

__all__ = ['ImageRoots', 'OutputPathGuard', 'image_root_of', 'relative_output_path']

#: None, one image folder, or ``{set name: image folder}``.
ImageRoots = Union[None, str, Mapping[str, str]]


def _norm(path: str) -> str:
    """Comparable form of a local path (URLs of storage backends are kept as they are)."""
    path = str(path)
    return path.rstrip('/') if '://' in path else osp.normpath(osp.abspath(path))


def _relative_to(path: str, root: str) -> Optional[str]:
    """``path`` relative to ``root`` if it lies under it, else None."""
    path, root = _norm(path), _norm(root)
    sep = '/' if '://' in root else osp.sep
    if not path.startswith(root.rstrip(sep) + sep):
        return None
    return path[len(root.rstrip(sep)) + 1:]


def relative_output_path(img_path: str, roots: ImageRoots = None,
                         suffix: str = '.png') -> str:
    """The output file of an image, relative to the output folder.

    Args:
        img_path: the image's path (as in the data sample's ``img_path``).
        roots: the dataset's image folder, ``{set name: image folder}`` for several
            sets, or None.
        suffix: replaces the image's suffix.

    Returns:
        ``img_path`` relative to the deepest root that contains it (after the set name
        for a dict), with ``suffix``; the base name with ``suffix`` when no root
        contains it.
    """
    if isinstance(roots, str):
        roots = {'': roots}
    best = None  # (depth of the root, set name, relative path)
    for name, root in (roots or {}).items():
        if not root:
            continue
        rel = _relative_to(img_path, root)
        if rel is not None:
            depth = len(_norm(root))
            if best is None or depth > best[0]:
                best = (depth, name, rel)
    if best is None:
        rel, name = osp.basename(str(img_path)), ''
    else:
        _, name, rel = best
    rel = osp.splitext(rel)[0] + suffix
    return osp.join(name, rel) if name else rel


def image_root_of(dataset) -> Optional[str]:
    """The image folder of a built (possibly lazily initialised) dataset.

    mmseg-style datasets keep it in ``data_prefix['img_path']``, mmdet-style ones in
    ``data_prefix['img']`` (both already joined with ``data_root``); otherwise
    ``data_root``; None when the dataset has neither.
    """
    prefix = getattr(dataset, 'data_prefix', None) or {}
    for key in ('img_path', 'img'):
        if prefix.get(key):
            return str(prefix[key])
    root = getattr(dataset, 'data_root', None)
    return str(root) if root else None


class OutputPathGuard:
    """Refuses to let two different images write the same output file in one run.

    Also refuses to write onto one of the sample's own input files (an output folder
    that was set to the data folder by mistake).
    """

    def __init__(self, what: str = 'output') -> None:
        self.what = what
        self._owner: Dict[str, str] = {}

    def claim(self, out_file: str, img_path: str, *inputs: Optional[str]) -> None:
        """Record that ``img_path`` writes ``out_file``; raise on a collision."""
        key = _norm(out_file)
        for src in (img_path, ) + inputs:
            if src and _norm(src) == key:
                raise ValueError(f'{self.what} {out_file} would overwrite the input file '
                                 f'{src}; choose an output folder outside the data')
        owner = self._owner.setdefault(key, _norm(img_path))
        if owner != _norm(img_path):
            raise ValueError(
                f'{self.what} {out_file} would be written for two images, {owner} and '
                f'{img_path} (same base name in different folders). Give the image '
                'root (img_root=<the dataset image folder>) so that file names keep '
                'the path relative to it')
