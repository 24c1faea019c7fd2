# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
"""Model-zoo pages: ``configs/*/metafile.yaml`` follow mmseg's metafile schema and name
configs that exist and parse, every shipped config is in a metafile, each method README
links every config of its folder, and the published numbers of the metafiles are the
ones the configs' own comments state.

The schema (mmseg 1.x ``configs/*/metafile.yaml``)::

    Collections: [{Name, Metadata: {Training Data: [...]}, Paper: {Title, URL}, README}]
    Models:      [{Name, In Collection, Config, Metadata: {Training Data, ...},
                   Results: {Task, Dataset, Metrics: {name: number}}, Weights (optional)}]
"""
import glob
import os
import os.path as osp
import re

import pytest
import yaml
from mmengine.config import Config

from rgbx_testing import REPO

CONFIG_ROOT = osp.join(REPO, 'configs')
METHODS = ('unirgbir', 'dplnet', 'ivtuning')
# folders that hold configs (not _base_ fragments)
CONFIG_FOLDERS = sorted(
    d for d in os.listdir(CONFIG_ROOT)
    if d != '_base_' and osp.isdir(osp.join(CONFIG_ROOT, d))
    and glob.glob(osp.join(CONFIG_ROOT, d, '**', '*.py'), recursive=True))
METAFILES = sorted(glob.glob(osp.join(CONFIG_ROOT, '*', 'metafile.yaml')))
TASK_METRICS = {
    # metric names allowed per task (mmseg / mmdet spellings; SOD: the SODMetric measures)
    'Semantic Segmentation': re.compile(r'^(mIoU|mAcc|aAcc)'),
    'Object Detection': re.compile(r'^(box AP|MR)'),
    'Salient Object Detection': re.compile(r'^(S-measure|MAE|maxF|meanF|adpF|wF|maxE|'
                                           r'meanE|adpE)$'),
}
NUMBER = re.compile(r'(?<![\w.])(\d*\.\d+|\d+)(?![\w])')
ARXIV = re.compile(r'arxiv\.org/abs/(\d{4}\.\d{4,5})', re.IGNORECASE)


def leaf_configs(folder=None):
    """Complete configs under configs/ (or one folder), repo-relative, no _base_."""
    root = osp.join(CONFIG_ROOT, folder) if folder else CONFIG_ROOT
    paths = glob.glob(osp.join(root, '**', '*.py'), recursive=True)
    return sorted(osp.relpath(p, REPO) for p in paths
                  if '_base_' not in osp.relpath(p, CONFIG_ROOT).split(os.sep))


def shipped_configs():
    """The configs a model zoo lists: not _base_ fragments, not tiny CPU variants."""
    return [p for p in leaf_configs() if 'tiny' not in p.split(os.sep)]


def load_yaml(path):
    with open(path, encoding='utf-8') as f:
        return yaml.safe_load(f)


def metafile_models():
    """(metafile, model dict) for every model of every metafile."""
    return [(osp.relpath(m, REPO), model) for m in METAFILES
            for model in (load_yaml(m) or {}).get('Models') or []]


