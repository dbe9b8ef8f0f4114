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

"""Many stack updates in a row: heat-engine's thread groups.

heat-engine 25 to 27 keep a finished thread in the stack's thread group of
the engine worker for every resource event, and refuse new ones at 1000
(doc/source/operators-engines.rst). ``long_lived`` creates a stack of
images hanging from one common root (quick to update: no one-second
step per image) and updates every property of every image through
heat-api, again and again, on freshly started engines:

``remedy_on``
    with ``[glance_properties] prune_finished_engine_threads = true`` in
    heat.conf: every update must complete, in place.
``remedy_off``
    with it false, Heat as it is: the run goes on until an update does
    not complete. A stack that stays ``UPDATE_IN_PROGRESS`` while the
    engines log "Maximum number of threads reached" is stuck; then the
    operators' workaround: both engines are restarted (the remedy still
    off) and the same update is sent again.

Each update is checked (the image ids kept, the properties in Glance)
outside its timing. The cloud is left with the remedy on and new engines.
"""

import re
import time
import uuid

from heatclient import exc as heat_exc

from benchmarks import common
from benchmarks import templates

#: The two runs, in order: ``(name, remedy enabled, title)``.
RUNS = (
    ('remedy_on', True, 'remedy on (prune_finished_engine_threads = true)'),
    ('remedy_off', False, 'remedy off (Heat as it is)'),
)

#: What Heat's ThreadGroup says when it refuses a thread.
LIMIT_MESSAGE = 'Maximum number of threads reached'

#: How many threads a stack's group in an engine worker takes.
HEAT_LIMIT = 1000

#: What the remedy's own log line names (heat_glance_props.enginethreads).
REMEDY_MARK = 'heat-glance-props: '

#: How long a stack stays IN_PROGRESS after the engines logged
#: LIMIT_MESSAGE before the run calls it stuck (a normal update of the
#: stack takes a few seconds).
STUCK_S = 60

#: How often the stack's status is read.
POLL_S = 0.5

#: The bound of one update that neither completes nor gets stuck.
UPDATE_TIMEOUT_S = 900

_LAST_EVENT = 'SELECT MAX(id) FROM event'

#: The resource check that failed, in heat-engine's log.
FAILED_CHECK = 'Unexpected exception in resource check'

#: A line of heat-engine's log: date, time, pid, level, logger, text.
_LOG_LINE = re.compile(r'^\S+ \S+ (\d+) ([A-Z]+) (\S+) ?(.*)$')

#: Where Python's packages are installed (cut from the paths of a
#: traceback).
_SITE = re.compile(r'[^\s"\']*/site-packages/')

#: How many lines of the first failure's traceback are kept.
_TRACEBACK_LINES = 40


def _last_event(cloud):
    rows = cloud.heat.query(_LAST_EVENT)
    return rows[0][0] or 0


def _log_offsets(cloud):
    return dict((host, engine.log_size())
                for host, engine in cloud.engines.items())


def _log_lines(cloud, offsets, text):
    """``{host: [lines with text]}`` the engines logged since offsets.

    The remedy's own line (which quotes Heat's message) counts only when
    ``text`` is :data:`REMEDY_MARK`.
    """
    def wanted(line):
        return text in line and (text == REMEDY_MARK or
                                 REMEDY_MARK not in line)
    return dict((host, [line for line in engine.log_since(
        offsets[host]).splitlines() if wanted(line)])
        for host, engine in cloud.engines.items())


def first_failure(text):
    """The first failed resource check in a log, with its traceback.

    ``[level logger text]`` lines of the worker that logged it, the paths
    cut at ``site-packages/``; None when there is none.
    """
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = _LOG_LINE.match(line)
        if not match or FAILED_CHECK not in line or LIMIT_MESSAGE not in line:
            continue
        pid = match.group(1)
        out = []
        for following in lines[index:]:
            part = _LOG_LINE.match(following)
            # Other workers' lines may come in between.
            if not part or part.group(1) != pid:
                continue
            if out and part.group(2) != 'ERROR':
                break
            out.append(_SITE.sub('.../', '%s %s %s' % part.group(2, 3, 4)))
            if len(out) >= _TRACEBACK_LINES or (
                    len(out) > 1 and LIMIT_MESSAGE in following):
                break
        return out
    return None


def restart_engines(cloud, remedy):
    """heat.conf with the remedy on or off, then new engines.

    Returns ``{host: [the remedy's log lines]}`` of the new engines.
    """
    cloud.heat.set_prune_engine_threads(remedy)
    for engine in cloud.engines.values():
        engine.stop()
    offsets = _log_offsets(cloud)
    cloud.heat.start_engines()
    return _log_lines(cloud, offsets, REMEDY_MARK)


