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

"""Which servers still run on image properties their image no longer has.

Nova copies an image's properties into each server it boots or rebuilds
from the image, values cut to 255 bytes, and from compute API
microversion 2.98 shows that copy under ``image.properties`` of the
server, for the property names of its own schema only. An in-place
property change of the image (a stack update of an ``OS::Glance::Image``)
reaches new and rebuilt servers, not the running ones. This module
compares, for each server booted from an image, the copy Nova shows with
the image's current properties as Glance has them.

Everything goes through an ``openstack.connection.Connection``
(openstacksdk), so that the usual ways to authenticate work
(``clouds.yaml`` and ``OS_CLOUD``, ``OS_*`` variables). Raw requests are
used for the image (Glance's own strings, not openstacksdk's typed
attributes) and for the servers (microversion 2.98 exactly). No Heat
import here.
"""

import collections
import json
import urllib.parse

from heat_glance_props._i18n import _
from heat_glance_props import catalog
from heat_glance_props import imageprops

#: The compute API microversion that shows a server's image properties.
MICROVERSION = '2.98'

#: Keys Nova never copies into a server (``nova.utils.SM_SKIP_KEYS``:
#: block device mappings, too large for its system metadata).
NOT_COPIED = frozenset(['mappings', 'block_device_mapping', 'img_mappings',
                        'img_block_device_mapping'])

#: The image resource types whose images a stack has.
IMAGE_TYPES = ('OS::Glance::Image', 'OS::Glance::WebImage')

#: Exit statuses of the command, by error class (see :class:`Error`).
EXIT_STALE = 3

Difference = collections.namedtuple('Difference', ['key', 'at_build', 'now'])
Difference.__doc__ = """One key whose value differs: None where absent."""

Server = collections.namedtuple('Server', [
    'id', 'name', 'project_id', 'status', 'differences'])
Server.__doc__ = """A server booted from an image, and what differs."""

ImageReport = collections.namedtuple('ImageReport', [
    'id', 'name', 'servers', 'hidden'])
ImageReport.__doc__ = """The servers of one image.

``servers``: every server booted (or rebuilt) from the image that the
caller can see, each with its differences (empty when it is up to date);
``hidden``: the image's properties that Nova does not show at 2.98, so
that no comparison can say whether a server has them.
"""


class Error(Exception):
    """A reason the comparison cannot be made; ``exit_status`` for CLIs."""

    exit_status = 1


class NotFound(Error):
    """An image or stack that does not exist (or is not visible)."""

    exit_status = 4


class Forbidden(Error):
    """The caller may not do what was asked (e.g. list every project)."""

    exit_status = 5


class NoEndpoint(Error):
    """The cloud's catalog has no endpoint for a service this needs."""

    exit_status = 6


class NovaTooOld(Error):
    """The compute API does not show image properties (before 2.98)."""

    exit_status = 7


def shown_keys():
    """The property names Nova shows at 2.98 (its own schema's names).

    The fields of ``ImageMetaProps`` and their legacy names, as the
    catalog's ``nova.json`` lists them; not the indexed ``NAME.N`` keys
    nor ``trait:NAME``, which Nova stores but does not show.
    """
    with open(catalog.NOVA_FILE) as f:
        names = json.load(f)
    return frozenset(k for k in names
                     if not k.endswith('.N') and ':' not in k)


def nova_value(value):
    """A value as Nova keeps it: a string of at most 255 bytes of UTF-8.

    Cut at the last whole character, as ``nova.utils.safe_truncate``.
    """
    if value is None:
        return None
    text = str(value)
    data = text.encode('utf-8', 'surrogatepass')
    if len(data) <= catalog.NOVA_VALUE_BYTES:
        return text
    return data[:catalog.NOVA_VALUE_BYTES].decode('utf-8', 'ignore')


def free_properties(image):
    """The free properties of an image as Glance's API returns it."""
    own = (imageprops.READ_ONLY_KEYS | imageprops.RESERVED_KEYS |
           frozenset(imageprops.CORE_KEYS))
    return dict((k, v) for k, v in image.items()
                if k not in own and
                not k.startswith(imageprops.RESERVED_PREFIX))