def check_metafile(meta, folder):
    """Errors (strings) of one parsed metafile against the mmseg schema and the repo.

    Args:
        meta: the parsed YAML.
        folder: the config folder the metafile sits in (e.g. ``'dplnet'``).
    """
    errors = []
    if not isinstance(meta, dict) or set(meta) != {'Collections', 'Models'}:
        return [f'top level must be exactly Collections and Models, got '
                f'{sorted(meta) if isinstance(meta, dict) else type(meta).__name__}']
    collections = {}
    for i, col in enumerate(meta['Collections'] or []):
        where = f'Collections[{i}]'
        if not isinstance(col, dict) or not isinstance(col.get('Name'), str):
            errors.append(f'{where}: needs a Name')
            continue
        collections[col['Name']] = col
        readme = col.get('README')
        if readme != f'configs/{folder}/README.md':
            errors.append(f'{where}: README must be configs/{folder}/README.md, got {readme!r}')
        elif not osp.isfile(osp.join(REPO, readme)):
            errors.append(f'{where}: README {readme} does not exist')
        data = (col.get('Metadata') or {}).get('Training Data')
        if not isinstance(data, list) or not data:
            errors.append(f'{where}: Metadata.Training Data must be a non-empty list')
        if folder in METHODS:
            paper = col.get('Paper') or {}
            if not isinstance(paper.get('Title'), str) or not ARXIV.search(
                    str(paper.get('URL', ''))):
                errors.append(f'{where}: a method collection needs Paper.Title and an arXiv '
                              f'Paper.URL')
    if not collections:
        errors.append('no Collections')
    if not meta['Models']:
        errors.append('no Models')
    for i, model in enumerate(meta['Models'] or []):
        where = f'Models[{i}]'
        if not isinstance(model, dict):
            errors.append(f'{where}: not a mapping')
            continue
        where = f"Models[{i}] ({model.get('Name')})"
        for key in ('Name', 'In Collection', 'Config', 'Metadata', 'Results'):
            if key not in model:
                errors.append(f'{where}: missing {key}')
        if model.get('In Collection') not in collections:
            errors.append(f"{where}: In Collection {model.get('In Collection')!r} is not a "
                          f'collection of this file ({sorted(collections)})')
        config = model.get('Config')
        if isinstance(config, str):
            if not config.startswith(f'configs/{folder}/'):
                errors.append(f'{where}: Config {config} is not under configs/{folder}/')
            if not osp.isfile(osp.join(REPO, config)):
                errors.append(f'{where}: Config {config} does not exist')
            if osp.splitext(osp.basename(config))[0] != model.get('Name'):
                errors.append(f'{where}: Name must be the config file name without .py')
        metadata = model.get('Metadata')
        if not isinstance(metadata, dict) or not metadata.get('Training Data'):
            errors.append(f'{where}: Metadata needs Training Data')
        results = model.get('Results')
        if isinstance(results, dict):
            task = results.get('Task')
            if task not in TASK_METRICS:
                errors.append(f'{where}: Results.Task {task!r} not one of '
                              f'{sorted(TASK_METRICS)}')
            if not isinstance(results.get('Dataset'), str):
                errors.append(f'{where}: Results.Dataset must be a string')
            metrics = results.get('Metrics')
            if not isinstance(metrics, dict):
                errors.append(f'{where}: Results.Metrics must be a mapping')
                metrics = {}
            for name, value in metrics.items():
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    errors.append(f'{where}: metric {name!r} = {value!r} is not a number')
                if task in TASK_METRICS and not TASK_METRICS[task].match(str(name)):
                    errors.append(f'{where}: metric {name!r} is not a {task} metric')
            source = (metadata or {}).get('Results Source') if isinstance(
                metadata, dict) else None
            if not isinstance(source, str):
                errors.append(f'{where}: Metadata.Results Source must say where the numbers '
                              f"come from ('published ...', 'measured ...' or 'none')")
            elif (source == 'none') != (not metrics):
                errors.append(f"{where}: Results Source {source!r} but {len(metrics)} "
                              f'metrics')
        elif 'Results' in model:
            errors.append(f'{where}: Results must be a mapping (mmseg format)')
        weights = model.get('Weights')
        if weights is not None and not re.match(r'^https?://', str(weights)):
            errors.append(f'{where}: Weights must be a URL, got {weights!r}')
    return errors


# ------------------------------------------------------------------------------ layout


def test_every_config_folder_has_readme_and_metafile():
    assert {'unirgbir', 'dplnet', 'ivtuning', 'baselines', 'demo'} <= set(CONFIG_FOLDERS)
    for folder in CONFIG_FOLDERS:
        assert osp.isfile(osp.join(CONFIG_ROOT, folder, 'README.md')), \
            f'configs/{folder}/ has configs but no README.md'
        if folder != 'tiny':  # CPU test configs: README only
            assert osp.isfile(osp.join(CONFIG_ROOT, folder, 'metafile.yaml')), \
                f'configs/{folder}/ has configs but no metafile.yaml'


@pytest.mark.parametrize('metafile', METAFILES, ids=lambda p: osp.relpath(p, CONFIG_ROOT))
def test_metafile_schema(metafile):
    folder = osp.basename(osp.dirname(metafile))
    errors = check_metafile(load_yaml(metafile), folder)
    assert not errors, f'{osp.relpath(metafile, REPO)}:\n' + '\n'.join(errors)