class _Run(object):
    """One stack of images, updated again and again."""

    def __init__(self, cloud, clients, settings, url):
        self.cloud = cloud
        self.clients = clients
        self.count = settings['long_lived_images']
        self.n = settings['n_properties']
        self.url = url
        self.stack_id = None
        self.image_ids = None

    def template(self, value):
        return templates.images(self.count, common.props(self.n, value),
                                'bench-long', 'fan_out')

    def create(self):
        name = 'bench-long-%s' % uuid.uuid4().hex[:6]
        self.stack_id = self.clients.create_stack(
            name, self.template('v0'), self.url, POLL_S)
        self.image_ids = self.clients.image_ids(self.stack_id)

    def patches(self):
        """How many PATCH requests Glance has served so far."""
        return len([method for method, _path in self.cloud.glance.requests()
                    if method == 'PATCH'])

    def update(self, value):
        """One update: ``(status, wall s, stack)``.

        ``status`` is Heat's, or ``'stuck'``: still
        ``UPDATE_IN_PROGRESS`` :data:`STUCK_S` after an engine logged
        :data:`LIMIT_MESSAGE`, or ``'refused'``: heat-api answered the
        update with an error (500) and an engine logged
        :data:`LIMIT_MESSAGE` (the engine worker that took the request
        could not start the stack's operation).
        """
        heat = self.clients.heat
        before = heat.stacks.get(self.stack_id).updated_time
        offsets = _log_offsets(self.cloud)
        wall0 = time.perf_counter()
        try:
            heat.stacks.update(self.stack_id,
                               template=self.template(value),
                               parameters={'image_url': self.url})
        except heat_exc.HTTPInternalServerError:
            wall = time.perf_counter() - wall0
            if not any(_log_lines(self.cloud, offsets,
                                  LIMIT_MESSAGE).values()):
                raise
            return 'refused', wall, heat.stacks.get(self.stack_id)
        limit_seen = None
        while True:
            stack = heat.stacks.get(self.stack_id)
            wall = time.perf_counter() - wall0
            fresh = stack.updated_time != before
            if fresh and not stack.stack_status.endswith('_IN_PROGRESS'):
                return stack.stack_status, wall, stack
            if limit_seen is None and any(_log_lines(
                    self.cloud, offsets, LIMIT_MESSAGE).values()):
                limit_seen = wall
            if limit_seen is not None and wall - limit_seen > STUCK_S:
                return 'stuck', limit_seen, stack
            if wall > UPDATE_TIMEOUT_S:
                common.fail('stack update did not finish within %s s',
                            UPDATE_TIMEOUT_S)
            time.sleep(POLL_S)

    def check(self, value):
        """The update was in place and every image has its properties."""
        if self.clients.image_ids(self.stack_id) != self.image_ids:
            return False
        want = common.props(self.n, value)
        return all(self.clients.free_properties(image_id) == want
                   for image_id in self.image_ids.values())

    def resource_states(self):
        """``{status: count}`` of the stack's resources."""
        out = {}
        for res in self.clients.heat.resources.list(self.stack_id):
            out[res.resource_status] = out.get(res.resource_status, 0) + 1
        return out

    def delete(self):
        self.clients.delete_stack(self.stack_id, POLL_S)


def long_lived(cloud, clients, settings, log):
    url = cloud.data.add('bench-long-%s' % uuid.uuid4().hex[:8],
                         size=settings['size_kib'] * 1024)
    out = {'images': settings['long_lived_images'],
           'updates': settings['long_lived_updates'],
           'n_properties': settings['n_properties'],
           'size_kib': settings['size_kib'],
           'shape': 'common_root', 'stuck_after_s': STUCK_S,
           'engines': len(cloud.engines),
           'workers': len(cloud.engines) * cloud.heat.workers_per_engine,
           'runs': {}}
    try:
        for name, remedy, title in RUNS:
            log('  %s' % title)
            out['runs'][name] = _run(cloud, clients, settings, url, remedy,
                                     log)
    finally:
        # As the cloud was: the remedy on, engines with empty groups.
        restart_engines(cloud, True)
    return out


def _run(cloud, clients, settings, url, remedy, log):
    remedy_log = restart_engines(cloud, remedy)
    offsets = _log_offsets(cloud)
    run = _Run(cloud, clients, settings, url)
    first_event = _last_event(cloud)
    run.create()
    updates = []
    result = {'remedy_log': remedy_log, 'updates': updates,
              'create_events': _last_event(cloud) - first_event}
    stuck = None
    for number in range(1, settings['long_lived_updates'] + 1):
        value = 'u%d' % number
        patches = run.patches()
        status, wall, stack = run.update(value)
        record = {'status': status, 'wall_s': wall,
                  'events': _last_event(cloud) - first_event,
                  'glance_patches': run.patches() - patches}
        updates.append(record)
        if status != 'UPDATE_COMPLETE':
            record['reason'] = stack.stack_status_reason
            stuck = stack
            log('    update %d: %s after %.0f s' % (number, status, wall))
            break
        record['in_place'] = run.check(value)
        if not record['in_place']:
            common.fail('update %d of the stack was not in place, or '
                        'lost properties', number)
    result['completed'] = len([u for u in updates
                               if u['status'] == 'UPDATE_COMPLETE'])
    limit = _log_lines(cloud, offsets, LIMIT_MESSAGE)
    result['limit_lines'] = dict((host, len(lines))
                                 for host, lines in limit.items())
    result['limit_example'] = next(
        (lines[0].split(' ', 2)[-1] for lines in limit.values() if lines),
        None)
    if stuck is not None:
        result['first_failure'] = next(
            (found for found in (first_failure(engine.log_since(
                offsets[host])) for host, engine in sorted(
                    cloud.engines.items())) if found), None)
        result['stuck'] = {
            'status': stuck.stack_status,
            'resources': run.resource_states(),
            'unexpected_lines': sum(len(lines) for lines in _log_lines(
                cloud, offsets,
                'Unexpected exception in resource check').values()),
        }
        result['after_restart'] = _after_restart(cloud, run, remedy,
                                                 'u%d' % len(updates))
    try:
        run.delete()
    except common.BenchmarkError as error:
        # What was measured is kept; the cloud goes away after the run.
        result['delete_error'] = str(error)
    return result


def _after_restart(cloud, run, remedy, value):
    """The workaround: new engines, the same update sent again."""
    restart_engines(cloud, remedy)
    patches = run.patches()
    status, wall, _stack = run.update(value)
    return {'status': status, 'wall_s': wall,
            'glance_patches': run.patches() - patches,
            'in_place': status == 'UPDATE_COMPLETE' and run.check(value)}
