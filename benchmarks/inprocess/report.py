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

"""What the in-process figures say: the checks, and the tables."""

from benchmarks import tables as render

UPDATE_OPS = ('change_one', 'change_half', 'remove_some')
NOOP_OPS = ('noop_same_template', 'noop_metadata_only',
            'same_template_again')
OP_TITLES = (
    ('create', 'create with N properties'),
    ('change_one', 'update: change 1 of N'),
    ('change_half', 'update: change half'),
    ('remove_some', 'update: remove N/4 keys'),
    ('noop_same_template', 'no-op: same template'),
    ('noop_metadata_only', 'no-op: only metadata changed'),
    ('same_template_again', 'then the same template again'),
)
CLIENTS = (
    ('plugin', 'OS::Glance::Image properties'),
    ('heat_webimage', 'OS::Glance::WebImage extra_properties'),
    ('openstacksdk', 'openstacksdk update_image_properties'),
)
FLEET_SIDES = (
    ('in_place', 'in place (chained)'),
    ('in_place_unchained', 'in place (side by side)'),
    ('replacement', 'replacement (chained)'),
)
#: The order of the scaling rows: creates, then updates, each from the
#: plugin's way to the other ways.
VARIANTS = (
    'stack create', 'stack update of 1 key',
    'PATCH with N add ops', 'images.update setting N keys',
    'images.create with N keys', 'POST of a model built once (N keys)',
    'PATCH with 1 op (N-key image)', 'images.update of 1 key (N-key image)',
)


def one_patch(record):
    """One PATCH and no other write; at most one GET, before it."""
    methods = [m for m, _p in record['requests']]
    return methods in (['PATCH'], ['GET', 'PATCH'])


def _check(ok, detail):
    return {'ok': ok, 'detail': detail}


def _methods(record):
    return ' '.join(m for m, _p in record['requests'])


def checks(results):
    """What the figures say about the claims of the plugin."""
    out = {}
    inplace = results.get('in_place_vs_replacement')
    if inplace and len(inplace['sizes']) > 1:
        first, last = inplace['sizes'][0], inplace['sizes'][-1]
        a = first['in_place']['median_s']
        b = last['in_place']['median_s']
        out['in_place_flat_across_sizes'] = _check(
            b <= 1.5 * a + 0.05,
            'in-place median %.3f s at %d MiB, %.3f s at %d MiB' % (
                a, first['size_mib'], b, last['size_mib']))
        a = first['replacement']['median_s']
        b = last['replacement']['median_s']
        out['replacement_grows_with_size'] = _check(
            b >= 2 * a,
            'replacement median %.3f s at %d MiB, %.3f s at %d MiB' % (
                a, first['size_mib'], b, last['size_mib']))
    reqs = results.get('requests')
    if reqs:
        clients = reqs['clients']
        plugin = clients['plugin']
        bad = [op for op in UPDATE_OPS if not one_patch(plugin[op])]
        out['update_is_one_patch'] = _check(
            not bad, 'plugin updates with changes: %s' % '; '.join(
                '%s = %s' % (op, _methods(plugin[op]) or 'nothing')
                for op in UPDATE_OPS))
        bad = [op for op in NOOP_OPS if plugin[op]['count'] != 0]
        out['noop_makes_no_request'] = _check(
            not bad, 'plugin no-ops that sent requests: %s' % (
                ', '.join(bad) or 'none'))
        for other, _title in CLIENTS[1:]:
            more = []
            for op, _t in OP_TITLES:
                theirs = clients[other].get(op)
                if theirs is None or theirs.get('supported') is False:
                    continue
                field = 'writes' if op == 'create' else 'count'
                if plugin[op][field] > theirs[field]:
                    more.append('%s (%d > %d)' % (op, plugin[op][field],
                                                  theirs[field]))
            out['plugin_requests_le_%s' % other] = _check(
                not more, 'operations where the plugin sends more: %s' % (
                    ', '.join(more) or 'none'))
    return out


# Tables --------------------------------------------------------------------

def _s(value, digits=3):
    return render.seconds(value, digits)


