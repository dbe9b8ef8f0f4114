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

"""Plots (SVG) of the benchmark results, drawn from their JSON alone.

The docs build draws them from the JSON files the docs commit
(``doc/source/_exts/benchmark_plots.py``); ``--plots DIR`` of either
benchmark command draws those of its own results.

Every plot takes its series from the JSON and names them with the titles
of the benchmark that measured them (the same as the tables'). A JSON
that lacks a series the plot expects, or has one the plot would leave
out, is refused (:class:`SeriesMismatch`): a plot never silently shows
less than the figures it is drawn from.
"""

import io
import math
import os

from benchmarks.cloud import longlived
from benchmarks.cloud import scenarios as cloud_scenarios
from benchmarks import common
from benchmarks.inprocess import report as inprocess_report

#: The sides of the in-place against replacement comparison.
SIZE_SIDES = (
    ('in_place', 'in place: one property changes, one PATCH'),
    ('replacement', 'replacement: a new location, so a new image'),
)

#: Points at one image for the stack-of-images plot: the variant of the
#: one-image section that makes the same calls for a stack of one image.
#: (Replacement has no one-image variant.)
ONE_IMAGE_POINTS = {
    'in_place': 'stack_update_api',
    'sdk_loop': 'sdk_update_image_properties',
}

#: Colours by position of a series in its benchmark's list (colour-blind
#: safe, after Okabe and Ito); markers tell the series apart in grey too.
COLOURS = ('#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00',
           '#56B4E9')
MARKERS = ('o', 's', '^', 'D', 'v', 'P')

#: What makes matplotlib's SVG the same for the same data: no date, and
#: fixed ids.
_SVG_METADATA = {'Date': None, 'Creator': None}
_RC = {
    'svg.hashsalt': 'heat-glance-props',
    'svg.fonttype': 'none',
    'font.size': 10,
    'axes.spines.top': False,
    'axes.spines.right': False,
    'axes.grid': True,
    'grid.color': '#dddddd',
    'grid.linewidth': 0.6,
    'legend.frameon': False,
}


class SeriesMismatch(common.BenchmarkError):
    """The JSON and the plot do not have the same series."""


def check_series(what, found, expected, allow_missing=False):
    """Refuse a JSON whose series are not exactly the plot's.

    With ``allow_missing``, only a series the plot does not know is
    refused (a client that cannot do an operation has no record of it).
    """
    missing = [name for name in expected
               if name not in found and not allow_missing]
    unknown = sorted(name for name in found if name not in expected)
    if missing or unknown:
        message = '%s: the JSON and the plot disagree: %s' % (what, '; '.join(
            part for part in (
                missing and 'missing from the JSON: %s' % ', '.join(missing),
                unknown and 'not plotted: %s' % ', '.join(unknown))
            if part))
        raise SeriesMismatch(message)


# The data of each plot -------------------------------------------------------
# Plain data, checked against the JSON; the drawing is below.

def size_series(results):
    """``[(side, title, [(MiB, median s, [runs s])])]`` per image size."""
    sizes = results['in_place_vs_replacement']['sizes']
    series = []
    for record in sizes:
        found = [k for k, v in record.items()
                 if isinstance(v, dict) and 'median_s' in v]
        check_series('in place vs replacement at %s MiB' % (
            record['size_mib'],), found, [s for s, _t in SIZE_SIDES])
    for side, title in SIZE_SIDES:
        series.append((side, title, [
            (r['size_mib'], r[side]['median_s'], r[side]['runs_s'])
            for r in sizes]))
    return series


def request_series(results):
    """Requests per operation: ``(operations, [(client, title, bars)])``.

    ``operations`` is ``[(op, title)]``; each bar is ``{'writes',
    'reads', 'note'}`` (no counts and a note where the client cannot do
    the operation or was not measured).
    """
    reqs = results['requests']
    clients = reqs['clients']
    check_series('requests per operation', list(clients),
                 [c for c, _t in inprocess_report.CLIENTS])
    operations = inprocess_report.OP_TITLES
    known = [op for op, _t in operations]
    series = []
    for client, title in inprocess_report.CLIENTS:
        records = clients[client]
        if 'skipped' in records:
            series.append((client, title, dict(
                (op, _bar(note='not measured')) for op in known)))
            continue
        check_series('requests per operation of %s' % client,
                     list(records), known, allow_missing=True)
        series.append((client, title, dict(
            (op, _request_bar(records.get(op))) for op in known)))
    return operations, series


def _bar(writes=None, reads=None, note=''):
    return {'writes': writes, 'reads': reads, 'note': note}