def _valid_metafile():
    return {
        'Collections': [{'Name': 'DPLNet', 'Metadata': {'Training Data': ['NYUDv2']},
                         'Paper': {'Title': 'T', 'URL': 'https://arxiv.org/abs/2312.00360'},
                         'README': 'configs/dplnet/README.md'}],
        'Models': [{
            'Name': 'dplnet-mit-b5_segformer-head_1xb32-500e_nyudv2-480x640',
            'In Collection': 'DPLNet',
            'Config': 'configs/dplnet/dplnet-mit-b5_segformer-head_1xb32-500e_nyudv2-480x640.py',
            'Metadata': {'Training Data': 'NYUDv2', 'Results Source': 'published'},
            'Results': {'Task': 'Semantic Segmentation', 'Dataset': 'NYUDv2',
                        'Metrics': {'mIoU': 58.3}},
        }]}


@pytest.mark.parametrize('breakage, expected', [
    (lambda m: m['Models'][0]['Results'].pop('Task'), 'Results.Task'),
    (lambda m: m['Models'][0].update({'In Collection': 'Segformer'}), 'In Collection'),
    (lambda m: m['Models'][0].update({'Config': 'configs/dplnet/missing.py'}), 'does not exist'),
    (lambda m: m['Models'][0].update({'Name': 'dplnet_nyu'}), 'Name must be'),
    (lambda m: m['Models'][0]['Results']['Metrics'].update({'mIoU': '58.3'}), 'not a number'),
    (lambda m: m['Models'][0]['Results']['Metrics'].update({'box AP': 1.0}), 'not a Semantic'),
    (lambda m: m['Models'][0]['Metadata'].update({'Results Source': 'none'}), 'Results Source'),
    (lambda m: m['Models'][0].update({'Results': [{'Task': 'x'}]}), 'mmseg format'),
    (lambda m: m['Models'][0].update({'Weights': 'checkpoints/x.pth'}), 'must be a URL'),
    (lambda m: m['Collections'][0].pop('Paper'), 'arXiv'),
    (lambda m: m['Collections'][0].update({'README': 'README.md'}), 'README must be'),
    (lambda m: m.update({'Extra': 1}), 'top level'),
])
def test_schema_check_rejects_broken_metafiles(breakage, expected):
    """The checker passes a valid metafile and names what is wrong in a broken one."""
    assert check_metafile(_valid_metafile(), 'dplnet') == []
    meta = _valid_metafile()
    breakage(meta)
    errors = check_metafile(meta, 'dplnet')
    assert any(expected in e for e in errors), errors


