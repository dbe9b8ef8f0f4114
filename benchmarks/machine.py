# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Where the figures come from: the machine and what is installed."""

import importlib.metadata
import os
import platform
import subprocess

#: Installed distributions whose versions go into every run's results.
PACKAGES = (
    'glance', 'openstack-heat', 'python-glanceclient', 'openstacksdk',
    'warlock', 'jsonschema', 'keystoneauth1', 'gunicorn',
)


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ''


def _version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _command_output(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              timeout=30).stdout.strip()[:80] or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def describe(packages=(), commands=()):
    """The machine, and the versions of :data:`PACKAGES` and ``packages``.

    ``commands`` is ``[(name, argv)]``: programs that are not Python
    distributions, each asked for its version (the first 80 characters
    of what it prints).
    """
    model = None
    for line in _read('/proc/cpuinfo').splitlines():
        if line.startswith('model name'):
            model = line.split(':', 1)[1].strip()
            break
    mem_kib = None
    for line in _read('/proc/meminfo').splitlines():
        if line.startswith('MemTotal:'):
            mem_kib = int(line.split()[1])
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    versions = dict((name, _version(name))
                    for name in PACKAGES + tuple(packages))
    for name, cmd in commands:
        versions[name] = _command_output(cmd)
    return {
        'nproc': nproc,
        'cpu_model': model or platform.processor() or None,
        'ram_gib': round(mem_kib / 1024.0 / 1024.0, 1) if mem_kib else None,
        'kernel': platform.release(),
        'python': platform.python_version(),
        'versions': versions,
    }
