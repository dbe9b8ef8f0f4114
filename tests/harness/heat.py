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

"""Heat engine code in-process, talking to the harness's real Glance.

Stacks are built and run with Heat's own ``Stack`` class (the legacy,
non-convergence path: no RPC, no heat-api), with an in-memory sqlite
database. The plugin is loaded the way heat-engine loads it: through the
``plugin_dirs`` option and ``heat.engine.resources.initialise()``.

The request context carries a keystoneauth plugin whose catalog lookups
all answer the local Glance URL and whose headers are the identity headers
the harness's Glance trusts, so Heat's own glance client plugin runs
untouched.
"""

# Heat's test package picks oslo.service's threading backend; it must be
# imported before any heat.engine module.
import heat.tests.common  # noqa: F401  isort:skip

import contextlib
import ctypes
import os
import sys
import threading
import time
import uuid

from glanceclient import client as glance_client
from heat.common import context as heat_context
from heat.common import messaging
from heat.common import template_format
from heat.db import api as heat_db_api
from heat.engine import environment
from heat.engine import resources
from heat.engine import scheduler
from heat.engine import stack as heat_stack
from heat.engine import stack_lock
from heat.engine import template
from heat.tests import utils as heat_test_utils
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from oslo_config import cfg

from heat_glance_props import paths
from tests.harness import holdproxy

#: A recognisable fake token: tests check that it never reaches a log.
TOKEN = 'harness-secret-token-%s' % uuid.uuid4().hex

#: The longest a scheduler step of the in-process engine sleeps. Heat's
#: engine polls resources once a second by default; the harness polls more
#: often so that the suite runs quickly. Nothing else about Heat changes.
POLL_INTERVAL = 0.05

#: The engine id the harness's stack locks are taken for.
ENGINE_ID = 'harness-engine'

_READY = []

#: Context-manager factories called as ``observer(operation, stack)``
#: around every stack operation the harness runs (create, check, update,
#: adopt); the functional tests' replacement guard is one.
OBSERVERS = []


class TrustedIdentity(token_endpoint.Token):
    """Fixed endpoint plus the identity headers the harness Glance trusts."""

    def __init__(self, endpoint, project_id, user_id, roles):
        super(TrustedIdentity, self).__init__(endpoint, TOKEN)
        self.project_id = project_id
        self.user_id = user_id
        self.roles = list(roles)

    def get_headers(self, session, **kwargs):
        headers = super(TrustedIdentity, self).get_headers(session, **kwargs)
        headers.update({
            'X-Identity-Status': 'Confirmed',
            'X-Roles': ','.join(self.roles),
            'X-Project-Id': self.project_id,
            'X-User-Id': self.user_id,
        })
        return headers


MEMBER = ('project-a', 'user-a', ('member', 'reader'))
ADMIN = ('project-admin', 'user-admin', ('admin', 'member', 'reader'))


def setup(plugin_dirs=None):
    """Configure Heat once per process and load the plugin.

    :param plugin_dirs: the plugin directories to give heat-engine's loader;
        by default only the directory ``heat-glance-props plugin-dir``
        prints.
    """
    if _READY:
        return
    prefix = sys.prefix
    cfg.CONF([], project='heat', default_config_files=[])
    cfg.CONF.set_default('environment_dir',
                         os.path.join(prefix, 'etc', 'heat', 'environment.d'))
    cfg.CONF.set_default('template_dir',
                         os.path.join(prefix, 'etc', 'heat', 'templates'))
    cfg.CONF.set_override('plugin_dirs', plugin_dirs or [paths.plugin_dir()])
    cfg.CONF.set_override('deferred_auth_method', 'password')
    cfg.CONF.set_override('client_retry_limit', 0)
    # Notifications go nowhere: there is no message bus in-process.
    messaging.setup('fake://', optional=True)
    # Foreign keys on, as in a production database: deleting a resource
    # deletes its resource data (sqlite reuses the ids of deleted rows).
    heat_db_api.context_manager.configure(sqlite_fk=True)
    heat_test_utils.setup_dummy_db()
    resources.initialise()

    original = scheduler.TaskRunner._sleep

    def _sleep(self, wait_time):
        if wait_time is not None:
            wait_time = min(wait_time, POLL_INTERVAL)
        return original(self, wait_time)

    scheduler.TaskRunner._sleep = _sleep
    _READY.append(True)


def make_context(glance_url, identity=MEMBER):
    project_id, user_id, roles = identity
    auth = TrustedIdentity(glance_url, project_id, user_id, roles)
    return heat_context.RequestContext(
        auth_plugin=auth, project_id=project_id, user_id=user_id,
        roles=list(roles), is_admin='admin' in roles,
        username=user_id, password=None, auth_url=glance_url)


def glance(glance_url, identity=ADMIN):
    """A plain glanceclient v2 client for checks outside Heat."""
    project_id, user_id, roles = identity
    auth = TrustedIdentity(glance_url, project_id, user_id, roles)
    return glance_client.Client('2', session=ks_session.Session(auth=auth))


def load_template(path_or_text):
    if os.path.exists(path_or_text):
        with open(path_or_text) as f:
            path_or_text = f.read()
    return template_format.parse(path_or_text)


def build_stack(ctx, tmpl, params=None, name=None, disable_rollback=True,
                timeout_mins=5, converge=False):
    """A Heat Stack object for a parsed template (not stored yet)."""
    if isinstance(tmpl, str):
        tmpl = load_template(tmpl)
    t = template.Template(tmpl, env=environment.Environment(params or {}))
    return heat_stack.Stack(ctx, name or 'stack-%s' % uuid.uuid4().hex[:8],
                            t, disable_rollback=disable_rollback,
                            timeout_mins=timeout_mins, converge=converge)


