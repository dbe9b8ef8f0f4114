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

"""``heat-glance-props validate`` agrees with the real Nova at boot.

Values generated from the catalog's Nova entries (``nova.json``): for
every enumeration, integer and boolean key Nova reads, a valid value and
invalid ones (and Nova's other spellings and cases where the catalog
says Nova takes them). Each goes through the real ``validate`` command
and into a server booted on the mini-cloud's Nova:

* a value validate accepts, Nova accepts at boot: the server becomes
  ACTIVE, or fails to be scheduled because the fake host cannot give
  what the value asks for (NoValidHost: a host question, not a refusal
  of the value), or Nova refuses the value together with the flavor
  (a 400 that is not Nova's "Invalid image metadata");
* a value validate refuses as a Nova field error (what Nova's own schema
  refuses), Nova refuses: 400 "Invalid image metadata";
* a value validate refuses for a reason Nova's schema does not have (a
  boolean that is no spelling of one, which Nova silently reads as
  false; a range from Glance's metadata definitions), Nova takes: those
  refusals are validate being stricter on purpose, and the test holds
  them to exactly that.

A value of over 255 bytes is only a warning of validate; Nova takes it and
shows its first 255 bytes, cut at a whole character.
"""

import collections
from concurrent import futures
import json
import os
import time
import uuid

from testtools import content
import yaml

from heat_glance_props import catalog
from tests.minicloud import test_nova

Case = collections.namedtuple('Case', ['key', 'value', 'kind'])

#: Valid values booted together on one image, so that most keys cost no
#: boot of their own; a group Nova does not take is booted key by key.
GROUP = 8

#: Requests sent at the same time (threads, each with its own session).
WORKERS = 4

#: A value Nova's schema never takes for an enumeration or an integer.
BAD = 'not-a-value'

#: Keys that are properties of the resource itself (``os_distro: x``
#: beside ``properties``, not in it): the template sets them there.
FIRST_CLASS = ('architecture', 'os_distro', 'os_version', 'kernel_id',
               'ramdisk_id')

#: A value of 256 bytes (128 two-byte letters), on a key of the
#: ``properties`` map and on a property of the resource.
LONG = '\u00e9' * 128
LONG_KEYS = ('os_command_line', 'os_distro')

#: Where validate and Nova disagree, and why: none today. (The resource's
#: own properties that Glance stores as image properties, such as
#: ``architecture``, are checked against the catalog like a key of
#: ``properties``.) An entry here is a known gap, ``(key, value)`` to the
#: start of the reason; the test fails while a listed gap is closed.
KNOWN = {}


#: Values validate accepts that Nova refuses with this image and the
#: test's flavor (1 vCPU, no extra specs) for another reason than its
#: schema: a 400 that names what else it needs. Not a value error.
NEEDS_MORE = {
    ('hw_cpu_max_cores', '-1'): 'exceeds the limits of the flavor or image',
    ('hw_cpu_max_sockets', '-1'):
        'exceeds the limits of the flavor or image',
    ('hw_cpu_max_threads', '-1'):
        'exceeds the limits of the flavor or image',
    ('hw_cpu_thread_policy', 'prefer'):
        'in a non dedicated cpu pinning policy',
    ('hw_locked_memory', 'yes'): 'when mem_page_size is not set',
    ('hw_mem_encryption', 'yes'): "doesn't have the 'hw_firmware_type'",
}

#: Nova's own error for an image property its schema refuses
#: (nova/compute/api.py, _get_image_meta_obj).
FIELD_ERROR = 'Invalid image metadata'


def nova_entries():
    with open(catalog.NOVA_FILE) as f:
        return json.load(f)


def cases():
    """The cases, generated from the catalog's Nova entries."""
    result = []
    for key, entry in sorted(nova_entries().items()):
        kind = entry.get('type', 'string')
        if not entry.get('settable', True) or key.endswith('.N') or \
                ':' in key:
            continue
        if kind == 'enum':
            values = entry['values']
            result.append(Case(key, values[0], 'valid'))
            result.append(Case(key, BAD, 'invalid'))
            if entry.get('ignore_case') and values[0].upper() != values[0]:
                result.append(Case(key, values[0].upper(), 'case'))
            if not entry.get('ignore_case'):
                cased = [v for v in values if v.upper() != v]
                if cased:
                    result.append(Case(key, cased[0].upper(), 'case'))
            for alias in sorted(entry.get('aliases', {}))[:1]:
                result.append(Case(key, alias, 'alias'))
        elif kind == 'integer':
            result.append(Case(key, '1', 'valid'))
            result.append(Case(key, '1.5', 'invalid'))
            result.append(Case(key, BAD, 'invalid'))
            result.append(Case(key, '-1', 'range'))
        elif kind == 'boolean':
            result.append(Case(key, 'yes', 'valid'))
            result.append(Case(key, 'maybe', 'invalid'))
    # 128 two-byte letters: 256 bytes; Nova keeps 127 of them.
    for key in LONG_KEYS:
        result.append(Case(key, LONG, 'long'))
    return result