def hidden_keys(properties, shown=None):
    """The keys of ``properties`` that Nova does not show, sorted."""
    shown = shown_keys() if shown is None else shown
    return sorted(k for k in properties
                  if k not in shown or k in NOT_COPIED)


def compare(properties, at_build, shown=None):
    """The differences between an image's properties and a server's copy.

    :param properties: the image's free properties now (Glance's).
    :param at_build: ``image.properties`` of the server at 2.98.
    :returns: a sorted list of :class:`Difference` for the keys Nova
        shows: a value that changed, a key added to the image since the
        build (``at_build`` None) or removed from it (``now`` None).
    """
    shown = shown_keys() if shown is None else shown
    keys = set(k for k in properties if k in shown) | set(at_build)
    result = []
    for key in sorted(keys - NOT_COPIED):
        now = nova_value(properties.get(key))
        then = at_build.get(key)
        then = None if then is None else str(then)
        if now != then:
            result.append(Difference(key, then, now))
    return result


def _status(exc):
    return getattr(exc, 'status_code', None) or getattr(
        getattr(exc, 'response', None), 'status_code', None)


def _get(proxy, path, what, **kwargs):
    """A raw GET through an SDK proxy: its JSON body, or an Error."""
    from keystoneauth1 import exceptions as ks_exc
    from openstack import exceptions as sdk_exc

    try:
        resp = proxy.get(path, raise_exc=False, **kwargs)
    except (ks_exc.EndpointNotFound,
            sdk_exc.ServiceDisabledException) as exc:
        raise NoEndpoint(_('%(what)s: the cloud has no endpoint for it '
                           '(%(exc)s)') % {'what': what, 'exc': exc})
    except ks_exc.ClientException as exc:
        raise Error(_('%(what)s: %(exc)s') % {'what': what, 'exc': exc})
    if resp.status_code == 404:
        raise NotFound(_('%(what)s: not found (HTTP 404)') % {'what': what})
    if resp.status_code in (401, 403):
        raise Forbidden(_('%(what)s: not allowed (HTTP %(status)d): '
                          '%(reason)s') % {
            'what': what, 'status': resp.status_code,
            'reason': _reason(resp)})
    if resp.status_code >= 400:
        raise Error(_('%(what)s: HTTP %(status)d: %(reason)s') % {
            'what': what, 'status': resp.status_code,
            'reason': _reason(resp)})
    return resp.json()


def _reason(resp):
    """The message of an OpenStack error body, or its start."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text.strip()[:200]
    if isinstance(body, dict) and len(body) == 1:
        inner = list(body.values())[0]
        if isinstance(inner, dict) and 'message' in inner:
            return inner['message']
    return json.dumps(body)[:200]


def _version_tuple(text):
    major, _sep, minor = str(text).partition('.')
    return int(major), int(minor or 0)


def check_compute(conn):
    """The compute API's highest microversion; an error below 2.98."""
    proxy = _proxy(conn, 'compute')
    body = _get(proxy, '/', _('the compute service'))
    version = (body.get('version') or {}).get('version') or ''
    if not version or _version_tuple(version) < _version_tuple(
            MICROVERSION):
        raise NovaTooOld(_(
            'the compute API shows a server\'s image properties from '
            'microversion %(need)s (Nova 31, 2025.1); this cloud\'s goes '
            'up to %(max)s, so the properties a server was built with '
            'cannot be read') % {'need': MICROVERSION,
                                 'max': version or _('2.1 (no '
                                                     'microversions)')})
    return version


def _proxy(conn, service):
    """The SDK's proxy of a service; its endpoint is found when used."""
    return getattr(conn, service)


def image(conn, ref):
    """The image (by ID, else by name) as Glance's API returns it."""
    proxy = _proxy(conn, 'image')
    what = _('image %s') % ref
    try:
        return _get(proxy, '/images/%s' % urllib.parse.quote(ref), what)
    except NotFound:
        pass
    found = _get(proxy, '/images?name=%s' % urllib.parse.quote(ref),
                 what).get('images', [])
    if len(found) == 1:
        return found[0]
    if found:
        raise Error(_('%(what)s: %(count)d images have this name; give an '
                      'ID') % {'what': what, 'count': len(found)})
    raise NotFound(_('%s: no such image, or not visible to you') % what)


