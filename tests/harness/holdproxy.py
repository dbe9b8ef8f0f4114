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

"""A pass-through HTTP proxy that can stop one request at a chosen point.

Fault tests put it between heat-engine and Glance (the mini-cloud
registers it as Glance's ``internal`` endpoint, which heat-engine uses;
the in-process tests give Heat its URL). Every request goes through
unchanged, except the one a :class:`Hold` matches, which the proxy keeps:

* ``when='request'``: before Glance sees it (Glance never does, unless
  the test releases it);
* ``when='response'``: after Glance has answered it, before the client
  has the answer (Glance did the work; the client never learns it).

While the request is held, the test kills the process that sent it, then
drops the connection. Glance's server closes each connection after one
response (no keep-alive), so each connection carries one request and the
proxy only reads the first request's head.
"""

import re
import socket
import threading

#: How long a hold waits for the test to decide (release or drop).
DECIDE_TIMEOUT = 300


class HoldTimeout(AssertionError):
    pass


class Hold(object):
    """One request to stop: the first one matching ``method`` and ``path``.

    :param path: a regular expression the whole request path (without the
        query) must match.
    :param on_hold: called (in the proxy's thread) once the request is
        held; returning ``'drop'`` drops it at once.
    """

    def __init__(self, method, path, when='request', on_hold=None):
        if when not in ('request', 'response'):
            raise ValueError(when)
        self.method = method
        self.pattern = re.compile(path)
        self.when = when
        self.on_hold = on_hold
        #: The path of the held request.
        self.path = None
        #: The status Glance answered with (``when='response'``).
        self.status = None
        #: The client's port of the held request's connection (to find
        #: the process that sent it).
        self.peer_port = None
        #: Set once the request is held.
        self.held = threading.Event()
        self._decision = None
        self._decided = threading.Event()

    def matches(self, method, path):
        return method == self.method and self.pattern.fullmatch(path)

    def wait(self, timeout=60):
        """Wait until the request is held; its path."""
        if not self.held.wait(timeout):
            raise HoldTimeout('no %s %s was held within %ss' % (
                self.method, self.pattern.pattern, timeout))
        return self.path

    def release(self):
        """Let the held request (or its answer) go on."""
        self._decide('release')

    def drop(self):
        """Close the client's connection; pass nothing on."""
        self._decide('drop')

    def _decide(self, decision):
        if self._decision is None:
            self._decision = decision
        self._decided.set()

    def _hold(self):
        """In the proxy's thread: held; the decision once made."""
        self.held.set()
        if self.on_hold is not None and self.on_hold(self) == 'drop':
            self._decide('drop')
        self._decided.wait(DECIDE_TIMEOUT)
        return self._decision or 'drop'


def _read_head(sock):
    """The bytes of a request's head (and any body bytes after it)."""
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    return data


def _chunks(sock):
    """What ``sock`` receives, chunk by chunk, until it ends or breaks."""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return
            yield chunk
    except OSError:
        return


def _pump(src, dst):
    """Copy bytes until ``src`` ends; then end ``dst``'s writing side."""
    try:
        for chunk in _chunks(src):
            dst.sendall(chunk)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _close(sock):
    """Close for real: a thread blocked reading the socket wakes up."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _read_all(sock):
    return b''.join(_chunks(sock))


class HoldProxy(object):
    """A proxy on 127.0.0.1 to ``upstream`` (``http://host:port``)."""

    def __init__(self, upstream):
        match = re.match(r'^http://([^:/]+):(\d+)/?$', upstream)
        if not match:
            raise ValueError('not an http://host:port URL: %s' % upstream)
        self.upstream = (match.group(1), int(match.group(2)))
        self._holds = []
        self._lock = threading.Lock()
        #: ``[method, path]`` of every request that came through.
        self.requests = []
        self._listener = socket.create_server(('127.0.0.1', 0))
        self.port = self._listener.getsockname()[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        self._open = set()
        self._stopped = False
        threading.Thread(target=self._serve, name='hold-proxy',
                         daemon=True).start()

    def hold(self, method, path, when='request', on_hold=None):
        """Hold the next request that matches; see :class:`Hold`."""
        hold = Hold(method, path, when, on_hold)
        with self._lock:
            self._holds.append(hold)
        return hold

    def cancel(self, hold):
        """Forget a hold that nothing matched; release one that did."""
        with self._lock:
            if hold in self._holds:
                self._holds.remove(hold)
        hold.release()

    def stop(self):
        self._stopped = True
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            holds, self._holds = self._holds, []
            conns = list(self._open)
        for hold in holds:
            hold.drop()
        for conn in conns:
            _close(conn)

    def _serve(self):
        while not self._stopped:
            try:
                conn, addr = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn, addr),
                             name='hold-proxy-conn', daemon=True).start()

    def _take_hold(self, method, path, peer):
        with self._lock:
            self.requests.append([method, path])
            for hold in self._holds:
                if hold.matches(method, path):
                    self._holds.remove(hold)
                    hold.path = path
                    hold.peer_port = peer[1]
                    return hold
        return None

    def _connection(self, client, peer):
        with self._lock:
            self._open.add(client)
        upstream = None
        try:
            head = _read_head(client)
            if head is None:
                return
            line = head.split(b'\r\n', 1)[0].decode('latin-1').split()
            method, path = line[0], line[1].split('?', 1)[0]
            hold = self._take_hold(method, path, peer)
            if (hold is not None and hold.when == 'request' and
                    hold._hold() == 'drop'):
                return
            upstream = socket.create_connection(self.upstream)
            upstream.sendall(head)
            threading.Thread(target=_pump, args=(client, upstream),
                             daemon=True).start()
            if hold is None or hold.when == 'request':
                _pump(upstream, client)
                return
            answer = _read_all(upstream)
            try:
                hold.status = int(answer.split(b' ', 2)[1])
            except (IndexError, ValueError):
                hold.status = None
            if hold._hold() == 'release':
                client.sendall(answer)
        except OSError:
            pass
        finally:
            for sock in (upstream, client):
                if sock is not None:
                    _close(sock)
            with self._lock:
                self._open.discard(client)
