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

"""What every service of the mini-cloud uses: processes, waits, secrets.

Each service module (:mod:`.mariadb`, :mod:`.rabbitmq`, :mod:`.keystone`,
:mod:`.glance`, :mod:`.heat`) starts its processes through one
:class:`Processes` of the cloud, so that the cloud stops them all, in
reverse order, and the benchmarks find every process of a service.
"""

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from tests.harness import glance as harness_glance

VENV_BIN = os.path.dirname(sys.executable)
REPO_ROOT = harness_glance.REPO_ROOT
HOST = '127.0.0.1'
REGION = 'RegionOne'

#: Each gunicorn (Keystone, Glance, heat-api) writes one line per request
#: served: method, path, status and seconds taken.
ACCESS_LOG_FORMAT = '%(m)s %(U)s %(s)s %(L)s'

free_port = harness_glance.free_port


class CloudError(Exception):
    pass


def venv_bin(name):
    """A console script of this virtualenv."""
    return os.path.join(VENV_BIN, name)


class Secrets(dict):
    """Passwords by name, each made the first time it is asked for."""

    def __missing__(self, name):
        self[name] = secrets.token_hex(12)
        return self[name]


def wait_for(ready, proc, what, log, timeout, interval=0.2):
    """Poll ``ready()`` until it returns a true value, and return that.

    Fails at once if ``proc`` exits, and after ``timeout`` seconds; both
    errors name ``log``.
    """
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise CloudError('%s exited with %s; see %s' % (
                what, proc.returncode, log))
        result = ready()
        if result:
            return result
        if time.monotonic() > deadline:
            raise CloudError('%s was not ready within %ss; see %s' % (
                what, timeout, log))
        time.sleep(interval)


def wait_http(url, proc, log, timeout, ok=(200, 300)):
    """Wait until ``url`` answers with one of the ``ok`` statuses."""
    def answers():
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.status in ok
        except urllib.error.HTTPError as exc:
            return exc.code in ok
        except (urllib.error.URLError, OSError):
            return False
    wait_for(answers, proc, url, log, timeout)


def side_by_side(*steps, main=None):
    """Run independent start-up steps at once; re-raise the first failure.

    ``steps`` run in threads and must be commands that end: the
    parent-death signal of a child fires when the thread that started it
    ends, so services are started by ``main``, which runs in the calling
    thread meanwhile.
    """
    errors = []

    def run(step):
        try:
            step()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(step,), daemon=True)
               for step in steps]
    for thread in threads:
        thread.start()
    if main is not None:
        run(main)
    for thread in threads:
        thread.join(600)
        if thread.is_alive():
            errors.append(CloudError('a start-up step took over 600 s'))
    if errors:
        raise errors[0]


def stop_process(proc, timeout=20):
    """SIGTERM to the process's group; SIGKILL after ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_process(proc)


def kill_process(proc):
    """SIGKILL to the process's whole group (the leader and its children).

    Returns once no process of the group runs any more (zombies aside:
    forked workers are reaped by whoever inherits them).
    """
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    deadline = time.monotonic() + 10
    while group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def proc_stat(pid):
    """The fields of ``/proc/<pid>/stat`` after the command, or None.

    ``[state, ppid, pgrp, session, ...]`` (see proc(5)).
    """
    try:
        with open('/proc/%s/stat' % pid) as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(')') + 2:].split()


def group_members(pgid):
    """The pids of a process group's processes, zombies left out."""
    stats = ((int(pid), proc_stat(pid)) for pid in os.listdir('/proc')
             if pid.isdigit())
    return [pid for pid, fields in stats
            if fields and int(fields[2]) == pgid and fields[0] != 'Z']


def _socket_inode(local_port, remote_port):
    """The inode of the TCP socket from ``local_port`` to ``remote_port``.

    From ``/proc/net/tcp`` (and ``tcp6``): ``local_address`` and
    ``rem_address`` are ``HEXIP:HEXPORT``, the inode is the tenth field.
    """
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if (int(fields[1].rsplit(':', 1)[1], 16) == local_port and
                    int(fields[2].rsplit(':', 1)[1], 16) == remote_port):
                return fields[9]
    return None


