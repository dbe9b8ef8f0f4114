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

"""The harness's sqlite fix (tests/harness/sqlite_locking.py).

Two transactions on an oslo.db sqlite engine, in the order that made the
harness's Glance answer "database is locked": A reads, B writes and
commits, A writes. Without the fix sqlite refuses A at once; with it, B
waits for A and both commit.
"""

import os
import tempfile
import threading

from oslo_db.sqlalchemy import engines
import sqlalchemy
import testtools

from tests.harness import sqlite_locking


class SqliteLockingTest(testtools.TestCase):

    def engine(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(lambda: [os.remove(os.path.join(tmp, f))
                                 for f in os.listdir(tmp)] and os.rmdir(tmp))
        eng = engines.create_engine('sqlite:///%s/db.sqlite' % tmp)
        self.addCleanup(eng.dispose)
        with eng.begin() as conn:
            conn.execute(sqlalchemy.text('CREATE TABLE t (k INT, v INT)'))
            conn.execute(sqlalchemy.text('INSERT INTO t VALUES (1, 0)'))
        return eng

    def race(self, eng, wait_for_b):
        """A reads, then B writes, then A writes; the errors and the value.

        A waits up to ``wait_for_b`` seconds for B's write statement to
        have run before it writes.
        """
        read = threading.Event()
        wrote = threading.Event()
        errors = {}

        def b():
            read.wait(60)
            try:
                with eng.begin() as conn:
                    conn.execute(sqlalchemy.text('UPDATE t SET v = v + 1'))
                    wrote.set()
            except Exception as exc:
                errors['b'] = exc

        other = threading.Thread(target=b)
        other.start()
        try:
            with eng.begin() as conn:
                conn.execute(sqlalchemy.text('SELECT v FROM t')).fetchall()
                read.set()
                wrote.wait(wait_for_b)
                conn.execute(sqlalchemy.text('UPDATE t SET v = v + 10'))
        except Exception as exc:
            errors['a'] = exc
        other.join(60)
        with eng.connect() as conn:
            value = conn.execute(sqlalchemy.text('SELECT v FROM t')).scalar()
        return errors, value

    def test_without_the_fix_sqlite_refuses_one_writer(self):
        # B's write runs at once: A's write then deadlocks.
        errors, value = self.race(self.engine(), wait_for_b=60)
        self.assertIn('database is locked', str(errors.get('a')), errors)
        self.assertEqual(1, value)

    def test_with_the_fix_both_writers_commit(self):
        eng = self.engine()
        sqlite_locking.install(eng)
        # B cannot write before A commits: A stops waiting for it.
        errors, value = self.race(eng, wait_for_b=1)
        self.assertEqual({}, errors)
        self.assertEqual(11, value)