def servers_of(conn, image_id, all_projects=False):
    """Every server booted from the image, as compute API 2.98 shows it."""
    query = 'image=%s' % image_id
    if all_projects:
        query += '&all_tenants=1'
    what = _('the servers of image %s') % image_id
    servers = []
    path = '/servers/detail?%s' % query
    proxy = _proxy(conn, 'compute')
    while path:
        body = _get(proxy, path, what, microversion=MICROVERSION)
        page = body.get('servers', [])
        servers.extend(page)
        path = None
        for link in body.get('servers_links', []):
            if link.get('rel') == 'next' and page:
                path = '/servers/detail?%s&marker=%s' % (
                    query, page[-1]['id'])
    return servers


def report(conn, image_id, all_projects=False, shown=None):
    """The :class:`ImageReport` of one image."""
    shown = shown_keys() if shown is None else shown
    data = image(conn, image_id)
    props = free_properties(data)
    servers = []
    for server in servers_of(conn, data['id'], all_projects):
        at_build = ((server.get('image') or {}).get('properties')) or {}
        servers.append(Server(server['id'], server.get('name'),
                              server.get('tenant_id'), server.get('status'),
                              compare(props, at_build, shown)))
    servers.sort(key=lambda s: (s.name or '', s.id))
    return ImageReport(data['id'], data.get('name'), servers,
                       hidden_keys(props, shown))


def stack_images(conn, stack):
    """The ids of the images of a stack (and of its nested stacks)."""
    proxy = _proxy(conn, 'orchestration')
    what = _('stack %s') % stack
    found = _get(proxy, '/stacks/%s' % stack, what)
    data = found.get('stack', found)
    path = '/stacks/%s/%s/resources?nested_depth=5' % (
        data['stack_name'], data['id'])
    resources = _get(proxy, path, what).get('resources', [])
    ids = [r['physical_resource_id'] for r in resources
           if r.get('resource_type') in IMAGE_TYPES and
           r.get('physical_resource_id')]
    return sorted(set(ids))


def find_stale(conn, image_ids=(), stacks=(), all_projects=False):
    """The :class:`ImageReport` of each image, and of each stack's images.

    Checks first that the compute API is at least 2.98.

    :raises Error: one of its subclasses (see their ``exit_status``).
    """
    check_compute(conn)
    ids = list(image_ids)
    for stack in stacks:
        ids.extend(i for i in stack_images(conn, stack) if i not in ids)
    shown = shown_keys()
    return [report(conn, i, all_projects, shown) for i in ids]


def as_dict(image_report):
    """One image's report as plain data (for JSON)."""
    return {
        'image': image_report.id,
        'name': image_report.name,
        'servers': [{
            'id': s.id, 'name': s.name, 'project_id': s.project_id,
            'status': s.status, 'stale': bool(s.differences),
            'differences': [d._asdict() for d in s.differences]}
            for s in image_report.servers],
        'not_shown_by_nova': list(image_report.hidden),
    }


def _value(value, when):
    if value is None:
        return _('not set %s') % when
    return '%r %s' % (value, when)


def text_lines(reports):
    """The reports as lines of text, for people."""
    for rep in reports:
        stale = [s for s in rep.servers if s.differences]
        yield _('image %(id)s (%(name)s): %(stale)d of %(count)d '
                'server(s) run on older properties') % {
            'id': rep.id, 'name': rep.name, 'stale': len(stale),
            'count': len(rep.servers)}
        for server in stale:
            yield _('  server %(id)s (%(name)s, project %(project)s)') % {
                'id': server.id, 'name': server.name,
                'project': server.project_id}
            for diff in server.differences:
                yield '    %s: %s, %s' % (
                    diff.key, _value(diff.at_build, _('at build')),
                    _value(diff.now, _('now')))
        if rep.hidden:
            yield _('  not shown by Nova, not compared: %s') % ', '.join(
                rep.hidden)