class AgreementTest(test_nova.NovaTestCase):

    def validate(self, all_cases, extra_catalog=None):
        """validate's findings, by case: ``(level, message)`` or None."""
        resources = {}
        for i, case in enumerate(all_cases):
            props = {'name': 'agreement', 'disk_format': 'raw',
                     'container_format': 'bare',
                     'location': {'get_param': 'image_url'}}
            if case.key in FIRST_CLASS:
                props[case.key] = case.value
            else:
                props['properties'] = {case.key: case.value}
            resources['case%03d' % i] = {'type': 'OS::Glance::Image',
                                         'properties': props}
        path = self.write_template({
            'heat_template_version': '2021-04-16',
            'parameters': {'image_url': {'type': 'string'}},
            'resources': resources})
        args = ['heat-glance-props', 'validate', '--format', 'json',
                '-P', 'image_url=http://127.0.0.1/x.img', path]
        if extra_catalog:
            args[2:2] = ['--catalog', extra_catalog]
        proc = self.run_command(*args)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        found = {}
        for finding in json.loads(proc.stdout)['findings']:
            index = int(finding['resource'][len('case'):])
            if finding['level'] in ('error', 'warning'):
                found[all_cases[index]] = (finding['level'],
                                           finding['message'])
        return found

    # -- Nova -----------------------------------------------------------

    def image(self, properties):
        """An active image of the member with these properties."""
        sess = self.session()
        glance = self.cloud.glance.url
        body = dict(properties, name='agreement-%s' % uuid.uuid4().hex[:8],
                    disk_format='raw', container_format='bare')
        resp = sess.post(glance + '/v2/images', json=body)
        image_id = resp.json()['id']
        self.addCleanup(sess.delete, '%s/v2/images/%s' % (glance, image_id),
                        raise_exc=False)
        sess.put('%s/v2/images/%s/file' % (glance, image_id),
                 data=b'\0' * 1024,
                 headers={'Content-Type': 'application/octet-stream'})
        return image_id

    def set_properties(self, image_id, old, new):
        """Replace the image's properties ``old`` with ``new`` (a PATCH)."""
        ops = [{'op': 'remove', 'path': '/%s' % k} for k in old]
        ops += [{'op': 'add', 'path': '/%s' % k, 'value': v}
                for k, v in new.items()]
        resp = self.session().patch(
            '%s/v2/images/%s' % (self.cloud.glance.url, image_id), json=ops,
            headers={'Content-Type':
                     'application/openstack-images-v2.1-json-patch'})
        self.assertEqual(200, resp.status_code, resp.text)

    def post_server(self, image_id):
        """POST /servers: ``('created', id)`` or ``(status, message)``."""
        resp = self.compute('POST', '/servers', json={'server': {
            'name': 'agreement-%s' % uuid.uuid4().hex[:8],
            'imageRef': image_id,
            'flavorRef': self.cloud.nova.flavor['id'],
            'networks': 'none'}})
        if resp.status_code == 202:
            server_id = resp.json()['server']['id']
            self.servers.append(server_id)
            return 'created', server_id
        body = resp.json()
        message = list(body.values())[0].get('message', resp.text)
        return resp.status_code, message

    def settle(self, server_ids, timeout=300):
        """Wait until the servers are ACTIVE or ERROR: their outcomes."""
        pending = set(server_ids)
        outcomes = {}
        deadline = time.monotonic() + timeout
        while pending:
            resp = self.compute('GET', '/servers/detail')
            for server in resp.json()['servers']:
                if server['id'] not in pending:
                    continue
                if server['status'] == 'ACTIVE':
                    outcomes[server['id']] = ('accepted', server)
                elif server['status'] == 'ERROR':
                    fault = server.get('fault', {}).get('message', '')
                    kind = ('no-valid-host' if 'No valid host' in fault
                            else 'failed')
                    outcomes[server['id']] = (kind, fault)
                else:
                    continue
                pending.discard(server['id'])
            if not pending:
                break
            self.assertLess(time.monotonic(), deadline,
                            'servers still building: %s' % pending)
            time.sleep(0.5)
        return outcomes

    def delete_servers(self):
        for server_id in self.servers:
            self.compute('DELETE', '/servers/%s' % server_id)
        self.servers = []

    def boot_groups(self, groups):
        """Boot one server per group of cases; outcome of each group."""
        def post(group):
            image_id = self.image(dict((c.key, c.value) for c in group))
            return group, self.post_server(image_id)

        posted = list(self.pool.map(post, groups))
        created = [result[1] for _g, result in posted
                   if result[0] == 'created']
        settled = self.settle(created)
        outcomes = {}
        for group, result in posted:
            if result[0] == 'created':
                outcomes[group] = settled[result[1]]
            else:
                kind = ('field-error' if FIELD_ERROR in result[1]
                        else 'refused')
                outcomes[group] = (kind, result[1])
        return outcomes

    def boot_one_by_one(self, chunk):
        """Boot each case on one image: ``{case: POST result}``."""
        image_id = self.image({})
        old = {}
        results = {}
        for case in chunk:
            new = {case.key: case.value}
            self.set_properties(image_id, old, new)
            old = new
            results[case] = self.post_server(image_id)
        return results

    def nova_outcomes(self, to_take, to_refuse):
        """What Nova does with each case: ``{case: (kind, detail)}``.

        ``to_take`` (the cases validate accepts or refuses only on
        purpose) are booted in groups of different keys, and key by key
        where Nova refuses a group; ``to_refuse`` one by one on one
        image whose properties are replaced before each boot (Nova reads
        an image's properties when the boot request comes in).
        """
        outcomes = {}
        # The long values alone: their servers show what Nova kept.
        groups = [[c] for c in to_take if c.kind == 'long']
        first = len(groups)
        for case in to_take:
            if case.kind == 'long':
                continue
            for group in groups[first:]:
                if len(group) < GROUP and case.key not in [
                        c.key for c in group]:
                    group.append(case)
                    break
            else:
                groups.append([case])
        retry = []
        for group, outcome in self.boot_groups(
                [tuple(g) for g in groups]).items():
            # Nova checks every value against its schema before it
            # schedules: a group the fake host cannot take
            # (NoValidHost) passed that check, key by key.
            if outcome[0] in ('accepted', 'no-valid-host'):
                for case in group:
                    outcomes[case] = outcome
            else:
                retry.extend((case,) for case in group)
        for group, outcome in self.boot_groups(retry).items():
            outcomes[group[0]] = outcome
        self.delete_servers()

        created = {}
        chunks = [to_refuse[i::WORKERS] for i in range(WORKERS)]
        for results in self.pool.map(self.boot_one_by_one, chunks):
            for case, result in results.items():
                if result[0] == 'created':
                    created[result[1]] = case
                else:
                    outcomes[case] = (
                        'field-error' if FIELD_ERROR in result[1]
                        else 'refused', result[1])
        for server_id, outcome in self.settle(list(created)).items():
            outcomes[created[server_id]] = outcome
        return outcomes

    # -- the agreement --------------------------------------------------

    @staticmethod
    def stricter(case):
        """Whether validate refuses the value on purpose, Nova not.

        A boolean that is no spelling of one (Nova reads it as false
        without a word), and a value under a minimum that Nova's schema
        does not have (Glance's metadata definitions give it).
        """
        entry = nova_entries()[case.key]
        if entry.get('type') == 'boolean':
            return case.kind == 'invalid'
        return case.kind == 'range' and 'minimum' not in entry

    def disagreements(self, all_cases, findings, outcomes):
        """The cases where validate and Nova disagree, with the reason."""
        wrong = []
        for case in all_cases:
            level, message = findings.get(case, (None, None))
            kind, detail = outcomes[case]
            detail = detail if isinstance(detail, str) else ''
            took = kind in ('accepted', 'no-valid-host', 'refused')
            if level != 'error':
                if not took:
                    wrong.append((case, 'validate accepts it, Nova: %s '
                                  '(%s)' % (kind, detail)))
            elif self.stricter(case):
                if not took:
                    wrong.append((case, 'validate refuses it on purpose '
                                  '(%s), Nova: %s (%s)' % (message, kind,
                                                           detail)))
            elif kind != 'field-error':
                wrong.append((case, 'validate refuses it (%s); Nova: %s '
                              '(%s)' % (message, kind, detail)))
        return wrong

    def test_validate_agrees_with_nova(self):
        self.servers = []
        self.addCleanup(self.delete_servers)
        self.pool = futures.ThreadPoolExecutor(WORKERS)
        self.addCleanup(self.pool.shutdown)
        all_cases = cases()
        findings = self.validate(all_cases)
        refused = [c for c in all_cases
                   if findings.get(c, (None,))[0] == 'error']
        to_refuse = [c for c in refused if not self.stricter(c)]
        outcomes = self.nova_outcomes(
            [c for c in all_cases if c not in to_refuse], to_refuse)
        self.addDetail('outcomes', content.text_content('\n'.join(
            '%s=%r (%s): validate %s; Nova %s %s' % (
                c.key, c.value[:40], c.kind,
                findings.get(c, ('accepts',))[0], outcomes[c][0],
                outcomes[c][1] if isinstance(outcomes[c][1], str) else '')
            for c in all_cases)))

        wrong = self.disagreements(all_cases, findings, outcomes)
        self.assertEqual(sorted(KNOWN), sorted((c.key, c.value)
                                               for c, _r in wrong))
        for case, reason in wrong:
            self.assertTrue(reason.startswith(KNOWN[case.key, case.value]),
                            reason)
        # Nova's refusals of values validate accepts are the known
        # combinations with the flavor, each with Nova's reason.
        needs_more = dict(((c.key, c.value), outcomes[c][1])
                          for c in all_cases
                          if outcomes[c][0] == 'refused' and
                          c not in refused)
        self.assertEqual(sorted(NEEDS_MORE), sorted(needs_more))
        for case, reason in NEEDS_MORE.items():
            self.assertIn(reason, needs_more[case])
        # Every kind of case was generated; every value refused for
        # Nova's own reasons met Nova's 400, and validate was stricter
        # than Nova only on purpose.
        kinds = collections.Counter(c.kind for c in all_cases)
        for kind in ('valid', 'invalid', 'case', 'alias', 'range', 'long'):
            self.assertGreater(kinds[kind], 0, kind)
        self.assertTrue(to_refuse)
        self.assertEqual(
            sorted(to_refuse + [c for c in all_cases
                                if (c.key, c.value) in KNOWN]),
            sorted(c for c in all_cases if outcomes[c][0] == 'field-error'))
        self.assertEqual([], [c for c in all_cases if c.kind == 'valid'
                              and c in refused])

        # Over 255 bytes: a warning of validate in ``properties``; Nova
        # shows the value cut at a whole character. The resource's own
        # os_distro is checked for its value only (the catalog has no
        # values to take for it), so no warning there.
        for key in LONG_KEYS:
            case = Case(key, LONG, 'long')
            if key in FIRST_CLASS:
                self.assertNotIn(case, findings)
            else:
                self.assertEqual('warning', findings[case][0])
                self.assertIn('Nova keeps only the first 255 bytes',
                              findings[case][1])
            server = outcomes[case][1]
            self.assertEqual('\u00e9' * 127,
                             server['image']['properties'][key])

        # A planted disagreement: an entry edited by hand (as an extra
        # catalog file, which replaces the entry) that takes a value Nova
        # refuses and refuses a value Nova takes.
        entry = dict(nova_entries()['hw_disk_bus'])
        valid = entry['values'][0]
        entry['values'] = [v for v in entry['values'] if v != valid] + [BAD]
        planted = os.path.join(self.cloud.workdir, 'planted-%s.yaml' %
                               uuid.uuid4().hex[:8])
        with open(planted, 'w') as f:
            yaml.safe_dump({'hw_disk_bus': entry}, f)
        wrong = self.disagreements(all_cases,
                                   self.validate(all_cases, planted),
                                   outcomes)
        self.assertEqual(
            sorted(list(KNOWN) + [('hw_disk_bus', BAD),
                                  ('hw_disk_bus', valid)]),
            sorted((c.key, c.value) for c, _r in wrong))
