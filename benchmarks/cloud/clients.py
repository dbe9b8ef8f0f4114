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

"""The cloud's member user: the ``openstack`` command, heatclient and
openstacksdk, as a user drives them."""

import json
import os
import time
import uuid

from heatclient import client as heat_client
from heatclient import exc as heat_exc
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import openstack.connection

from benchmarks import common
from tests.minicloud import cloud as minicloud

#: Bounds of every wait.
STACK_TIMEOUT_S = 900
CLI_TIMEOUT_S = 900


class Clients(object):
    """The member's CLI, heatclient and openstacksdk against the cloud."""

    def __init__(self, cloud):
        self.cloud = cloud
        auth = v3.Password(auth_url=cloud.keystone_url,
                           username=minicloud.MEMBER_USER,
                           password=cloud.passwords[minicloud.MEMBER_USER],
                           project_name=minicloud.MEMBER_PROJECT,
                           user_domain_id='default',
                           project_domain_id='default')
        self.session = ks_session.Session(auth=auth)
        self.heat = heat_client.Client('1', session=self.session,
                                       region_name='RegionOne')
        self.sdk = openstack.connection.Connection(
            session=self.session, region_name='RegionOne')
        self.workdir = cloud.workdir

    def cli(self, *args):
        proc = self.cloud.openstack(*args, timeout=CLI_TIMEOUT_S)
        if proc.returncode:
            common.fail('openstack %s failed: %s', ' '.join(args[:3]),
                        proc.stderr[-2000:])
        return proc.stdout

    def write_template(self, tmpl):
        path = os.path.join(self.workdir, 'bench-%s.yaml' % uuid.uuid4().hex)
        with open(path, 'w') as f:
            json.dump(tmpl, f)
        return path

    # Heat's API.
    def stack(self, stack_id):
        return self.heat.stacks.get(stack_id)

    def wait_stack(self, stack_id, action, poll_s, since=None):
        deadline = time.monotonic() + STACK_TIMEOUT_S
        while True:
            stack = self.stack(stack_id)
            status = stack.stack_status
            fresh = since is None or stack.updated_time != since
            if fresh and status == '%s_COMPLETE' % action:
                return stack
            if fresh and status == '%s_FAILED' % action:
                common.fail('stack %s: %s %s', action.lower(), status,
                            stack.stack_status_reason)
            if time.monotonic() > deadline:
                common.fail('stack %s did not finish within %s s',
                            action.lower(), STACK_TIMEOUT_S)
            time.sleep(poll_s)

    def create_stack(self, name, tmpl, url, poll_s):
        created = self.heat.stacks.create(
            stack_name=name, template=tmpl, parameters={'image_url': url})
        # name/id: every call of the API goes straight to the stack.
        stack_id = '%s/%s' % (name, created['stack']['id'])
        self.wait_stack(stack_id, 'CREATE', poll_s)
        return stack_id

    def update_stack(self, stack_id, tmpl, url, poll_s):
        before = self.stack(stack_id).updated_time
        self.heat.stacks.update(stack_id, template=tmpl,
                                parameters={'image_url': url})
        self.wait_stack(stack_id, 'UPDATE', poll_s, since=before)

    def delete_stack(self, stack_id, poll_s):
        self.heat.stacks.delete(stack_id)
        deadline = time.monotonic() + STACK_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                stack = self.stack(stack_id)
            except heat_exc.HTTPNotFound:
                return
            if stack.stack_status == 'DELETE_COMPLETE':
                return
            if stack.stack_status == 'DELETE_FAILED':
                common.fail('stack delete: %s', stack.stack_status_reason)
            time.sleep(poll_s)
        common.fail('stack delete did not finish within %s s', STACK_TIMEOUT_S)

    def image_ids(self, stack_id):
        return dict((r.resource_name, r.physical_resource_id)
                    for r in self.heat.resources.list(stack_id)
                    if r.resource_type == 'OS::Glance::Image')

    # Glance, read back as the admin would (not counted: outside probes).
    def free_properties(self, image_id):
        image = self.session.get(
            '%s/v2/images/%s' % (self.cloud.glance.url, image_id)).json()
        return common.free_properties(image)

    def wait_active(self, image_id):
        deadline = time.monotonic() + STACK_TIMEOUT_S
        while time.monotonic() < deadline:
            image = self.session.get(
                '%s/v2/images/%s' % (self.cloud.glance.url, image_id)).json()
            if image['status'] == 'active' and not image.get(
                    'os_glance_import_task'):
                return
            if image['status'] == 'killed' or image.get(
                    'os_glance_failed_import'):
                common.fail('import of %s failed', image_id)
            time.sleep(0.2)
        common.fail('image %s did not become active', image_id)