def _request_bar(record):
    if record is None:
        return _bar(note='n/a')
    if record.get('supported') is False:
        return _bar(note='not possible')
    note = ''
    if record.get('image_replaced'):
        note = 'image replaced'
    if record.get('error'):
        note = 'FAILED (%s)' % record['error'].split(':', 1)[0]
    return _bar(record['writes'], record['count'] - record['writes'], note)


def stack_series(results):
    """Update time by number of images: ``[(variant, title, [(N, s)])]``.

    From the services' stacks of images, at each size measured, and, at
    one image, from the one-image variants of :data:`ONE_IMAGE_POINTS`.
    """
    fleet = results['fleet']
    expected = [v for v, _t in cloud_scenarios.FLEET]
    for record in fleet['sizes']:
        check_series('stack of %d images' % record['images'],
                     list(record['variants']), expected)
    one = results.get('one_image')
    if one:
        check_series('one image', list(one['variants']),
                     [v for v, _t in cloud_scenarios.ONE_IMAGE])
    series = []
    for variant, title in cloud_scenarios.FLEET:
        points = []
        if one and variant in ONE_IMAGE_POINTS:
            points.append((1, one['variants'][ONE_IMAGE_POINTS[variant]]
                           ['wall_s']))
        points += [(record['images'], record['variants'][variant]['wall_s'])
                   for record in fleet['sizes']]
        series.append((variant, title, points))
    return series


def long_lived_series(results):
    """Each update in a row: ``[(run, title, points, retry)]``.

    ``points`` are ``(update number, seconds, status, events so far)``;
    ``retry`` is the update sent again after restarting heat-engine,
    ``(update number, seconds, status)``, or None.
    """
    record = results['long_lived']
    check_series('updates in a row', list(record['runs']),
                 [name for name, _on, _t in longlived.RUNS])
    series = []
    for name, _on, title in longlived.RUNS:
        run = record['runs'][name]
        points = [(number, update['wall_s'], update['status'],
                   update['events'])
                  for number, update in enumerate(run['updates'], 1)]
        after = run.get('after_restart')
        retry = None
        if after is not None:
            retry = (len(points), after['wall_s'], after['status'])
        series.append((name, title, points, retry))
    return series


# Drawing ---------------------------------------------------------------------

def _style(index):
    return {'color': COLOURS[index % len(COLOURS)],
            'marker': MARKERS[index % len(MARKERS)]}


def _figure(width, height):
    from matplotlib import figure

    fig = figure.Figure(figsize=(width, height), layout='constrained')
    return fig, fig.add_subplot()


def _svg(fig):
    out = io.StringIO()
    fig.savefig(out, format='svg', metadata=_SVG_METADATA)
    return out.getvalue()


def _seconds(value):
    return '%.2f s' % value if value < 10 else '%.0f s' % value


def draw_sizes(results):
    from matplotlib import ticker

    series = size_series(results)
    ratios = dict((r['size_mib'], r['ratio'])
                  for r in results['in_place_vs_replacement']['sizes'])
    fig, ax = _figure(7, 4)
    for i, (side, title, points) in enumerate(series):
        style = _style(i)
        xs = [p[0] for p in points]
        ax.plot(xs, [p[1] for p in points], label=title, linewidth=2,
                markersize=7, **style)
        for size, median, runs in points:
            ax.plot([size] * len(runs), runs, linestyle='none',
                    marker=style['marker'], color=style['color'],
                    alpha=0.3, markersize=4)
            text = _seconds(median)
            if side == 'replacement' and ratios.get(size):
                text += ' (%.0f\u00d7)' % ratios[size]
            # The lower line's figures below it, the upper one's above.
            ax.annotate(text, (size, median), textcoords='offset points',
                        xytext=(0, -16 if i == 0 else 9), ha='center',
                        color=style['color'])
    ax.set_xscale('log', base=2)
    ax.set_yscale('log')
    sizes = [p[0] for p in series[0][2]]
    ax.set_xticks(sizes)
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(
        lambda v, _pos: '%g' % v))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    ax.set_xlim(sizes[0] / 1.6, sizes[-1] * 1.6)
    low = min(min(p[2] + [p[1]]) for _s, _t, pts in series for p in pts)
    high = max(max(p[2] + [p[1]]) for _s, _t, pts in series for p in pts)
    ax.set_ylim(low / 2, high * 3)
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(
        lambda v, _pos: '%g' % v))
    ax.set_xlabel('image size, MiB (log scale)')
    ax.set_ylabel('stack update, seconds (log scale)')
    record = results['in_place_vs_replacement']
    ax.set_title('One stack update, median of %d runs (dots: each run; '
                 'in brackets: replacement / in place)' % record['reps'],
                 fontsize=10)
    ax.legend(loc='upper left')
    return _svg(fig)


