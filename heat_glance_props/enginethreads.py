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

"""An opt-in remedy for heat-engine's per-stack thread groups.

heat-engine 25.0.0 to 27.x (and Heat's master branch when this was written)
run each stack's background work in a thread group of their own
(``heat.engine.service.ThreadGroup``). Its ``add_thread`` appends every new
thread to the group's list, refuses a new one once the list holds
``max_threads`` (1000) and never removes a finished thread: oslo.service's
own threading group removes them, but Heat's override does not call that
code. ``Stack.dispatch_event`` starts one thread per resource event, so a
worker refuses all work on a stack ("Maximum number of threads reached")
after about a thousand resource events of that stack, until heat-engine is
restarted.

With ``[glance_properties] prune_finished_engine_threads = true`` in
heat.conf, the plugin module ``heat_plugins/engine_threads.py`` calls
:func:`apply` when heat-engine loads its plugins: if the running Heat has
the defect (tried on a throw-away group, see :func:`has_defect`), finished
threads are dropped from a group before it counts its threads, which is
what oslo.service's group does. Nothing else of Heat changes.
"""

import threading

from oslo_log import log as logging

from heat_glance_props import opts

LOG = logging.getLogger(__name__)

#: How many threads a group of Heat's takes (oslo.service's default
#: thread_pool_size, which Heat does not change).
MAX_THREADS = 1000

#: What apply() found and did, once per process: empty (not run yet),
#: 'disabled', 'not-needed', 'applied' or 'failed'.
_state = []
_lock = threading.Lock()


def has_defect(group_class):
    """Whether ``group_class`` keeps finished threads and refuses new ones.

    A group of that class that may hold one thread runs one thread to its
    end, then is asked for a second one.
    """
    group = group_class(max_threads=1)
    _wait(group.add_thread(lambda: None))
    try:
        second = group.add_thread(lambda: None)
    except RuntimeError:
        return True
    _wait(second)
    return False


def _wait(thread):
    # Heat's threads are threading.Thread objects; oslo.service's group
    # hands out a wrapper with wait().
    wait = getattr(thread, 'join', None) or thread.wait
    wait()


def prune(group):
    """Drop the finished threads of ``group`` (a Heat ThreadGroup)."""
    with group._lock:
        group.threads[:] = [t for t in group.threads if t.is_alive()]


def patch(group_class):
    """Make ``group_class.add_thread`` drop finished threads first."""
    original = group_class.add_thread
    if getattr(original, '_prunes_finished_threads', False):
        return

    def add_thread(self, *args, **kwargs):
        prune(self)
        return original(self, *args, **kwargs)

    add_thread._prunes_finished_threads = True
    add_thread.__doc__ = original.__doc__
    group_class.add_thread = add_thread


def apply(conf=None):
    """Apply the remedy when it is enabled and the running Heat needs it.

    Logs once per process what it did. Returns ``'disabled'``,
    ``'not-needed'``, ``'applied'`` or, should the probe still find the
    defect after the change, ``'failed'``.
    """
    with _lock:
        if _state:
            return _state[0]
        if not opts.prune_finished_engine_threads(conf):
            _state.append('disabled')
            return _state[0]
        from heat.engine import service

        # Heat releases before 25.0.0 use oslo.service's (eventlet) group
        # as it is, which drops finished threads.
        group_class = vars(service).get('ThreadGroup')
        if group_class is None or not has_defect(group_class):
            _state.append('not-needed')
            LOG.info('heat-glance-props: [glance_properties] '
                     'prune_finished_engine_threads is set, but this '
                     'heat-engine\'s thread groups drop finished threads '
                     'themselves; nothing was changed.')
            return _state[0]
        name = '%s.%s' % (group_class.__module__, group_class.__name__)
        patch(group_class)
        # The same probe again: the remedy took, or it says it did not.
        if has_defect(group_class):
            _state.append('failed')
            LOG.error('heat-glance-props: [glance_properties] '
                      'prune_finished_engine_threads could not change '
                      '%(cls)s: its groups still refuse new threads once '
                      'they hold %(max)d finished ones ("Maximum number '
                      'of threads reached"); restart heat-engine when a '
                      'stack gets stuck.', {'cls': name, 'max': MAX_THREADS})
            return _state[0]
        _state.append('applied')
        LOG.warning(
            'heat-glance-props: this heat-engine keeps the finished '
            'threads of each stack\'s thread group and refuses new ones '
            'after %(max)d ("Maximum number of threads reached"); as '
            '[glance_properties] prune_finished_engine_threads asks, '
            '%(cls)s.add_thread now drops finished threads first '
            '(checked: a group takes new threads after its finished '
            'ones).', {'max': MAX_THREADS, 'cls': name})
        return _state[0]
