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

"""The Glance stores an image is in (multi-store Glance).

Plain functions, no Heat import. Glance reports an image's stores as one
comma-separated string (``stores: "local,fast"``) and the stores it has at
``GET /v2/info/stores``; a Glance without ``enabled_backends`` answers 404
there ("Multi backend is not supported at this site").
"""

from heat_glance_props._i18n import _
from heat_glance_props import imageprops


def parse(value):
    """The store ids of Glance's comma-separated ``stores`` value."""
    if isinstance(value, (list, tuple)):
        return [s for s in value if s]
    return [s.strip() for s in (value or '').split(',') if s.strip()]


def diff(old, new):
    """``(added, removed)`` store ids, sorted, from one list to another."""
    old, new = set(old or []), set(new or [])
    return sorted(new - old), sorted(old - new)


def known(info):
    """The store ids of Glance's ``GET /v2/info/stores`` answer."""
    return [s['id'] for s in (info or {}).get('stores', [])
            if not s.get('id', '').startswith('os_glance_')]


def problems(wanted, available):
    """Why a ``stores`` list cannot be used with these stores, or [].

    :param wanted: the template's store ids.
    :param available: Glance's store ids, or ``None`` when this Glance has
        no multiple stores.
    """
    if available is None:
        return [_('this Glance has no multiple stores (its operator has not '
                  'set enabled_backends), so "stores" cannot be used; '
                  'remove it from the template')]
    result = []
    if not wanted:
        result.append(_('"stores" lists no store; give at least one, or '
                        'leave it out for the default store'))
    unknown = sorted(set(wanted) - set(available))
    if unknown:
        result.append(_('unknown store(s) %(unknown)s; this Glance has '
                        '%(available)s') % {
            'unknown': ', '.join("'%s'" % s for s in unknown),
            'available': ', '.join("'%s'" % s for s in available)})
    if len(set(wanted)) != len(wanted):
        result.append(_('"stores" names a store more than once'))
    return result


def failed(image, wanted):
    """The wanted stores Glance says the last import or copy failed in."""
    return sorted(set(parse(image.get('os_glance_failed_import'))) &
                  set(wanted))


def pending(image):
    """The stores Glance is still importing or copying the image to.

    None while no task of Glance holds the image: a list left without the
    task's lock is stale (a save that read the image before the task ended
    wrote it back), and Glance itself clears it when a new task takes the
    lock.
    """
    if not image.get(imageprops.IMPORT_TASK_KEY):
        return []
    return parse(image.get('os_glance_importing_to_stores'))