def test_model_names_are_unique():
    names = [model['Name'] for _, model in metafile_models()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


# ----------------------------------------------------------------------------- configs


def test_every_shipped_config_is_in_a_metafile():
    listed = {model['Config'] for _, model in metafile_models()}
    missing = [p for p in shipped_configs() if p.replace(os.sep, '/') not in listed]
    assert not missing, ('configs without a metafile entry (add them to the folder\'s '
                         'metafile.yaml):\n' + '\n'.join(missing))
    assert 'configs/dplnet/dplnet-mit-b5_segformer-head_1xb32-500e_nyudv2-480x640.py' in listed


def _needs_mmdet(task):
    if task != 'Object Detection':
        return False
    try:
        import mmdet  # noqa: F401
    except ImportError:
        return True
    return False


@pytest.mark.parametrize('metafile, model', metafile_models(),
                         ids=[m['Name'] for _, m in metafile_models()])
def test_metafile_config_parses(metafile, model):
    """Config.fromfile resolves the whole _base_ chain (mmseg:: / mmdet:: included)."""
    if _needs_mmdet(model['Results']['Task']):
        pytest.skip('mmdet is not installed: its mmdet:: base configs cannot be resolved')
    cfg = Config.fromfile(osp.join(REPO, model['Config']))
    assert 'model' in cfg and 'train_dataloader' in cfg, model['Config']
    # the metafile's training set is the one the config trains on
    data = model['Metadata']['Training Data']
    if squash(data) in BENCHMARK_TYPES:
        types = dataset_types(cfg.train_dataloader.dataset)
        assert BENCHMARK_TYPES[squash(data)] in types, (
            f"{model['Config']}: metafile says Training Data {data!r}, the config trains "
            f'on {sorted(types)}')


# benchmark name (squashed) -> the dataset class its configs use
BENCHMARK_TYPES = {
    'mfnet': 'MFNetDataset', 'pst900': 'PST900Dataset', 'fmb': 'FMBDataset',
    'nyudv2': 'NYUDv2Dataset', 'sunrgbd': 'SUNRGBDDataset', 'vt5000': 'VT5000Dataset',
    'fliraligned': 'FLIRAlignedDataset', 'llvip': 'LLVIPDataset', 'm3fd': 'M3FDDataset',
    'kaist': 'KAISTDataset'}


def squash(name):
    return re.sub(r'[^a-z0-9]', '', str(name).lower())


def dataset_types(dataset):
    """Every dataset ``type`` in a (possibly wrapped: Concat / Repeat) dataset config."""
    types = {dataset.get('type')}
    for inner in [dataset.get('dataset')] + list(dataset.get('datasets') or []):
        if inner:
            types |= dataset_types(inner)
    return types


# --------------------------------------------------------------------------- READMEs


def readme_links(readme):
    """Relative link targets of a markdown file, resolved against its folder."""
    with open(readme, encoding='utf-8') as f:
        text = f.read()
    targets = re.findall(r'\]\(([^)\s]+)\)', text)
    return [osp.normpath(osp.join(osp.dirname(readme), t.split('#')[0])) for t in targets
            if not re.match(r'^[a-z]+://', t)]


@pytest.mark.parametrize('folder', METHODS)
def test_method_readme_links_every_config(folder):
    readme = osp.join(CONFIG_ROOT, folder, 'README.md')
    linked = set(readme_links(readme))
    missing = [p for p in leaf_configs(folder) if osp.join(REPO, p) not in linked]
    assert not missing, f'configs/{folder}/README.md does not link:\n' + '\n'.join(missing)


@pytest.mark.parametrize('folder', CONFIG_FOLDERS)
def test_readme_links_resolve(folder):
    readme = osp.join(CONFIG_ROOT, folder, 'README.md')
    broken = [p for p in readme_links(readme) if not osp.exists(p)]
    assert not broken, f'configs/{folder}/README.md links to missing files: {broken}'


@pytest.mark.parametrize('folder', METHODS)
def test_method_pages_name_one_paper(folder):
    """The README's arXiv link, the collection's Paper.URL and the configs' comments
    name the same arXiv id."""
    meta = load_yaml(osp.join(CONFIG_ROOT, folder, 'metafile.yaml'))
    (col_id, ) = {ARXIV.search(c['Paper']['URL']).group(1) for c in meta['Collections']}
    with open(osp.join(CONFIG_ROOT, folder, 'README.md'), encoding='utf-8') as f:
        readme_ids = set(ARXIV.findall(f.read()))
    assert readme_ids == {col_id}
    config_text = ''.join(open(osp.join(REPO, p), encoding='utf-8').read()
                          for p in leaf_configs(folder))
    assert f'arXiv {col_id}' in config_text


# ---------------------------------------------------------------------------- numbers


def numbers_in(text):
    return {float(n) for n in NUMBER.findall(text)}


def config_comments(path):
    """The comments of a config and of the complete configs it inherits (the recipe's
    record; not the shared ``_base_`` fragments, whose comments cite other methods'
    numbers, nor ``mmseg::`` / ``mmdet::`` bases)."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    comments = [line.split('#', 1)[1] for line in text.splitlines() if '#' in line]
    match = re.search(r'^_base_\s*=\s*(\[.*?\]|[\'"].*?[\'"])', text, re.M | re.S)
    for base in re.findall(r'[\'"]([^\'"]+\.py)[\'"]', match.group(1) if match else ''):
        if '::' not in base and '_base_' not in base.split('/'):
            comments.append(config_comments(osp.join(osp.dirname(path), base)))
    return '\n'.join(comments)


def test_metafile_numbers_come_from_their_sources():
    """Published targets appear in the config's own comments (the recipe's record);
    measured numbers appear in README.md or docs/*.md, where they were reported."""
    docs = ''
    for path in [osp.join(REPO, 'README.md')] + glob.glob(osp.join(REPO, 'docs', '*.md')):
        with open(path, encoding='utf-8') as f:
            docs += f.read()
    doc_numbers = numbers_in(docs)
    checked = 0
    for metafile, model in metafile_models():
        source = model['Metadata']['Results Source']
        metrics = model['Results']['Metrics']
        if source.startswith('published'):
            pool = numbers_in(config_comments(osp.join(REPO, model['Config'])))
            where = model['Config'] + ' comments (or its parent configs)'
        else:
            pool, where = doc_numbers, 'README.md / docs'
        for name, value in metrics.items():
            assert float(value) in pool, (f'{metafile}: {model["Name"]} {name} = {value} '
                                          f'is not stated in {where}')
            checked += 1
    assert checked >= 15  # the published and measured numbers of the zoo


def test_metafile_parameter_counts_match_docs():
    """Parameter counts (M) are those measured in docs/methods.md (pinned there by
    tests/test_configs.py), given in M or as exact counts rounded to the same digits."""
    with open(osp.join(REPO, 'docs', 'methods.md'), encoding='utf-8') as f:
        text = f.read()
    millions = numbers_in(text)
    exact = [int(n.replace(',', '')) for n in re.findall(r'\d{1,3}(?:,\d{3})+', text)]
    checked = 0
    for metafile, model in metafile_models():
        for key in ('Trainable Parameters (M)', 'Parameters (M)'):
            value = model['Metadata'].get(key)
            if value is None:
                continue
            digits = len(str(value).split('.')[1]) if '.' in str(value) else 0
            stated = value in millions or any(
                round(n / 1e6, digits) == value for n in exact)
            if key == 'Parameters (M)' and not stated:
                # totals may be given as trainable + frozen (DPLNet: frozen MiT-B5)
                stated = any(round((a + b) / 1e6, digits) == value
                             for a in exact for b in exact if a < b)
            assert stated, f'{metafile}: {model["Name"]} {key} = {value} not in docs/methods.md'
            checked += 1
    assert checked >= 10


# --------------------------------------------------------------------------- datasets

BENCHMARKS = ('MFNet', 'PST900', 'FMB', 'NYUDv2', 'SUN RGB-D', 'VT5000', 'VT1000', 'VT821',
              'FLIR-aligned', 'LLVIP', 'M3FD', 'KAIST')


def test_datasets_doc_links_every_official_download():
    """docs/datasets.md has one 'Official downloads' row with a URL per benchmark."""
    with open(osp.join(REPO, 'docs', 'datasets.md'), encoding='utf-8') as f:
        text = f.read()
    section = text.split('## Official downloads', 1)[1].split('\n## ', 1)[0]
    rows = {line.split('|')[1].strip(): line for line in section.splitlines()
            if line.startswith('| ') and not line.startswith('| Dataset')}
    assert set(BENCHMARKS) <= set(rows), set(BENCHMARKS) - set(rows)
    for name in BENCHMARKS:
        assert re.search(r'https?://\S+', rows[name]), f'{name}: no URL in its row'


# ---------------------------------------------------------------------------- weights

CONVERTER = re.compile(r'tools/model_converters/[\w-]+\.py')
CHECKPOINT = re.compile(r'''['"](checkpoints/[\w.-]+)['"]''')


def test_pages_name_existing_converters():
    """Every converter script a README or metafile tells users to run exists."""
    pages = glob.glob(osp.join(CONFIG_ROOT, '*', 'README.md')) + METAFILES
    named = set()
    for page in pages:
        with open(page, encoding='utf-8') as f:
            named |= set(CONVERTER.findall(f.read()))
    assert named, 'the pages name no converter'
    missing = sorted(p for p in named if not osp.isfile(osp.join(REPO, p)))
    assert not missing, f'converters named on the model-zoo pages but missing: {missing}'


@pytest.mark.parametrize('folder', METHODS)
def test_readme_explains_every_weight_file_the_configs_expect(folder):
    """A file a config loads from checkpoints/ (pretrained=, load_from=) is named in the
    folder's README, where the command that makes it is."""
    expected = set()
    for path in glob.glob(osp.join(CONFIG_ROOT, folder, '**', '*.py'), recursive=True):
        with open(path, encoding='utf-8') as f:
            code = '\n'.join(line.split('#', 1)[0] for line in f)
        expected |= set(CHECKPOINT.findall(code))
    with open(osp.join(CONFIG_ROOT, folder, 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    missing = sorted(p for p in expected if p not in readme)
    assert not missing, f'configs/{folder}/README.md does not say how to make {missing}'
