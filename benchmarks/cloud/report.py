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

"""The tables of the benchmarks through the services."""

from benchmarks.cloud import probe
from benchmarks.cloud import scenarios
from benchmarks import tables as render

#: The CPU time columns: each service's, then the benchmark's own.
CPU_COLUMNS = probe.SERVICES + ('client',)

_s = render.seconds
_n = render.count


def _glance_cell(record):
    methods = ', '.join('%s %s' % (_n(v), k) for k, v in
                        sorted(record['glance_by_method'].items()))
    cell = _n(record['glance_requests'])
    if methods:
        cell += ' (%s)' % methods
    if record['glance_discovery']:
        cell += ' + %s discovery' % _n(record['glance_discovery'])
    return cell


def _db_cell(record):
    return ' / '.join(_n(record['db'].get(user, {}).get('statements'))
                      for user in probe.DB_USERS)


def _requests_row(label, rec):
    served = rec['served']
    glance_s = served.get('glance', {}).get('seconds')
    return [
        label, _s(rec['wall_s'], 2), _glance_cell(rec), _s(glance_s, 3),
        _s(None if glance_s is None else rec['wall_s'] - glance_s, 2),
        _n(served.get('keystone', {}).get('requests')),
        _n(served.get('heat-api', {}).get('requests')),
        _db_cell(rec),
    ]


def _cpu_row(label, rec):
    cpu = rec['cpu_s']
    return ([label, _s(rec['wall_s'], 2)] +
            [_s(cpu.get(name), 2) for name in CPU_COLUMNS] +
            [_s(rec['db'].get('heat', {}).get('busy_s'), 3)])


def _section_title(section, results):
    record = results[section]
    if section == 'one_image':
        return ('One property of one image (%d properties, median of %d '
                'runs)' % (record['n_properties'], record['reps']))
    return ('A stack of %d images side by side, every property of every '
            'image changes (%d each, median of %d runs)' % (
                record['images'], record['n_properties'], record['reps']))


def tables(results):
    """``[(title, headers, rows)]`` of a results dict."""
    out = []
    for section, variants in (('one_image', scenarios.ONE_IMAGE),
                              ('fleet', scenarios.FLEET)):
        if not results.get(section):
            continue
        records = results[section]['variants']
        present = [(label, records[variant]) for variant, label in variants
                   if variant in records]
        out.append((
            _section_title(section, results),
            ['variant', 'wall s', 'Glance requests', 'Glance serving s',
             'wall - Glance s', 'Keystone requests', 'heat-api requests',
             'DB statements heat / glance / keystone'],
            [_requests_row(label, rec) for label, rec in present]))
        out.append((
            'Where the time goes: %s (CPU seconds per service)' % (
                section.replace('_', ' ')),
            ['variant', 'wall s'] + list(CPU_COLUMNS) + ['heat DB busy s'],
            [_cpu_row(label, rec) for label, rec in present]))
    return out
