# Copyright (c) mmrgbir contributors. Licensed under the Apache License 2.0.
import os.path as osp

from setuptools import find_packages, setup


def readme():
    with open(osp.join(osp.dirname(__file__), 'README.md'), encoding='utf-8') as f:
        return f.read()


def version():
    ns = {}
    with open(osp.join(osp.dirname(__file__), 'mmrgbir', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


def requirements(path):
    reqs = []
    with open(osp.join(osp.dirname(__file__), path)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


setup(
    name='mmrgbir',
    version=version(),
    description='RGB + thermal / depth perception for mmsegmentation and mmdetection',
    long_description=readme(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['mmrgbir', 'mmrgbir.*']),
    include_package_data=True,
    python_requires='>=3.9',
    # Ranges that leave a working stack alone: e.g. torch 2.1 + `mim install mmcv==2.1.0`
    # (prebuilt CUDA ops), or torch 2.13 + mmcv built by tools/setup_env.sh. mmcv 2.1.0
    # does not compile against torch >= 2.14 (C++20 headers); mmseg 1.2.2 / mmdet 3.3.0
    # reject mmcv >= 2.2. Tested versions: requirements/verified.txt.
    install_requires=['torch>=2.1,<2.14', 'torchvision', 'mmcv>=2.0.0,<2.2.0']
    + requirements('requirements/runtime.txt'),
    extras_require={'det': requirements('requirements/det.txt'),
                    'tests': requirements('requirements/tests.txt')},
    classifiers=[
        'License :: OSI Approved :: Apache Software License',
        'Programming Language :: Python :: 3',
    ],
)
