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

"""Where the time goes: what the services did during one operation.

For each run: wall time; the requests Glance served (the harness's
counter); the time Glance, Keystone and heat-api took to serve requests
(their access logs); the database statements and busy time of each
service (MariaDB's per-user statistics, one user per service); and the
CPU time of each service's processes.
"""

import os
import resource
import time
import urllib.parse

from benchmarks import common

#: Processes of the cloud, by the name the cloud spawned them with.
SERVICES = ('heat-engine', 'heat-api', 'glance', 'keystone', 'mariadb',
            'rabbitmq')

#: Services whose access logs say how long each request took.
LOGGED = ('glance', 'keystone', 'heat-api')

#: Database users, one per service.
DB_USERS = ('heat', 'glance', 'keystone')

#: How many of an operation's Glance requests are kept in the JSON.
KEEP_REQUESTS = 12


class Probe(object):
    """What the services did between ``start()`` and ``stop()``."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.ticks = float(os.sysconf('SC_CLK_TCK'))

    # Glance's request counter (the harness's).
    def _requests(self):
        return self.cloud.glance.requests()

    # Access logs: "METHOD PATH STATUS SECONDS" per request.
    def _log_size(self, service):
        try:
            return os.path.getsize(self.cloud.access_log(service))
        except OSError:
            return 0

    def _log_since(self, service, offset):
        try:
            with open(self.cloud.access_log(service), 'rb') as f:
                f.seek(offset)
                text = f.read().decode('utf-8', 'replace')
        except OSError:
            return []
        out = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 4:
                try:
                    out.append((parts[0], parts[1], int(parts[2]),
                                float(parts[3])))
                except ValueError:
                    pass
        return out

    # MariaDB's per-user statistics, read as MariaDB's root (the
    # database server of the services' SQLAlchemy URLs).
    def _db_stats(self):
        import pymysql

        url = urllib.parse.urlsplit(self.cloud.db_url('heat'))
        db = pymysql.connect(host=url.hostname, port=url.port, user='root',
                             password='', connect_timeout=5,
                             autocommit=True)
        try:
            with db.cursor() as cur:
                cur.execute(
                    'SELECT USER, BUSY_TIME, SELECT_COMMANDS, '
                    'UPDATE_COMMANDS, OTHER_COMMANDS, ROWS_READ, '
                    'ROWS_UPDATED FROM information_schema.USER_STATISTICS')
                rows = cur.fetchall()
        finally:
            db.close()
        return dict((row[0], row[1:]) for row in rows)

    # CPU time of each service: every process of the session the cloud
    # started it in.
    def _cpu(self):
        leaders = {}
        for name, proc in self.cloud.procs:
            leaders[proc.pid] = name
        # The harness starts Glance itself, in a session of its own.
        leaders[self.cloud.glance.pid] = 'glance'
        out = dict((name, 0.0) for name in SERVICES)
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                with open('/proc/%s/stat' % entry) as f:
                    text = f.read()
            except OSError:
                continue
            fields = text[text.rindex(')') + 2:].split()
            sid = int(fields[3])
            name = leaders.get(sid)
            if name is None:
                continue
            name = {'epmd': 'rabbitmq'}.get(name, name)
            if name in out:
                out[name] += (int(fields[11]) + int(fields[12])) / self.ticks
        return out

    def start(self):
        # Let the access log lines of the requests just before (e.g. the
        # previous run's check) be written first.
        time.sleep(0.3)
        self.requests0 = len(self._requests())
        self.logs0 = dict((s, self._log_size(s)) for s in LOGGED)
        self.db0 = self._db_stats()
        self.cpu0 = self._cpu()
        self.children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.process0 = time.process_time()
        self.wall0 = time.perf_counter()

    def stop(self):
        wall = time.perf_counter() - self.wall0
        process = time.process_time() - self.process0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        # The access log line is written once the response is sent.
        time.sleep(0.3)
        cpu = self._cpu()
        db = self._db_stats()
        requests = self._requests()[self.requests0:]
        sample = {
            'wall_s': wall,
            'glance': common.describe_requests(requests,
                                               keep=KEEP_REQUESTS),
            'cpu_s': dict((name, cpu[name] - self.cpu0.get(name, 0.0))
                          for name in SERVICES),
            'db': {},
            'served': {},
        }
        sample['cpu_s']['client'] = process + (
            children.ru_utime - self.children0.ru_utime +
            children.ru_stime - self.children0.ru_stime)
        for user in DB_USERS:
            now = db.get(user)
            if now is None:
                continue
            before = self.db0.get(user, (0.0, 0, 0, 0, 0, 0))
            diff = [a - b for a, b in zip(now, before)]
            sample['db'][user] = {
                'busy_s': float(diff[0]),
                'statements': int(diff[1] + diff[2] + diff[3]),
                'selects': int(diff[1]), 'updates': int(diff[2]),
                'rows_read': int(diff[4]), 'rows_updated': int(diff[5]),
            }
        for service, offset in self.logs0.items():
            lines = self._log_since(service, offset)
            sample['served'][service] = {
                'requests': len(lines),
                'seconds': sum(line[3] for line in lines),
            }
        return sample


def measured(cloud, fn):
    """Run ``fn`` under a :class:`Probe`; its sample."""
    probe = Probe(cloud)
    probe.start()
    fn()
    return probe.stop()


def summarise(samples):
    """Medians of a variant's samples (every run kept too)."""
    median = common.median
    out = {
        'runs_s': [s['wall_s'] for s in samples],
        'wall_s': median([s['wall_s'] for s in samples]),
        'glance_requests': median([s['glance']['count'] for s in samples]),
        'glance_discovery': median([s['glance']['discovery']
                                    for s in samples]),
        'glance_by_method': samples[-1]['glance']['by_method'],
        'glance_request_list': samples[-1]['glance']['requests'],
        'cpu_s': {}, 'served': {}, 'db': {},
    }
    for name in samples[0]['cpu_s']:
        out['cpu_s'][name] = median([s['cpu_s'][name] for s in samples])
    for service in samples[0]['served']:
        out['served'][service] = dict(
            (field, median([s['served'][service][field] for s in samples]))
            for field in ('requests', 'seconds'))
    for user in samples[0]['db']:
        out['db'][user] = dict(
            (field, median([s['db'][user][field] for s in samples
                            if user in s['db']]))
            for field in ('busy_s', 'statements', 'selects', 'updates'))
    return out
