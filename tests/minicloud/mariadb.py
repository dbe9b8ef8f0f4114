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

"""The mini-cloud's MariaDB: one private server, a database per service.

``mariadbd`` from Debian's ``mariadb-server`` package, with its own data
directory made by ``mariadb-install-db``, listening on 127.0.0.1 (and a
unix socket in the state directory), with one database and one user for
each service that has a ``database``, connected to with PyMySQL as
operators do. Nothing of the system's configuration is read.
"""

import os

import pymysql

from tests.minicloud import common

#: MariaDB's server and the script that makes a data directory (Debian's
#: mariadb-server package).
MARIADBD = os.environ.get('HGP_MARIADBD', '/usr/sbin/mariadbd')
MARIADB_INSTALL_DB = os.environ.get('HGP_MARIADB_INSTALL_DB',
                                    '/usr/bin/mariadb-install-db')

#: Server options of the private MariaDB: small, and durable only as far
#: as a test needs (a crash loses the last second of commits, which no
#: test survives anyway). Each transaction still commits, locks and
#: isolates as on a production server.
OPTIONS = (
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=128M',
    '--innodb-log-file-size=16M',
    '--innodb-doublewrite=0',
    '--innodb-flush-log-at-trx-commit=0',
    '--performance-schema=0',
    # Per-user statistics (information_schema.USER_STATISTICS): each
    # service has its own user, so the benchmarks see each one's share.
    '--userstat=1',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
)


def available():
    return (os.access(MARIADBD, os.X_OK) and
            os.access(MARIADB_INSTALL_DB, os.X_OK))


class MariaDB(object):
    """The database server; ``start(names)`` makes the databases."""

    name = 'mariadb'

    def __init__(self, procs):
        self.procs = procs
        #: One password per database user (named after the database).
        self.passwords = common.Secrets()
        self.port = common.free_port()
        self.base = procs.path('mariadb')
        self.socket = os.path.join(self.base, 'mysqld.sock')
        self.error_log = os.path.join(self.base, 'error.log')
        self.databases = ()

    @staticmethod
    def _user():
        # mariadbd refuses to run as root unless told to.
        return ['--user=root'] if os.geteuid() == 0 else []

    def start(self, databases):
        """Make the data directory, start the server, make the databases."""
        if not available():
            raise common.CloudError(
                'MariaDB is not installed (%s); run '
                'tools/setup-system.sh as root' % MARIADBD)
        datadir = os.path.join(self.base, 'data')
        os.makedirs(self.base)
        # --no-defaults first: nothing from the system's my.cnf (its data
        # directory, socket and port are the packaged service's).
        self.procs.run([MARIADB_INSTALL_DB, '--no-defaults',
                        '--datadir=%s' % datadir,
                        '--auth-root-authentication-method=normal',
                        '--skip-test-db'] + self._user() + list(OPTIONS))
        proc = self.procs.spawn(self.name, [
            MARIADBD, '--no-defaults', '--datadir=%s' % datadir,
            '--bind-address=%s' % common.HOST, '--port=%d' % self.port,
            '--socket=%s' % self.socket,
            '--pid-file=%s' % os.path.join(self.base, 'mariadbd.pid'),
            '--log-error=%s' % self.error_log,
            '--max-connections=500'] + self._user() + list(OPTIONS))

        def root():
            try:
                return self.connect()
            except pymysql.err.OperationalError:
                return None
        db = common.wait_for(root, proc, 'MariaDB', self.error_log, 60,
                             interval=0.1)
        try:
            with db.cursor() as cur:
                for name in databases:
                    cur.execute('CREATE DATABASE %s CHARACTER SET utf8mb4'
                                % name)
                    cur.execute("CREATE USER '%s'@'%s' IDENTIFIED BY %%s"
                                % (name, common.HOST),
                                (self.passwords[name],))
                    cur.execute("GRANT ALL PRIVILEGES ON %s.* TO '%s'@'%s'"
                                % (name, name, common.HOST))
        finally:
            db.close()
        self.databases = tuple(databases)

    def connect(self, user='root', password='', database=None):
        """A PyMySQL connection (autocommit), as root by default."""
        return pymysql.connect(host=common.HOST, port=self.port,
                               user=user, password=password,
                               database=database, connect_timeout=5,
                               autocommit=True)

    def connect_as(self, name):
        """A connection as a service's user, to its own database."""
        return self.connect(name, self.passwords[name], name)

    def query(self, name, sql, args=None):
        """The rows of one statement in a service's database."""
        db = self.connect_as(name)
        try:
            with db.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall()
        finally:
            db.close()

    def url(self, name):
        """The SQLAlchemy URL of one service's database."""
        return 'mysql+pymysql://%s:%s@%s:%d/%s?charset=utf8mb4' % (
            name, self.passwords[name], common.HOST, self.port, name)
