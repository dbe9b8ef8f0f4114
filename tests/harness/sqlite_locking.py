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

"""The harness's sqlite makes concurrent Glance writers wait, not fail.

oslo.db starts every transaction on sqlite with a plain (deferred)
``BEGIN``. The first read of a transaction then takes sqlite's shared
lock and its first write asks for the reserved lock. When two of
Glance's threads do that at once (an API request such as a ``PATCH`` or
a ``DELETE`` and the import task saving the image), one holds the
reserved lock and waits for the other's shared lock to go, while the
other waits for the reserved lock: sqlite sees the deadlock and answers
one of them at once with "database is locked" (its busy timeout does not
apply to a deadlock), which Glance returns as an HTTP 500. Seen under CPU
load, where the two overlap more often: a stack delete, or a create of
Heat's own ``OS::Glance::WebImage`` (which sends a PATCH while Glance
imports), failing now and then (12 such errors in 15 runs of the
benchmark's WebImage comparison on a loaded 2-core machine; none with
this module).

A database server (MySQL, PostgreSQL) makes the second writer wait for
the first. :func:`install` does the same for sqlite: each transaction
starts with ``BEGIN IMMEDIATE``, which takes the reserved lock at once,
so transactions queue on sqlite's busy timeout (raised to
``BUSY_TIMEOUT_MS``) instead of deadlocking. Glance's own code is
unchanged; only the harness's database behaves like a server's.
"""

from sqlalchemy import engine
from sqlalchemy import event

#: How long a transaction waits for another one's lock.
BUSY_TIMEOUT_MS = 120000


def _connect(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith('sqlite3'):
        dbapi_connection.execute('PRAGMA busy_timeout = %d' % BUSY_TIMEOUT_MS)


def _before_cursor_execute(conn, cursor, statement, parameters, context,
                           executemany):
    # oslo.db's "begin" listener emits this statement for sqlite.
    if conn.dialect.name == 'sqlite' and statement.strip().upper() == 'BEGIN':
        statement = 'BEGIN IMMEDIATE'
    return statement, parameters


def install(target=engine.Engine):
    """Apply to every SQLAlchemy engine created from now on (or ``target``)."""
    event.listen(target, 'connect', _connect)
    event.listen(target, 'before_cursor_execute', _before_cursor_execute,
                 retval=True)
