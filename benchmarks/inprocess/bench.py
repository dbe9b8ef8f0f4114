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

"""The testbed of the in-process benchmarks, and how it measures.

Everything runs against a real glance-api (the test harness's
:class:`~tests.harness.glance.GlanceServer`) and Heat engine code
in-process (:mod:`tests.harness.heat`).
"""

import copy
import os
import time
import uuid

from benchmarks import common
from tests.harness import glance as harness_glance
from tests.harness import heat

MIB = 1 << 20


def payload(size):
    """``size`` bytes of incompressible data, made quickly."""
    block = os.urandom(min(size, MIB))
    whole, rest = divmod(size, len(block)) if block else (0, 0)
    return block * whole + block[:rest]


def ratio(a, b):
    if not a or b is None:
        return None
    return b / a


def summary(samples):
    """Median wall time of a list of seconds (or of sample dicts)."""
    if samples and isinstance(samples[0], dict):
        return dict((field, common.median([s.get(field) for s in samples]))
                    for field in ('wall_s', 'client_cpu_s', 'server_cpu_s'))
    return {'median_s': common.median(samples), 'runs_s': list(samples)}


class Bench(object):
    """The Glance, the data server and the Heat context of one run."""

    def __init__(self, data, glance):
        self.data = data
        self.glance = glance
        heat.setup()
        self.ctx = heat.make_context(glance.url, heat.MEMBER)
        self.admin = heat.glance(glance.url, heat.ADMIN)
        self.client = heat.glance(glance.url, heat.MEMBER)

    # Glance side -------------------------------------------------------

    def counter(self):
        return harness_glance.RequestCounter(self.glance)

    def server_pids(self):
        proc = getattr(self.glance, '_proc', None)
        if proc is None:
            return []
        pids = [proc.pid]
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            stat = _read_stat(entry)
            if stat is not None and stat[1] == proc.pid:
                pids.append(int(entry))
        return pids

    def server_cpu(self):
        """CPU seconds used so far by glance-api (master and workers)."""
        total = 0.0
        pids = self.server_pids()
        if not pids:
            return None
        for pid in pids:
            stat = _read_stat(str(pid))
            if stat is not None:
                total += stat[2]
        return total

    def measure(self, fn):
        """Run ``fn``; return its wall, client CPU and server CPU time."""
        server0 = self.server_cpu()
        cpu0 = time.process_time()
        wall0 = time.perf_counter()
        result = fn()
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        server1 = self.server_cpu()
        sample = {'wall_s': wall, 'client_cpu_s': cpu,
                  'server_cpu_s': (None if server0 is None
                                   else server1 - server0)}
        return sample, result

    def measure_requests(self, fn):
        """:meth:`measure`, and the number of Glance requests ``fn`` made."""
        counter = self.counter()
        sample, result = self.measure(fn)
        sample['requests'] = common.describe_requests(
            counter.since())['count']
        return sample, result

    def wait_import_done(self, image_id, timeout=60):
        """Wait until no import task holds the image; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            image = self.admin.images.get(image_id)
            if not image.get('os_glance_import_task'):
                return True
            time.sleep(0.05)
        return False

    def live_props(self, image_id):
        return common.free_properties(self.admin.images.get(image_id))

    def image_url(self, size, data=None):
        name = 'bench-%s' % uuid.uuid4().hex[:12]
        return self.data.add(name, data=data if data is not None
                             else payload(size))

    # Heat side ---------------------------------------------------------

    def create_stack(self, tmpl, url, check=True, timeout_mins=None):
        if timeout_mins is None:
            stk = heat.create(self.ctx, copy.deepcopy(tmpl),
                              {'image_url': url})
        else:
            stk = heat.build_stack(self.ctx, copy.deepcopy(tmpl),
                                   {'image_url': url})
            stk.timeout_mins = timeout_mins
            stk.validate()
            stk.store()
            stk.create()
        if check:
            _check(stk, 'CREATE')
        return stk

    def update_stack(self, stk, tmpl, url, check=True, timeout_mins=None):
        if timeout_mins is None:
            heat.update(stk, copy.deepcopy(tmpl), {'image_url': url})
        else:
            new = heat.build_stack(stk.context, copy.deepcopy(tmpl),
                                   {'image_url': url}, name=stk.name)
            new.timeout_mins = stk.timeout_mins = timeout_mins
            new.validate()
            stk.update(new)
        if check:
            _check(stk, 'UPDATE')
        return stk

    def delete_stack(self, stk):
        stk.delete()
        if stk.state != ('DELETE', 'COMPLETE'):
            common.fail('stack delete: %s %s' % (
                '_'.join(stk.state), stk.status_reason))


def _read_stat(pid):
    """``(pid, ppid, cpu seconds)`` of a process, or None if it is gone."""
    try:
        with open('/proc/%s/stat' % pid) as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(')') + 2:].split()
    ticks = os.sysconf('SC_CLK_TCK')
    return (int(pid), int(fields[1]),
            (int(fields[11]) + int(fields[12])) / float(ticks))


def _check(stk, action):
    if stk.state != (action, 'COMPLETE'):
        common.fail('stack %s: %s %s' % (
            action.lower(), '_'.join(stk.state), stk.status_reason))


def eventlet_patched():
    """Whether the process runs on eventlet (older Heat test setups)."""
    try:
        from eventlet import patcher
    except ImportError:
        return False
    return patcher.is_monkey_patched('thread')
