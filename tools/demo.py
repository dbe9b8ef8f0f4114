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

"""Demo: an OS::Glance::Image stack on an embedded local Glance.

Starts a real glance-api on 127.0.0.1 (temporary sqlite database and file
store), creates a stack from heat_templates/image_properties.yaml with
Heat's engine code in-process, updates it to image_properties.update.yaml,
runs the same update again (a no-op), deletes the stack and prints, for
each step, the image's properties, its id and the requests Glance served.
"""

import logging
import os
import sys
import warnings

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

warnings.simplefilter('ignore')
logging.basicConfig(level=logging.ERROR)

import tests  # noqa: E402,F401  (selects oslo.service's backend)
from tests.functional import base  # noqa: E402
from tests.harness import glance  # noqa: E402
from tests.harness import heat  # noqa: E402

TEMPLATE = os.path.join(REPO_ROOT, 'heat_templates', 'image_properties.yaml')
UPDATE = os.path.join(REPO_ROOT, 'heat_templates',
                      'image_properties.update.yaml')


def _requests(counter, image_id=None):
    """Glance's requests since the counter started, in short form."""
    seen = counter.since()
    names = []
    for method, path in seen:
        if image_id:
            path = path.replace('/v2/images/' + image_id, '<image>')
        names.append('%s %s' % (method, path))
    return '%d (%s)' % (len(seen), ', '.join(names) or 'none')


def _show(title, props):
    print(title)
    for key in sorted(props):
        print('    %-22s %s' % (key, props[key]))


def main():
    data = glance.DataServer()
    server = glance.GlanceServer(data)
    try:
        server.start()
        heat.setup()
        print('Local Glance at %s, state in %s' % (
            server.url, server.workdir))
        ctx = heat.make_context(server.url)
        admin = heat.glance(server.url)
        url = data.add('demo.img', size=1 << 20)
        params = {'image_url': url}

        counter = glance.RequestCounter(server)
        stk = heat.create(ctx, TEMPLATE, params, name='demo')
        image_id = stk['image'].resource_id
        requests = _requests(counter, image_id)
        print('\n1. stack create: %s %s' % stk.state)
        print('   image id: %s' % image_id)
        before = base.free_properties(admin.images.get(image_id))
        _show('   properties:', before)
        print('   Glance requests: %s' % requests)

        counter = glance.RequestCounter(server)
        heat.update(stk, UPDATE, params)
        requests = _requests(counter, image_id)
        print('\n2. stack update: %s %s' % stk.state)
        new_id = stk['image'].resource_id
        after = base.free_properties(admin.images.get(new_id))
        print('   image id: %s (%s)' % (
            new_id, 'unchanged' if new_id == image_id else 'REPLACED'))
        changed = sorted(k for k in after if k in before
                         and before[k] != after[k])
        added = sorted(k for k in after if k not in before)
        removed = sorted(k for k in before if k not in after)
        for label, keys in (('changed', changed), ('added', added),
                            ('removed', removed)):
            print('   %-8s %s' % (label + ':', ', '.join(
                '%s (%s -> %s)' % (k, before.get(k, '-'), after.get(k, '-'))
                for k in keys) or '-'))
        _show('   properties:', after)
        print('   Glance requests: %s' % requests)

        counter = glance.RequestCounter(server)
        heat.update(stk, UPDATE, params)
        print('\n3. same update again: %s %s' % stk.state)
        print('   image id: %s' % stk['image'].resource_id)
        print('   Glance requests: %s' % _requests(counter, image_id))

        counter = glance.RequestCounter(server)
        stk.delete()
        print('\n4. stack delete: %s %s' % stk.state)
        print('   Glance requests: %s' % _requests(counter, image_id))
        gone = image_id not in [i.id for i in admin.images.list()]
        print('   image %s: %s' % (image_id, 'deleted' if gone else 'KEPT'))
        ok = (new_id == image_id and gone and
              stk.state == ('DELETE', 'COMPLETE'))
        return 0 if ok else 1
    finally:
        server.destroy()
        data.stop()


if __name__ == '__main__':
    sys.exit(main())
