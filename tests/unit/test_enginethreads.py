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

"""The engine thread group remedy, on the installed Heat's own classes."""

import threading

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools

from heat_glance_props import enginethreads
from heat_glance_props import opts


def _heat_group_class():
    """A fresh subclass of the installed Heat's ThreadGroup.

    A subclass, so that patching it leaves Heat's class (and other tests)
    alone; it inherits Heat's add_thread unchanged.
    """
    import heat.tests.common  # noqa: F401  picks oslo.service's backend
    from heat.engine import service  # noqa: H306

    return type('HeatThreadGroup', (service.ThreadGroup,), {})


def _fill(group, count):
    """Start ``count`` threads one after another, each ended before the next.

    Returns how many started before the group refused one.
    """
    for started in range(count):
        try:
            thread = group.add_thread(lambda: None)
        except RuntimeError:
            return started
        thread.join()
    return count


class HeatDefectTest(testtools.TestCase):
    """The defect the remedy is for, in the Heat this suite installs."""

    def test_heat_group_refuses_new_threads_after_1000_finished(self):
        group = _heat_group_class()()
        self.assertEqual(1000, _fill(group, 1200))
        self.assertTrue(enginethreads.has_defect(_heat_group_class()))

    def test_oslo_service_group_has_no_defect(self):
        import heat.tests.common  # noqa: F401
        from oslo_service import threadgroup

        self.assertFalse(enginethreads.has_defect(threadgroup.ThreadGroup))


class RemedyTest(testtools.TestCase):

    def test_patched_group_drops_finished_threads(self):
        cls = _heat_group_class()
        enginethreads.patch(cls)
        group = cls()
        self.assertEqual(3000, _fill(group, 3000))
        self.assertLessEqual(len(group.threads), 1)
        self.assertFalse(enginethreads.has_defect(cls))

    def test_patched_group_still_counts_running_threads(self):
        cls = _heat_group_class()
        enginethreads.patch(cls)
        group = cls(max_threads=3)
        release = threading.Event()
        running = [group.add_thread(release.wait) for _ in range(3)]
        self.assertRaises(RuntimeError, group.add_thread, lambda: None)
        release.set()
        for thread in running:
            thread.join()
        group.add_thread(lambda: None).join()

    def test_patch_is_applied_once(self):
        cls = _heat_group_class()
        enginethreads.patch(cls)
        patched = cls.add_thread
        enginethreads.patch(cls)
        self.assertIs(patched, cls.add_thread)


class ApplyTest(testtools.TestCase):

    def setUp(self):
        super(ApplyTest, self).setUp()
        self.conf = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))
        opts.register_opts(self.conf.conf)
        # apply() decides once per process: each test starts afresh.
        self.addCleanup(enginethreads._state.clear)
        enginethreads._state.clear()
        from heat.engine import service

        self.addCleanup(setattr, service.ThreadGroup, 'add_thread',
                        service.ThreadGroup.add_thread)

    def enable(self):
        """The remedy enabled in the config; the remedy's log."""
        self.conf.config(prune_finished_engine_threads=True,
                         group=opts.GROUP)
        return self.useFixture(fixtures.FakeLogger(
            name='heat_glance_props.enginethreads'))

    def test_off_by_default(self):
        from heat.engine import service

        before = service.ThreadGroup.add_thread
        self.assertEqual('disabled', enginethreads.apply(self.conf.conf))
        self.assertIs(before, service.ThreadGroup.add_thread)

    def test_applied_when_enabled_and_logged_once(self):
        from heat.engine import service

        logs = self.enable()
        self.assertEqual('applied', enginethreads.apply(self.conf.conf))
        self.assertEqual('applied', enginethreads.apply(self.conf.conf))
        self.assertEqual(1, logs.output.count('drops finished threads'))
        self.assertIn('checked: a group takes new threads', logs.output)
        self.assertFalse(enginethreads.has_defect(service.ThreadGroup))

    def test_not_needed_on_a_heat_without_the_defect(self):
        # A Heat whose ThreadGroup drops finished threads (oslo.service's
        # own group, as a fixed Heat would have): nothing is changed.
        from heat.engine import service
        from oslo_service import threadgroup

        self.useFixture(fixtures.MonkeyPatch(
            'heat.engine.service.ThreadGroup', threadgroup.ThreadGroup))
        before = threadgroup.ThreadGroup.add_thread
        logs = self.enable()
        self.assertEqual('not-needed', enginethreads.apply(self.conf.conf))
        self.assertIs(before, threadgroup.ThreadGroup.add_thread)
        self.assertIs(threadgroup.ThreadGroup, service.ThreadGroup)
        self.assertIn('nothing was changed', logs.output)
        self.assertNotIn('drops finished threads', logs.output)

    def test_not_needed_on_a_heat_without_its_own_group(self):
        # Heat before 25.0.0 has no ThreadGroup of its own.
        self.useFixture(fixtures.MonkeyPatch(
            'heat.engine.service.ThreadGroup', fixtures.MonkeyPatch.delete))
        self.enable()
        self.assertEqual('not-needed', enginethreads.apply(self.conf.conf))

    def test_says_so_when_the_change_did_not_take(self):
        # The probe runs again after the change; a change that did not
        # take (here: none is made) is an error in the log, not a claim.
        from heat.engine import service

        before = service.ThreadGroup.add_thread
        self.useFixture(fixtures.MonkeyPatch(
            'heat_glance_props.enginethreads.patch', lambda cls: None))
        logs = self.enable()
        self.assertEqual('failed', enginethreads.apply(self.conf.conf))
        self.assertIs(before, service.ThreadGroup.add_thread)
        self.assertIn('could not change heat.engine.service.ThreadGroup',
                      logs.output)
        self.assertNotIn('drops finished threads first', logs.output)
