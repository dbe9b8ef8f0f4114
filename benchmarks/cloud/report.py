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

from benchmarks.cloud import longlived
from benchmarks.cloud import probe
from benchmarks.cloud import scenarios
from benchmarks import common
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


def _one_image_tables(record):
    title = 'One property of one image (%d properties, median of %d runs)' % (
        record['n_properties'], record['reps'])
    return _detail_tables(title, 'one image', record['variants'],
                          scenarios.ONE_IMAGE)


def _detail_tables(title, what, records, variants):
    present = [(label, records[variant]) for variant, label in variants
               if variant in records]
    return [
        (title,
         ['variant', 'wall s', 'Glance requests', 'Glance serving s',
          'wall - Glance s', 'Keystone requests', 'heat-api requests',
          'DB statements heat / glance / keystone'],
         [_requests_row(label, rec) for label, rec in present]),
        ('Where the time goes: %s (CPU seconds per service)' % what,
         ['variant', 'wall s'] + list(CPU_COLUMNS) + ['heat DB busy s'],
         [_cpu_row(label, rec) for label, rec in present]),
    ]


def _fleet_tables(fleet):
    sizes = fleet['sizes']
    rows = []
    for variant, label in scenarios.FLEET:
        rows.append([label] + [
            _s(size['variants'][variant]['wall_s'], 2)
            if variant in size['variants'] else '-' for size in sizes])
    for op in ('create', 'delete'):
        for shape, _template_shape, title in scenarios.SHAPES:
            rows.append(['stack %s (%s)' % (op, title)] + [
                _s(size[op][shape]['wall_s'], 2) if shape in size[op]
                else '-' for size in sizes])
    out = [(
        'Stacks of images: seconds until every property of every image has '
        'changed (%d each), by stack size (median of %d runs); and the '
        'stacks\' create and delete' % (fleet['n_properties'],
                                        fleet['reps']),
        ['variant'] + ['%d images' % size['images'] for size in sizes],
        rows)]
    largest = sizes[-1]
    out += _detail_tables(
        'A stack of %d images, every property of every image changes (%d '
        'each, median of %d runs)' % (largest['images'],
                                      fleet['n_properties'], fleet['reps']),
        'a stack of %d images' % largest['images'], largest['variants'],
        scenarios.FLEET)
    return out


def _after_restart_cell(run):
    after = run.get('after_restart')
    if after is None:
        return '-'
    cell = '%s in %s s, %s PATCH' % (after['status'], _s(after['wall_s'], 1),
                                     _n(after.get('glance_patches')))
    if after['status'] == 'UPDATE_COMPLETE':
        cell += ', in place' if after['in_place'] else ', NOT in place'
    return cell


def _first_not_completed(run):
    for number, update in enumerate(run['updates'], 1):
        if update['status'] != 'UPDATE_COMPLETE':
            stuck = run.get('stuck', {})
            return 'update %d: %s (stack %s; resources %s)' % (
                number, update['status'], stuck.get('status', '?'),
                ', '.join('%s %s' % (_n(count), status) for status, count
                          in sorted(stuck.get('resources', {}).items())))
    return 'none'


def _long_lived_tables(record):
    runs = record['runs']
    present = [(name, title, runs[name]) for name, _on, title in
               longlived.RUNS if name in runs]
    summary = []
    for _name, title, run in present:
        walls = [u['wall_s'] for u in run['updates']
                 if u['status'] == 'UPDATE_COMPLETE']
        summary.append([
            title,
            '%d of %d' % (run['completed'], record['updates']),
            _first_not_completed(run),
            _s(common.median(walls), 1),
            _n(run['updates'][-1]['events'] if run['updates'] else None),
            ' / '.join(_n(count) for _host, count in
                       sorted(run['limit_lines'].items())),
            ' / '.join(_n(len(lines)) for _host, lines in
                       sorted(run['remedy_log'].items())),
            _after_restart_cell(run)])
    title = (
        'A stack of %d images (common root, %d properties each) updated %d '
        'times in a row through heat-api (%d heat-engines, %d workers in '
        'all)' % (record['images'], record['n_properties'],
                  record['updates'], record['engines'], record['workers']))
    out = [(title,
            ['run', 'updates completed', 'first update not completed',
             'median s per update', 'resource events',
             '"%s" lines per engine' % longlived.LIMIT_MESSAGE,
             'remedy log lines per engine',
             'after restarting heat-engine'], summary)]
    rows = []
    for number in range(1, record['updates'] + 1):
        row = ['%d' % number]
        for _name, _title, run in present:
            if number <= len(run['updates']):
                update = run['updates'][number - 1]
                row += [update['status'], _s(update['wall_s'], 1),
                        _n(update.get('glance_patches')),
                        _n(update['events'])]
            else:
                row += ['-', '-', '-', '-']
        rows.append(row)
    headers = ['update']
    for name, _title, _run in present:
        headers += ['%s: status' % name, 's', 'PATCH', 'events so far']
    out.append(('Each update of the %d (PATCH: the PATCH requests Glance '
                'served; events: the resource and stack events Heat stored '
                'since the stack\'s create began)' % record['updates'],
                headers, rows))
    return out


def tables(results):
    """``[(title, headers, rows)]`` of a results dict."""
    out = []
    if results.get('one_image'):
        out += _one_image_tables(results['one_image'])
    if results.get('fleet'):
        out += _fleet_tables(results['fleet'])
    if results.get('long_lived'):
        out += _long_lived_tables(results['long_lived'])
    return out