def draw_requests(results):
    operations, series = request_series(results)
    fig, ax = _figure(7.5, 6)
    n_ops = len(operations)
    height = 0.8 / len(series)
    largest = max([b['writes'] + b['reads'] for _c, _t, bars in series
                   for b in bars.values() if b['writes'] is not None] +
                  [1])
    for i, (_client, title, bars) in enumerate(series):
        colour = _style(i)['color']
        ys = [n_ops - 1 - k + 0.4 - height * (i + 0.5)
              for k in range(n_ops)]
        writes = [bars[op]['writes'] or 0 for op, _t in operations]
        reads = [bars[op]['reads'] or 0 for op, _t in operations]
        ax.barh(ys, writes, height=height * 0.9, color=colour,
                label=title)
        ax.barh(ys, reads, left=writes, height=height * 0.9, color=colour,
                alpha=0.35, linewidth=0)
        for y, (op, _t) in zip(ys, operations):
            bar = bars[op]
            if bar['writes'] is None:
                text = bar['note']
                end = 0
            else:
                text = '%d' % (bar['writes'] + bar['reads'])
                if bar['note']:
                    text += ', ' + bar['note']
                end = bar['writes'] + bar['reads']
            ax.text(end + largest * 0.01, y, text, va='center',
                    fontsize=8, color='#333333')
    ax.set_yticks(range(n_ops))
    ax.set_yticklabels([t for _op, t in reversed(operations)])
    ax.set_xlabel('Glance requests (dark: writes; light: GETs)')
    ax.set_xlim(0, largest * 1.45)
    ax.grid(axis='y', visible=False)
    ax.set_title('Glance requests per operation, N = %d properties (API '
                 'discovery left out)' % results['requests']['n_properties'],
                 fontsize=10)
    fig.legend(loc='outside lower center')
    return _svg(fig)


def _label_offsets(values, low, high, height_pt, gap_pt=12):
    """Vertical offsets (points) that keep labels at one x apart.

    ``values`` are on a log axis from ``low`` to ``high`` that is
    ``height_pt`` high.
    """
    scale = height_pt / (math.log10(high) - math.log10(low))

    def at(value):
        return (math.log10(value) - math.log10(low)) * scale

    placed = {}
    last = None
    for index, value in sorted(enumerate(values), key=lambda p: p[1]):
        y = at(value) - 4
        if last is not None and y < last + gap_pt:
            y = last + gap_pt
        placed[index] = y - at(value)
        last = y
    return [placed[i] for i in range(len(values))]


#: Behind a figure that sits on a line: white, so the figure reads.
_LABEL_BOX = {'boxstyle': 'square,pad=0.1', 'facecolor': 'white',
              'edgecolor': 'none', 'alpha': 0.85}


def draw_stack(results):
    from matplotlib import ticker

    series = stack_series(results)
    fleet = results['fleet']
    width, height = 7, 5.6
    fig, ax = _figure(width, height)
    walls = [wall for _v, _t, points in series for _n, wall in points]
    low, high = min(walls) / 2, max(walls) * 2
    for i, (variant, title, points) in enumerate(series):
        style = _style(i)
        # The stacks whose images hang from one common root: dashed.
        dashed = cloud_scenarios.ON_SHAPE[variant] == 'common_root'
        ax.plot([p[0] for p in points], [p[1] for p in points],
                label=title, linewidth=2, markersize=7,
                linestyle='--' if dashed else '-', **style)
    # The figures right of their points, apart where they are close.
    counts = sorted(set(n for _v, _t, points in series for n, _w in points))
    for n in counts:
        at_n = [(i, wall) for i, (_v, _t, points) in enumerate(series)
                for x, wall in points if x == n]
        # The axes take a little over half of the figure's height; the
        # legend is below them.
        offsets = _label_offsets([w for _i, w in at_n], low, high,
                                 height * 72 * 0.6)
        for (i, wall), dy in zip(at_n, offsets):
            ax.annotate(_seconds(wall), (n, wall),
                        textcoords='offset points', xytext=(9, dy),
                        color=_style(i)['color'], bbox=_LABEL_BOX)
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xticks(counts)
    ax.set_xlim(counts[0] / 1.5, counts[-1] * 2.2)
    ax.set_ylim(low, high)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(ticker.FuncFormatter(
            lambda v, _pos: '%g' % v))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    ax.set_xlabel('images in the stack (%d properties each; log scale)'
                  % fleet['n_properties'])
    ax.set_ylabel('seconds until done, median (log scale)')
    ax.set_title('Every image of a stack changes, through heat-api and '
                 'heat-engine (convergence)', fontsize=10)
    fig.legend(loc='outside lower center')
    return _svg(fig)