def _locked(stk, operation, *args):
    """Run a stack operation as heat-engine does: under the stack lock.

    The final state is persisted when the lock is released.
    """
    with contextlib.ExitStack() as observers:
        for observer in list(OBSERVERS):
            observers.enter_context(observer(operation.__name__, stk))
        lock = stack_lock.StackLock(stk.context, stk.id, ENGINE_ID)
        lock.acquire()
        try:
            operation(*args)
        finally:
            stk.persist_state_and_release_lock(ENGINE_ID)


def create(ctx, tmpl, params=None, name=None, timeout_mins=5):
    """Validate, store and create a stack; returns it in any final state."""
    stk = build_stack(ctx, tmpl, params, name, timeout_mins=timeout_mins)
    stk.validate()
    stk.store()
    _locked(stk, stk.create)
    return stk


def adopt(ctx, tmpl, adopt_data, params=None, name=None):
    """Adopt existing resources into a new stack (``stack adopt``).

    Returns the stack in any final state.

    :param adopt_data: what ``openstack stack abandon`` prints: a dict
        with ``resources`` mapping each resource name to at least its
        ``resource_id``.
    """
    if isinstance(tmpl, str):
        tmpl = load_template(tmpl)
    t = template.Template(tmpl, env=environment.Environment(params or {}))
    stk = heat_stack.Stack(ctx, name or 'stack-%s' % uuid.uuid4().hex[:8],
                           t, adopt_stack_data=adopt_data)
    stk.validate()
    stk.store()
    _locked(stk, stk.adopt)
    return stk


def abandon(stk):
    """Delete the stack but not its resources (``stack abandon``).

    Returns the abandon data.
    """
    data = stk.prepare_abandon()
    stk.delete(abandon=True)
    return data


def check(stk):
    """Run a stack check (``openstack stack check``)."""
    _locked(stk, stk.check)
    return stk


def load_stack(stk):
    """The stored stack again, as a restarted heat-engine would load it."""
    return heat_stack.Stack.load(stk.context, stack_id=stk.id)


def update(stk, tmpl, params=None, disable_rollback=True, converge=False):
    """Run a stack update to ``tmpl``; returns the stack in its new state.

    ``converge=True`` is ``openstack stack update --converge``: Heat reads
    the live state of each resource before it compares.
    """
    new = build_stack(stk.context, tmpl, params, name=stk.name,
                      disable_rollback=disable_rollback, converge=converge)
    new.validate()
    _locked(stk, stk.update, new)
    return stk


class EngineKilled(BaseException):
    """The heat-engine died here: the in-process stand-in for SIGKILL.

    In-process, Heat's engine is the test's own thread and cannot be
    killed for real (the mini-cloud's fault tests kill real heat-engine
    processes). :func:`killer` raises this in that thread at a chosen
    request to Glance: no ``except Exception`` of Heat or the plugin sees
    it, so nothing after that point runs, as in a process that died.
    Heat's own handler for such exceptions marks the resource FAILED, the
    state that a heat-engine taking over after a dead one leaves.
    """


def killer(after=None, thread_ident=None):
    """An ``on_hold`` for a :class:`tests.harness.holdproxy.Hold`.

    When the request is held (and, if given, the ``after`` event is set),
    :class:`EngineKilled` is raised in the thread that runs Heat (by
    default the calling one) and the request's connection is dropped.
    """
    ident = thread_ident or threading.get_ident()

    def on_hold(hold):
        if after is not None:
            after.wait(holdproxy.DECIDE_TIMEOUT)
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(ident), ctypes.py_object(EngineKilled))
        return 'drop'
    return on_hold


def _killed(stk, operation, *args):
    try:
        _locked(stk, operation, *args)
    except EngineKilled:
        return stk
    raise AssertionError('stack %s: the engine was not killed (no request '
                         'was held)' % operation.__name__)


def create_killed(ctx, tmpl, params=None, name=None):
    """Create a stack with a heat-engine that dies at a held request.

    The hold's ``on_hold`` must be :func:`killer`. Returns the stored
    stack, as the dead engine left it.
    """
    stk = build_stack(ctx, tmpl, params, name)
    stk.validate()
    stk.store()
    _killed(stk, stk.create)
    return load_stack(stk)


def update_killed(stk, tmpl, params=None):
    """A stack update whose heat-engine dies at a held request."""
    new = build_stack(stk.context, tmpl, params, name=stk.name)
    new.validate()
    _killed(stk, stk.update, new)
    return load_stack(stk)


def delete_killed(stk):
    """A stack delete whose heat-engine dies at a held request."""
    return _killed(stk, stk.delete)


def recover(stk):
    """What Heat does about the operation of an engine that died.

    A heat-engine that starts resets the stacks a dead engine left
    ``IN_PROGRESS`` (``EngineService.reset_stack_status``, for stacks of
    the legacy engine, which the harness runs) with Heat's own
    ``Stack.reset_stack_and_resources_in_progress``: their resources in
    progress are marked FAILED, and so is the stack. Returns the stack as
    the user's next command loads it.
    """
    stk = load_stack(stk)
    if stk.status == stk.IN_PROGRESS:
        stk.reset_stack_and_resources_in_progress(
            'Engine went down during stack %s' % stk.action)
    return load_stack(stk)


def wait_for(predicate, timeout=30, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
