# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Cost of the frozen-backbone methods against two-stream full fine-tuning.

For each method at its published input size, and for the two-stream baseline built on
the same foundation model (two trainable copies, summed per level, in
:class:`~mmrgbir.models.backbones.dual_stream.DualStreamBackbone`), one run measures:

* the training step: forward + backward + optimizer step on random inputs, with the
  optimizer of the method's published recipe (SGD with momentum, Adam or AdamW: their
  state is part of the memory a recipe needs);
* inference: a forward pass in eval mode under ``torch.inference_mode``;
* peak memory: ``torch.cuda.max_memory_allocated`` on CUDA (weights, gradients,
  optimizer state, activations); on the CPU the peak resident set size (``VmHWM``,
  reset through ``/proc/self/clear_refs``; ``ru_maxrss`` elsewhere) above the
  process's size before the model was built;
* trainable and total parameters.

Both variants of a method always run with the same settings; ``with_cp`` turns on
gradient checkpointing of the foundation model's blocks in both (the adapters'
``with_cp`` option, and the same per-block recomputation in the baseline's streams);
``amp`` runs forward passes under ``torch.autocast`` (float16 with a gradient scaler
on CUDA, as mmengine's ``AmpOptimWrapper``; bfloat16 on the CPU). The frozen
foundation models keep their random initialisation (``allow_random_frozen``): the
cost does not depend on the weights.

Each case runs in a fresh subprocess by default (``isolate=True``) so that one case's
allocator caches do not hide the next one's memory. Times are medians over ``iters``
steps after ``warmup`` steps. Only the backbones are measured (heads are the same for a
method and its baseline).
"""
import contextlib
import json
import os
import os.path as osp
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint

from mmrgbir.models.utils.param_report import count_parameters

Size = Tuple[int, int]


# --------------------------------------------------------------------------------------
# The methods (published configurations and tiny smoke-test variants)
# --------------------------------------------------------------------------------------
def _unirgbir(out_mode: str, img_size: int, tiny: bool) -> dict:
    from mmrgbir.models.backbones.unirgbir_vit import UniRGBIRViT
    if tiny:
        return dict(type=UniRGBIRViT, img_size=64, embed_dim=64, depth=4, num_heads=2,
                    window_size=3, global_attn_indexes=(1, 3), interaction_indexes=(0, 2),
                    pretrain_img_size=32, pool_channels=8, out_mode=out_mode, x_channels=1)
    return dict(type=UniRGBIRViT, img_size=img_size, out_mode=out_mode, x_channels=1)


def _dplnet(tiny: bool) -> dict:
    from mmrgbir.models.backbones.dplnet_mit import DPLNetMiT
    if tiny:
        return dict(type=DPLNetMiT, arch='b0', depths=(1, 1, 1, 1), x_channels=3)
    return dict(type=DPLNetMiT, arch='b5', x_channels=3)   # depth fed as 3 channels


def _ivtuning_vit(tiny: bool) -> dict:
    from mmrgbir.models.backbones.ivtuning_vit import IVTuningViT
    if tiny:
        return dict(type=IVTuningViT, model_name='eva02_large_patch14_224', img_size=64,
                    patch_size=16, embed_dim=32, depth=4, num_heads=2,
                    out_indices=(0, 1, 2, 3), x_channels=1)
    return dict(type=IVTuningViT, x_channels=1)   # EVA02-L, patch 16


def _ivtuning_swin(tiny: bool) -> dict:
    from mmrgbir.models.backbones.ivtuning_swin import IVTuningSwin
    if tiny:
        return dict(type=IVTuningSwin, model_name='swin_tiny_patch4_window7_224',
                    img_size=64, embed_dim=16, depths=(1, 1, 2, 1), num_heads=(1, 2, 4, 8),
                    window_size=4, x_channels=1)
    return dict(type=IVTuningSwin, x_channels=1)  # Swin-L, window 12


@dataclass(frozen=True)
class MethodSpec:
    """A method backbone at the input size of a published recipe.

    ``backbone(tiny)`` returns the backbone config (``type`` is the class);
    ``optimizer`` is the one of the recipe (a key of :data:`OPTIMIZERS`).
    """

    key: str
    label: str
    foundation: str
    input_size: Size
    x_channels: int
    backbone: Callable[[bool], dict]
    optimizer: str = 'sgd'
    tiny_input_size: Size = (64, 64)


METHODS: Dict[str, MethodSpec] = {m.key: m for m in [
    MethodSpec('unirgbir-seg', 'UniRGB-IR (seg, MFNet recipe)', 'ViT-B/16 (ViTDet)',
               (768, 768), 1, lambda tiny: _unirgbir('seg', 768, tiny), 'sgd'),
    MethodSpec('unirgbir-det', 'UniRGB-IR (det, FLIR recipe)', 'ViT-B/16 (ViTDet)',
               (1024, 1024), 1, lambda tiny: _unirgbir('det', 1024, tiny), 'adamw'),
    MethodSpec('dplnet', 'DPLNet (NYUDv2 recipe)', 'MiT-B5', (480, 640), 3, _dplnet, 'sgd'),
    MethodSpec('ivtuning-eva02l', 'IV-tuning (SOD, VT5000 recipe)', 'EVA02-L/16',
               (384, 384), 1, _ivtuning_vit, 'adam'),
    MethodSpec('ivtuning-swinl', 'IV-tuning (seg, MFNet size)', 'Swin-L (window 12)',
               (480, 640), 1, _ivtuning_swin, 'adamw'),
]}

#: Optimizers of the recipes (a tiny lr: the step's cost is what counts, the weights
#: must stay finite).
OPTIMIZERS: Dict[str, Callable[[list], torch.optim.Optimizer]] = {
    'sgd': lambda params: torch.optim.SGD(params, lr=1e-6, momentum=0.9),
    'adam': lambda params: torch.optim.Adam(params, lr=1e-6),
    'adamw': lambda params: torch.optim.AdamW(params, lr=1e-6, weight_decay=0.01),
}

VARIANTS = ('adapter', 'two-stream FT')


# --------------------------------------------------------------------------------------
# The two-stream full fine-tuning baseline on the same foundation model
# --------------------------------------------------------------------------------------
class FoundationStream(nn.Module):
    """The foundation model of a method backbone alone, every parameter trainable.

    Builds the method backbone from ``backbone`` and keeps only its foundation model
    (the adapters are dropped), so the baseline runs the very same implementation.
    Input (B, 3, H, W); output a tuple of maps (B, C, h, w).

    Args:
        backbone: config of a method backbone (``type`` a class or registered name);
            its ``with_cp`` also checkpoints this stream's blocks.
    """

    def __init__(self, backbone: dict):
        super().__init__()
        from mmrgbir.registry import MODELS
        method = MODELS.build(dict(backbone))
        self.with_cp = bool(backbone.get('with_cp', False))
        kind = type(method).__name__
        if kind == 'UniRGBIRViT':
            self.vit = method.vit                       # ViTDetViT: (B, C, H/16, W/16)
        elif kind == 'DPLNetMiT':
            for block in method.blocks():               # the MFA lives inside attention
                block.attn.feature_adapter = None
            self.patch_embeds = method.patch_embeds
            self.stages = method.stages
            self.stage_norms = method.stage_norms
        elif kind == 'IVTuningViT':
            self.timm_vit = method.vit                  # heads already removed
            self.timm_vit.set_grad_checkpointing(self.with_cp)
        elif kind == 'IVTuningSwin':
            self.swin = method.swin
            self.swin.set_grad_checkpointing(self.with_cp)
            self.out_norms = method.out_norms           # mmdet's norm0..3 (or None)
        else:
            raise TypeError(f'FoundationStream: no foundation model known for {kind}')
        self.kind = kind
        for p in self.parameters():
            p.requires_grad_(True)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        if self.kind == 'UniRGBIRViT':
            return (self.vit(x), )
        if self.kind == 'DPLNetMiT':
            from mmrgbir.models.adapters.multimodal_prompt_generator import tokens_to_map
            outs = []
            for embed, stage, norm in zip(self.patch_embeds, self.stages, self.stage_norms):
                tokens, hw = embed(x)
                for block in stage:
                    if self.with_cp and torch.is_grad_enabled():
                        tokens = checkpoint(block, tokens, hw, use_reentrant=False)
                    else:
                        tokens = block(tokens, hw)
                x = tokens_to_map(norm(tokens), hw)
                outs.append(x)
            return tuple(outs)
        if self.kind == 'IVTuningViT':
            vit = self.timm_vit
            tokens = vit.forward_features(x)[:, vit.num_prefix_tokens:]
            gh, gw = (s // p for s, p in zip(x.shape[-2:], vit.patch_embed.patch_size))
            return (tokens.transpose(1, 2).reshape(x.shape[0], -1, gh, gw), )
        outs = []                                        # Swin: the 4 stage maps
        x = self.swin.patch_embed(x)
        for i, layer in enumerate(self.swin.layers):
            x = layer(x)
            norm = self.out_norms[str(i)] if self.out_norms and str(i) in self.out_norms \
                else None
            y = norm(x) if norm is not None else x
            outs.append(y.permute(0, 3, 1, 2))
        return tuple(outs)


def build_case_model(method: str, variant: str, tiny: bool = False,
                     with_cp: bool = False) -> nn.Module:
    """The backbone of one benchmark case: the method, or its two-stream baseline.

    ``with_cp``: gradient checkpointing of the foundation model's blocks (UniRGB-IR's
    frozen ViT blocks are shared with the baseline's streams and get it there too).
    """
    from mmrgbir.models.backbones.dual_stream import DualStreamBackbone
    from mmrgbir.registry import MODELS
    spec = METHODS[method]
    cfg = dict(spec.backbone(tiny), with_cp=with_cp)
    cfg.setdefault('allow_random_frozen', True)   # cost only: no weights needed
    if variant == 'adapter':
        return MODELS.build(cfg)
    if variant == 'two-stream FT':
        return DualStreamBackbone(backbone=dict(type=FoundationStream, backbone=cfg),
                                  fusion=dict(type='AddFusion'),
                                  x_channels=spec.x_channels, x_stream_channels=3)
    raise ValueError(f'variant must be one of {VARIANTS}, got {variant!r}')


# --------------------------------------------------------------------------------------
# Measuring one case
# --------------------------------------------------------------------------------------
def _proc_status_kib(field_name: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field_name + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS (Linux >= 4.0)."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


class _CpuMemory:
    """Peak RSS above the RSS at construction, per phase.

    Only meaningful in a fresh process: in a process that already ran a case, the
    allocator reuses freed memory without growing the RSS (``peak_mib`` is None).
    """

    def __init__(self, fresh_process: bool):
        self.resettable = _reset_peak_rss()
        self.valid = fresh_process
        self.start = (_proc_status_kib('VmRSS') or
                      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)

    def new_phase(self) -> None:
        if self.resettable:
            _reset_peak_rss()

    def peak_mib(self) -> Optional[float]:
        if not self.valid:
            return None
        peak = _proc_status_kib('VmHWM') if self.resettable else None
        if peak is None:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        return max(peak - self.start, 0) / 1024


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _timed(fn: Callable[[], None], iters: int, warmup: int, device: torch.device
           ) -> float:
    """Median wall time of ``fn`` in milliseconds."""
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _foundation(spec: MethodSpec, tiny: bool) -> str:
    return f'tiny {spec.foundation}-like' if tiny else spec.foundation


def measure_case(method: str, variant: str, input_size: Optional[Size] = None,
                 batch_size: int = 1, device: str = 'cpu', iters: int = 10,
                 warmup: int = 3, tiny: bool = False, fresh_process: bool = False,
                 seed: int = 0, optimizer: str = 'recipe', with_cp: bool = False,
                 amp: bool = False) -> dict:
    """Build one case and measure it; returns a row of the result table (a dict).

    ``optimizer``: ``'recipe'`` (the method's, :attr:`MethodSpec.optimizer`) or a key
    of :data:`OPTIMIZERS`; ``with_cp``: see :func:`build_case_model`; ``amp``:
    autocast (float16 + gradient scaler on CUDA, bfloat16 on the CPU).
    """
    spec = METHODS[method]
    optimizer = spec.optimizer if optimizer == 'recipe' else optimizer
    if optimizer not in OPTIMIZERS:
        raise KeyError(f"optimizer must be 'recipe' or one of {sorted(OPTIMIZERS)}, "
                       f'got {optimizer!r}')
    size = tuple(input_size or (spec.tiny_input_size if tiny else spec.input_size))
    dev = torch.device(device)
    amp_dtype = (torch.float16 if dev.type == 'cuda' else torch.bfloat16) if amp else None
    row = dict(method=method, label=spec.label, foundation=_foundation(spec, tiny),
               variant=variant, input_size=list(size), batch_size=batch_size,
               optimizer=optimizer, with_cp=with_cp,
               amp=str(amp_dtype).replace('torch.', '') if amp else False)

    def autocast():
        return torch.autocast(dev.type, dtype=amp_dtype) if amp else contextlib.nullcontext()
    torch.manual_seed(seed)
    if dev.type == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(dev)
        base_alloc = torch.cuda.memory_allocated(dev)
    else:
        cpu_mem = _CpuMemory(fresh_process)

    def peak_mib() -> Optional[float]:
        if dev.type == 'cuda':
            return (torch.cuda.max_memory_allocated(dev) - base_alloc) / 2 ** 20
        return cpu_mem.peak_mib()

    def new_phase() -> None:
        if dev.type == 'cuda':
            torch.cuda.reset_peak_memory_stats(dev)
        else:
            cpu_mem.new_phase()

    model = build_case_model(method, variant, tiny, with_cp).to(dev)
    row['trainable_params'], row['total_params'] = count_parameters(model)
    inputs = torch.randn(batch_size, 3 + spec.x_channels, *size, device=dev)

    model.eval()

    def infer() -> None:
        with torch.inference_mode(), autocast():
            model(inputs)

    new_phase()
    row['infer_ms'] = _timed(infer, iters, warmup, dev)
    row['infer_mem_mib'] = peak_mib()

    model.train()
    optim = OPTIMIZERS[optimizer]([p for p in model.parameters() if p.requires_grad])
    # float16 gradients need loss scaling (bfloat16 has float32's range)
    scaler = torch.amp.GradScaler(dev.type, enabled=amp and amp_dtype == torch.float16)

    def train_step() -> None:
        with autocast():
            outs = model(inputs)
            loss = sum(o.float().mean() for o in outs)
        optim.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optim)
        scaler.update()

    new_phase()
    row['train_ms'] = _timed(train_step, iters, warmup, dev)
    row['train_mem_mib'] = peak_mib()
    return row


# --------------------------------------------------------------------------------------
# Running cases (in subprocesses) and the table
# --------------------------------------------------------------------------------------
_RESULT_TAG = 'MMRGBIR_BENCHMARK_ROW '


def _worker_main(spec_json: str) -> None:
    """Entry point of a case subprocess: measure, print one tagged JSON line."""
    kwargs = json.loads(spec_json)
    row = measure_case(fresh_process=True, **kwargs)
    print(_RESULT_TAG + json.dumps(row), flush=True)


def _run_isolated(kwargs: dict, timeout: Optional[float]) -> dict:
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    env = dict(os.environ)
    env['PYTHONPATH'] = root + os.pathsep + env.get('PYTHONPATH', '')
    code = ('import sys; from mmrgbir.apis.benchmark import _worker_main; '
            '_worker_main(sys.argv[1])')
    proc = subprocess.run([sys.executable, '-c', code, json.dumps(kwargs)],
                          capture_output=True, text=True, env=env, timeout=timeout)
    for line in proc.stdout.splitlines():
        if line.startswith(_RESULT_TAG):
            return json.loads(line[len(_RESULT_TAG):])
    tail = (proc.stderr.strip().splitlines() or ['no output'])[-1]
    raise RuntimeError(f'case subprocess failed (exit {proc.returncode}): {tail}')


def machine_info(device: str) -> dict:
    """The machine and software the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f
                       if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    info = dict(cpu=cpu, cpu_count=os.cpu_count(), torch_threads=torch.get_num_threads(),
                torch=str(torch.__version__), python=platform.python_version(),
                platform=platform.platform())
    if device.startswith('cuda') and torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name(torch.device(device))
        info['cuda'] = torch.version.cuda
    return info


@dataclass
class BenchmarkResult:
    """Rows (one dict per case, see :data:`TABLE_COLUMNS`) and the settings."""

    rows: List[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    machine: dict = field(default_factory=dict)

    @property
    def errors(self) -> List[dict]:
        return [r for r in self.rows if r.get('error')]


def run_benchmark(methods: Optional[Sequence[str]] = None, device: str = 'cpu',
                  input_size: Optional[Size] = None, batch_size: int = 1, iters: int = 10,
                  warmup: int = 3, tiny: bool = False, isolate: bool = True,
                  baseline: bool = True, timeout: Optional[float] = None,
                  progress: Optional[Callable[[str], None]] = None,
                  optimizer: str = 'recipe', with_cp: bool = False,
                  amp: bool = False) -> BenchmarkResult:
    """Measure each method (and its two-stream baseline) and collect the rows.

    Args:
        methods: keys of :data:`METHODS` (default: all).
        device: ``'cpu'`` or ``'cuda'`` (``'cuda:N'``).
        input_size: (H, W) for every method instead of its published size.
        batch_size, iters, warmup: per case.
        tiny: the tiny variants (for smoke tests) at 64 x 64 unless ``input_size``.
        isolate: one fresh subprocess per case (needed for meaningful CPU memory).
        baseline: also measure the two-stream full fine-tuning baseline.
        timeout: seconds per case subprocess.
        progress: called with a line before each case (e.g. ``print``).
        optimizer: ``'recipe'`` (each method's) or one optimizer for all cases.
        with_cp: gradient checkpointing of the foundation blocks in both variants.
        amp: mixed precision (autocast float16 + gradient scaler on CUDA, bfloat16 on
            the CPU).

    A case that fails gets an ``error`` entry instead of numbers.
    """
    methods = list(methods or METHODS)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise KeyError(f'unknown method(s) {unknown}; choose from {list(METHODS)}')
    if iters < 1 or warmup < 0 or batch_size < 1:
        raise ValueError(f'need iters >= 1, warmup >= 0, batch_size >= 1; got {iters}, '
                         f'{warmup}, {batch_size}')
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise RuntimeError('--device cuda: CUDA is not available on this machine')
    dtype = ('autocast float16' if device.startswith('cuda') else 'autocast bfloat16') \
        if amp else 'float32'
    settings = dict(device=device, batch_size=batch_size, iters=iters, warmup=warmup,
                    tiny=tiny, isolate=isolate, dtype=dtype, optimizer=optimizer,
                    with_cp=with_cp, amp=amp,
                    input_size=list(input_size) if input_size else None)
    result = BenchmarkResult(settings=settings, machine=machine_info(device))
    variants = VARIANTS if baseline else VARIANTS[:1]
    for method in methods:
        for variant in variants:
            kwargs = dict(method=method, variant=variant,
                          input_size=list(input_size) if input_size else None,
                          batch_size=batch_size, device=device, iters=iters,
                          warmup=warmup, tiny=tiny, optimizer=optimizer,
                          with_cp=with_cp, amp=amp)
            if progress:
                progress(f'benchmark: {method} / {variant} ...')
            try:
                row = _run_isolated(kwargs, timeout) if isolate else measure_case(**kwargs)
            except Exception as exc:  # noqa: BLE001  (one failing case must not stop a run)
                spec = METHODS[method]
                row = dict(method=method, label=spec.label,
                           foundation=_foundation(spec, tiny), variant=variant,
                           error=f'{type(exc).__name__}: {exc}')
            result.rows.append(row)
    return result


#: Columns of the main table, in order.
TABLE_COLUMNS = ('method', 'foundation', 'variant', 'input (H x W)', 'batch',
                 'optimizer', 'trainable params', 'total params', 'trainable %', 'train step (ms)',
                 'inference (ms)', 'train peak mem (MiB)', 'inference peak mem (MiB)')
#: Columns of the adapter / baseline comparison table.
RATIO_COLUMNS = ('method', 'trainable params (adapter / FT)', 'train step (adapter / FT)',
                 'inference (adapter / FT)', 'train peak mem (adapter / FT)')


def _params(n: int) -> str:
    return f'{n / 1e6:.2f} M' if n >= 1e5 else f'{n:,}'


def _num(v: Optional[float], fmt: str = '{:.1f}') -> str:
    return 'n/a' if v is None else fmt.format(v)


def _md_table(columns: Sequence[str], rows: List[List[str]]) -> List[str]:
    lines = ['| ' + ' | '.join(columns) + ' |',
             '|' + '|'.join(['---'] * len(columns)) + '|']
    lines += ['| ' + ' | '.join(r) + ' |' for r in rows]
    return lines


def format_markdown(result: BenchmarkResult) -> str:
    """The result as markdown: machine and settings, the table, the ratios, errors."""
    s, m = result.settings, result.machine
    mem = ('torch.cuda.max_memory_allocated above the state before building the model'
           if s['device'].startswith('cuda') else
           'peak RSS above the process size before building the model, one subprocess '
           'per case' if s['isolate'] else
           'not measured on the CPU without one subprocess per case (n/a)')
    size = 'x'.join(map(str, s['input_size'])) if s['input_size'] else 'per method'
    cuda = f', CUDA {m["cuda"]}' if 'cuda' in m else ''
    lines = ['## Frozen-backbone methods vs two-stream full fine-tuning', '',
             f'- machine: {m.get("gpu", "no GPU")}; CPU {m["cpu"]} ({m["cpu_count"]} '
             f'logical cores, {m["torch_threads"]} torch threads); {m["platform"]}',
             f'- software: torch {m["torch"]}{cuda}, Python {m["python"]}',
             f'- settings: device {s["device"]}, {s["dtype"]}, batch {s["batch_size"]}, '
             f'{s["warmup"]} warm-up + {s["iters"]} timed iterations (median), '
             f'{"tiny variants" if s["tiny"] else "published configurations"}, '
             f'input {size}',
             '- train step: forward + backward + optimizer step of the backbone on '
             'random inputs (the optimizer of the method\'s recipe unless set: SGD with '
             'momentum, Adam, AdamW), loss = sum of output means; inference: eval-mode '
             'forward under torch.inference_mode',
             '- gradient checkpointing of the foundation blocks: '
             + ('on, in both variants' if s.get('with_cp') else 'off'),
             f'- memory: {mem}',
             '- two-stream FT: DualStreamBackbone with two trainable copies of the '
             'method\'s foundation model (RGB stream + X stream, summed per level)', '']
    rows = []
    for r in result.rows:
        if r.get('error'):
            rows.append([r['label'], r['foundation'], r['variant']] + ['error'] * 10)
            continue
        rows.append([r['label'], r['foundation'], r['variant'],
                     f'{r["input_size"][0]} x {r["input_size"][1]}', str(r['batch_size']),
                     r.get('optimizer', 'sgd'),
                     _params(r['trainable_params']), _params(r['total_params']),
                     f'{100 * r["trainable_params"] / max(r["total_params"], 1):.2f}',
                     _num(r['train_ms']), _num(r['infer_ms']),
                     _num(r['train_mem_mib'], '{:.0f}'), _num(r['infer_mem_mib'], '{:.0f}')])
    lines += _md_table(TABLE_COLUMNS, rows)

    ratios = []
    by_key = {(r['method'], r['variant']): r for r in result.rows if not r.get('error')}
    for method in dict.fromkeys(r['method'] for r in result.rows):
        a, b = by_key.get((method, VARIANTS[0])), by_key.get((method, VARIANTS[1]))
        if a is None or b is None:
            continue

        def ratio(key: str) -> str:
            if a.get(key) is None or not b.get(key):
                return 'n/a'
            return f'{a[key] / b[key]:.3f}'

        ratios.append([a['label'], ratio('trainable_params'), ratio('train_ms'),
                       ratio('infer_ms'), ratio('train_mem_mib')])
    if ratios:
        lines += [''] + _md_table(RATIO_COLUMNS, ratios)
    for r in result.errors:
        lines.append(f'\nerror in {r["method"]} / {r["variant"]}: {r["error"]}')
    return '\n'.join(lines)


__all__ = ['METHODS', 'VARIANTS', 'MethodSpec', 'FoundationStream', 'build_case_model',
           'measure_case', 'run_benchmark', 'BenchmarkResult', 'format_markdown',
           'machine_info', 'TABLE_COLUMNS', 'RATIO_COLUMNS']