def draw_long_lived(results):
    record = results['long_lived']
    series = long_lived_series(results)
    fig, ax = _figure(7, 4.6)
    events = ax.twinx()
    events.spines['right'].set_visible(True)
    events.grid(False)
    # The seconds in the lower part of the plot; the events per worker
    # reach the limit near its top.
    top = max(p[1] for _n, _t, points, _r in series for p in points)
    ax.set_ylim(0, top * 2.6)
    longest = max((points for _n, _t, points, _r in series), key=len)
    per_worker = [p[3] / float(record['workers']) for p in longest]
    events.set_ylim(0, max(per_worker + [longlived.HEAT_LIMIT]) * 1.1)
    label_box = {'boxstyle': 'round,pad=0.2', 'facecolor': 'white',
                 'edgecolor': 'none', 'alpha': 0.9}
    arrow = {'arrowstyle': '-', 'linewidth': 0.6}
    for i, (_name, title, points, retry) in enumerate(series):
        style = _style(i)
        done = [p for p in points if p[2] == 'UPDATE_COMPLETE']
        ax.plot([p[0] for p in done], [p[1] for p in done], label=title,
                linewidth=1.5, markersize=4, **style)
        for number, wall, status, _events in points:
            if status == 'UPDATE_COMPLETE':
                continue
            ax.plot([number], [wall], marker='X', markersize=11,
                    linestyle='none', color=style['color'])
            if status == 'refused':
                what = ('update %d: refused by heat-api (500), an '
                        'engine\nlogged "%s"' % (
                            number, longlived.LIMIT_MESSAGE))
            else:
                what = ('update %d: %s, still IN_PROGRESS %d s after\nan '
                        'engine logged "%s"' % (number, status,
                                                record['stuck_after_s'],
                                                longlived.LIMIT_MESSAGE))
            ax.annotate(
                what,
                (number, wall), xytext=(0.03, 0.03),
                textcoords='axes fraction', fontsize=8,
                color=style['color'], bbox=label_box,
                arrowprops=dict(arrow, color=style['color']))
        if retry is not None:
            number, wall, status = retry
            ax.plot([number], [wall], marker='*', markersize=13,
                    linestyle='none', color=style['color'])
            ax.annotate('the same update, after restarting heat-engine: '
                        '%s' % status, (number, wall), xytext=(0.03, 0.16),
                        textcoords='axes fraction', fontsize=8,
                        color=style['color'], bbox=label_box,
                        arrowprops=dict(arrow, color=style['color']))
    # Events stored so far, over the workers: both runs store as many.
    events.plot([p[0] for p in longest], per_worker,
                color='#777777', linewidth=1, linestyle=':',
                label='events stored / %d workers (right axis)' %
                record['workers'])
    events.axhline(longlived.HEAT_LIMIT, color='#777777', linewidth=1,
                   linestyle='--', label='Heat\'s limit: %d threads in the '
                   'group of a stack (right axis)' % longlived.HEAT_LIMIT)
    events.set_ylabel('events per engine worker, on average')
    ax.set_xlim(0, record['updates'] + 1)
    ax.set_xlabel('update in a row (a stack of %d images under a common '
                  'root)' % record['images'])
    ax.set_ylabel('seconds until UPDATE_COMPLETE')
    ax.set_title('One stack updated again and again through heat-api '
                 '(%d heat-engines, %d workers)' % (
                     record['engines'], record['workers']), fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = events.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, loc='upper left',
              fontsize=8)
    return _svg(fig)


#: The plots: ``name: (source, draw)``; the source is the JSON of the
#: in-process benchmark (``inprocess``) or of the one through the
#: services (``services``), and the name that of the SVG file.
PLOTS = {
    'benchmark-in-place-vs-replacement': ('inprocess', draw_sizes),
    'benchmark-requests-per-operation': ('inprocess', draw_requests),
    'benchmark-stack-of-images': ('services', draw_stack),
    'benchmark-updates-in-a-row': ('services', draw_long_lived),
}

#: The section of the results each plot is drawn from.
SECTIONS = {
    'benchmark-in-place-vs-replacement': 'in_place_vs_replacement',
    'benchmark-requests-per-operation': 'requests',
    'benchmark-stack-of-images': 'fleet',
    'benchmark-updates-in-a-row': 'long_lived',
}


def draw(source, results, outdir):
    """Write the plots of ``source`` into ``outdir``; their paths.

    Only the plots whose section ``results`` has are drawn, and none is
    written unless all of them can be.
    """
    from matplotlib import rc_context

    svgs = []
    for name in sorted(PLOTS):
        plot_source, fn = PLOTS[name]
        if plot_source != source or not results.get(SECTIONS[name]):
            continue
        with rc_context(_RC):
            svgs.append((os.path.join(outdir, '%s.svg' % name),
                         fn(results)))
    os.makedirs(outdir, exist_ok=True)
    for path, svg in svgs:
        with open(path, 'w') as f:
            f.write(svg)
    return [path for path, _svg in svgs]