def connection_owner(local_port, remote_port):
    """The pid owning the socket from ``local_port`` to ``remote_port``.

    None when no process of this machine has it. The socket's inode
    (``/proc/net/tcp``), then the process that has it open
    (``/proc/<pid>/fd``).
    """
    inode = _socket_inode(local_port, remote_port)
    if inode is None:
        return None
    target = 'socket:[%s]' % inode
    for pid in (p for p in os.listdir('/proc') if p.isdigit()):
        fd_dir = '/proc/%s/fd' % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(os.path.join(fd_dir, fd)) == target:
                    return int(pid)
            except OSError:
                continue
    return None


class Service(object):
    """An OpenStack service of the cloud (see :mod:`tests.minicloud.cloud`).

    Subclasses set ``name``, ``database`` (MariaDB makes it, with a user
    of the same name) and ``users`` (Keystone users in the ``service``
    project), and override what they need of the methods below.
    """

    name = None
    database = None
    users = ()

    def __init__(self, procs, mariadb, keystone):
        self.procs = procs
        self.mariadb = mariadb
        self.keystone = keystone
        #: Its configuration, logs and state.
        self.dir = procs.path(self.name)

    def prepare(self):
        """Configuration and database schema (in a thread, beside others)."""

    def start(self):
        """Start its processes (in the main thread) and wait for them."""

    def stop(self):
        """Stop what the cloud's :class:`Processes` does not stop."""

    def endpoints(self):
        """Its catalog entries: ``(name, type, url)`` tuples."""
        return ()

    def register_in_keystone(self, ks, roles):
        """What else it needs in Keystone, besides users and endpoints."""


class Processes(object):
    """The child processes of a cloud, in the order they were started.

    Iterating gives ``(service, proc)`` pairs: every process that belongs
    to a service (e.g. both heat-engine services) is named after it. Each
    process leads a session (and process group) of its own and gets the
    parent-death signal.
    """

    def __init__(self, workdir):
        self.workdir = workdir
        self._procs = []

    def __iter__(self):
        return iter(list(self._procs))

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def spawn(self, name, cmd, env=None, cwd=None, service=None):
        """Start ``cmd``; its output goes to ``<workdir>/<name>.out``.

        ``service`` (default: ``name``) is what the process is listed as.
        """
        log = open(self.path('%s.out' % name), 'ab')
        try:
            proc = subprocess.Popen(
                cmd, env=env, cwd=cwd or self.workdir,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                preexec_fn=harness_glance._die_with_parent,
                start_new_session=True)
        finally:
            log.close()
        self._procs.append((service or name, proc))
        return proc

    def forget(self, proc):
        """Drop a process that has ended from the list."""
        self._procs = [(name, p) for name, p in self._procs if p is not proc]

    def run(self, cmd, env=None, timeout=300):
        """Run a command that ends; its standard output, or CloudError."""
        proc = subprocess.run(cmd, env=env, cwd=self.workdir,
                              stdin=subprocess.DEVNULL,
                              capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode:
            raise CloudError('%s failed (%s): %s' % (
                ' '.join(cmd[:3]), proc.returncode, proc.stderr[-2000:]))
        return proc.stdout

    def gunicorn(self, name, app, port, env, threads=4):
        """A WSGI application of this repository under gunicorn.

        Writes ``<name>-gunicorn.log`` and ``<name>-access.log`` (one line
        per request, :data:`ACCESS_LOG_FORMAT`) in the state directory.
        """
        return self.spawn(name, [
            sys.executable, '-m', 'gunicorn',
            '--bind', '%s:%d' % (HOST, port),
            '--workers', '1', '--worker-class', 'gthread',
            '--threads', str(threads), '--timeout', '300',
            '--graceful-timeout', '5',
            # As the harness's Glance: no keep-alive, so that no client
            # reuses a connection gunicorn is closing ("Connection reset
            # by peer" under load).
            '--keep-alive', '0',
            '--pythonpath', REPO_ROOT,
            '--error-logfile', self.path('%s-gunicorn.log' % name),
            '--access-logfile', self.path('%s-access.log' % name),
            '--access-logformat', ACCESS_LOG_FORMAT,
            '--log-level', 'warning', app], env=env)

    def stop(self, proc, timeout=20):
        """Stop one process (its whole group) and forget it."""
        stop_process(proc, timeout=timeout)
        self.forget(proc)

    def kill(self, proc):
        """SIGKILL to one process's whole group, and forget it."""
        kill_process(proc)
        self.forget(proc)

    def stop_all(self):
        """Stop every process, the last started first."""
        while self._procs:
            _name, proc = self._procs.pop()
            stop_process(proc)