def _request_cell(record, op):
    if record is None:
        return 'n/a'
    if record.get('supported') is False:
        return 'not possible'
    if op == 'create':
        text = '%d writes + %d GETs' % (
            record['writes'], record['count'] - record['writes'])
    elif record['count'] == 0:
        text = '0'
    elif record['image_replaced']:
        text = '%d (replaced: %d writes)' % (
            record['count'], record['writes'])
    else:
        text = '%d: %s' % (record['count'], _methods(record))
    if record.get('error'):
        text += ' FAILED %s' % record['error'].split(':', 1)[0]
    return text


def _variant_rank(name):
    return (VARIANTS.index(name) if name in VARIANTS else len(VARIANTS),
            name)


def _in_place_table(inplace):
    rows = [[str(s['size_mib']), _s(s['in_place']['median_s']),
             _s(s['replacement']['median_s']), _s(s['ratio'], 1)]
            for s in inplace['sizes']]
    return ('Stack update: one property in place vs replacement '
            '(median of %d each, seconds)' % inplace['reps'],
            ['image MiB', 'in place', 'replacement', 'ratio'], rows)


def _requests_table(reqs):
    clients = reqs['clients']
    rows = [[title] + [_request_cell(clients[c].get(op), op)
                       for c, _t in CLIENTS]
            for op, title in OP_TITLES]
    return ('Glance requests per operation, N = %d (API discovery '
            'excluded)' % reqs['n_properties'],
            ['operation'] + [t for _c, t in CLIENTS], rows)


def _scaling_tables(scale):
    rows = []
    for group in ('through_heat', 'glanceclient'):
        names = sorted(scale['rows'][0][group], key=_variant_rank)
        for name in names:
            for row in scale['rows']:
                s = row[group][name]
                rows.append([name, str(row['n']), _s(s['wall_s']),
                             _s(s['client_cpu_s']), _s(s['server_cpu_s']),
                             str(s.get('requests', ''))])
    out = [('Scaling with N properties (median of %d, seconds)' % (
        scale['reps']), ['operation', 'N', 'wall', 'client CPU',
                         'Glance CPU', 'requests'], rows)]
    prof = scale.get('profile')
    if prof:
        name = 'images.update setting N keys'
        p = prof[name]
        rows = [[r['function'], str(r['calls']), _s(r['own_s']),
                 _s(r['cumulative_s'])]
                for r in p['top_own_time'][:6]]
        out.append(('Profile of %s, N = %d (client side, %s s in all)' % (
            name, prof['n'], _s(p['total_s'])),
            ['function', 'calls', 'own s', 'cumulative s'], rows))
    return out


def _fleet_table(fl):
    rows = [[title, _s(fl[side]['median_s']),
             _s(fl[side].get('client_cpu_s')),
             _s(fl[side].get('server_cpu_s')),
             '%d' % fl[side]['requests']]
            for side, title in FLEET_SIDES if side in fl]
    rows += [['replacement / in place (chained)', _s(fl['ratio'], 1),
              '', '', ''],
             ['replacement / in place (side by side)',
              _s(fl.get('ratio_side_by_side'), 1), '', '', ''],
             ['(stack create)', _s(fl['create_s']), '', '', '']]
    return ('Stack of %d images (%d MiB each, %d properties): all '
            'properties change in one update (median of %d, seconds)' % (
                fl['images'], fl['size_mib'], fl['n_properties'],
                fl['reps']),
            ['update', 'wall', 'client CPU', 'Glance CPU', 'requests'],
            rows)


def tables(results):
    """``[(title, headers, rows)]`` of a results dict."""
    out = []
    if results.get('in_place_vs_replacement'):
        out.append(_in_place_table(results['in_place_vs_replacement']))
    if results.get('requests'):
        out.append(_requests_table(results['requests']))
    if results.get('scaling'):
        out.extend(_scaling_tables(results['scaling']))
    if results.get('fleet'):
        out.append(_fleet_table(results['fleet']))
    chk = results.get('checks')
    if chk:
        rows = [[name, {True: 'yes', False: 'NO', None: '-'}[c['ok']],
                 c['detail']] for name, c in sorted(chk.items())]
        out.append(('Checks', ['check', 'holds', 'detail'], rows))
    return out
