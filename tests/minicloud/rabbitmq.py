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

"""The mini-cloud's RabbitMQ: the message bus of Heat (and Nova).

``rabbitmq-server`` from Debian's package with its own ``epmd``; AMQP,
Erlang distribution and epmd listen on 127.0.0.1 only. The broker starts
slowly (Erlang): :meth:`RabbitMQ.spawn` returns at once and
:meth:`RabbitMQ.wait` waits for it, so that other services start
meanwhile.
"""

import os
import shutil
import time

import kombu

from tests.minicloud import common

#: Where Debian's rabbitmq-server package puts the real start script (the
#: one in /usr/sbin switches to the rabbitmq user and its own directories).
RABBITMQ_SERVER = os.environ.get('HGP_RABBITMQ_SERVER',
                                 '/usr/lib/rabbitmq/bin/rabbitmq-server')
EPMD = shutil.which('epmd') or '/usr/bin/epmd'


def available():
    return os.access(RABBITMQ_SERVER, os.X_OK) and os.access(EPMD, os.X_OK)


class RabbitMQ(object):
    """The broker, with the ``guest`` user on a free port."""

    name = 'rabbitmq'

    def __init__(self, procs):
        self.procs = procs
        self.ports = dict((name, common.free_port())
                          for name in ('epmd', 'amqp', 'dist'))
        self.base = procs.path('rabbitmq')
        self._proc = None
        self._ready = False

    @property
    def transport_url(self):
        """oslo.messaging's ``transport_url`` for the services."""
        return 'rabbit://guest:guest@%s:%d/' % (common.HOST,
                                                self.ports['amqp'])

    def spawn(self):
        """Start epmd and the broker; do not wait for them."""
        if not available():
            raise common.CloudError(
                'RabbitMQ is not installed (%s); run '
                'tools/setup-system.sh as root' % RABBITMQ_SERVER)
        base = self.base
        for sub in ('home', 'mnesia', 'log'):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        with open(os.path.join(base, 'enabled_plugins'), 'w') as f:
            f.write('[].\n')
        env = dict(os.environ)
        env.update({
            'HOME': os.path.join(base, 'home'),
            'ERL_EPMD_ADDRESS': common.HOST,
            'ERL_EPMD_PORT': str(self.ports['epmd']),
            'RABBITMQ_NODENAME': 'hgp%d@localhost' % self.ports['amqp'],
            'RABBITMQ_NODE_IP_ADDRESS': common.HOST,
            'RABBITMQ_NODE_PORT': str(self.ports['amqp']),
            'RABBITMQ_DIST_PORT': str(self.ports['dist']),
            'RABBITMQ_MNESIA_BASE': os.path.join(base, 'mnesia'),
            'RABBITMQ_LOG_BASE': os.path.join(base, 'log'),
            'RABBITMQ_LOGS': os.path.join(base, 'log', 'rabbit.log'),
            'RABBITMQ_ENABLED_PLUGINS_FILE':
                os.path.join(base, 'enabled_plugins'),
            'RABBITMQ_CONFIG_FILE': os.path.join(base, 'rabbitmq'),
            'RABBITMQ_ADVANCED_CONFIG_FILE':
                os.path.join(base, 'advanced.config'),
            'RABBITMQ_CONF_ENV_FILE': os.path.join(base, 'rabbitmq-env.conf'),
            'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS':
                '-kernel inet_dist_use_interface {127,0,0,1}',
        })
        # Our own epmd, in the foreground, on loopback: the one Erlang
        # would start by itself is a daemon that outlives the broker.
        self.procs.spawn('epmd', [EPMD, '-address', common.HOST,
                                  '-port', str(self.ports['epmd'])],
                         env=env)
        time.sleep(0.2)
        self._proc = self.procs.spawn(self.name, [RABBITMQ_SERVER], env=env)

    def wait(self):
        """Wait until the broker accepts AMQP connections (once)."""
        if self._ready:
            return
        url = 'amqp://guest:guest@%s:%d//' % (
            common.HOST, self.ports['amqp'])

        def accepts():
            try:
                with kombu.Connection(url, connect_timeout=2) as conn:
                    conn.connect()
                    return True
            except Exception:
                return False
        common.wait_for(accepts, self._proc, 'rabbitmq-server',
                        os.path.join(self.base, 'log'), 90, interval=0.3)
        self._ready = True
