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

"""What of a live Glance image is compared with the template.

Heat compares a resource's "live state" with its stored properties on
``stack update --converge``, with ``observe_on_update``, on a retry after
a failed update and (in this plugin) on ``stack check``: a difference in
an updatable property is patched in place, a difference in any other
property replaces the image. Glance changes an image on its own (image
conversion rewrites ``disk_format`` and the sizes, metadata injection adds
keys, Glance fills in ``owner``, ``visibility`` and its hashes), and such a
change is not drift. The rules, one per resource property:

* **Set at create only** (``id``, ``disk_format``, ``container_format``,
  ``location``): never observed. They describe the request that created
  the image; what Glance made of them (``image_conversion`` storing qcow2
  as raw) is not a difference. A template that changes one of them still
  gets a new image, because Heat compares the template with the stored
  properties.
* **Managed only when the template sets them** (``name``, ``owner``,
  ``hidden`` (Glance's ``os_hidden``) and the first-class free properties
  ``architecture``, ``kernel_id``, ``os_distro``, ``os_version``,
  ``ramdisk_id``): observed when the template gives a value; otherwise
  whatever Glance has (its default, an injected key, an operator's
  change, an image hidden by hand) is left alone.
* **Always managed** (``min_disk``, ``min_ram``, ``protected``,
  ``visibility``, ``active``): the template's value or its default is
  what the image must have.
* **Maps** (``properties``, ``extra_properties``): only the keys the
  template sets (and the keys of an update Heat never saw complete). A
  key of a first-class property may be in a map too (the same value): it
  is observed in both places, so whichever place the template moves it
  to, the live value is compared.
* **Tags** and **stores**: only the tags and stores the template lists
  (and those an update Heat never saw complete added or removed); tags
  added outside the template are not drift and are never removed, and the
  stores of an image whose template lists none are not managed.
* Not image attributes (``members``, ``is_public``): the template's value;
  the members an update Heat never saw complete added or removed are
  read back when the caller gives the image's members (``members`` in the
  live document).

Plain functions, no Heat import: :func:`observe` takes the stored resource
properties and Glance's image document as dicts.
"""

import json

from heat_glance_props import imageprops
from heat_glance_props import stores

#: Set when the image is created; never read back from Glance.
CREATE_ONLY = ('id', 'disk_format', 'container_format', 'location')

#: Observed only when the template gives them a value.
WHEN_SET = ('name', 'owner', 'hidden', 'architecture', 'kernel_id',
            'os_distro', 'os_version', 'ramdisk_id')

#: Always observed: the template's value or default is the wanted one.
ALWAYS = ('min_disk', 'min_ram', 'protected', 'visibility')

PROPERTIES = 'properties'
EXTRA_PROPERTIES = 'extra_properties'
TAGS = 'tags'
STORES = 'stores'
MEMBERS = 'members'
ACTIVE = 'active'


def is_set(value):
    """Whether a template value is given (Heat stores null as '' or None)."""
    return value is not None and value != ''


def _with_pending(wanted, pending):
    """The template's items, then those of an unfinished update."""
    wanted = list(wanted or ())
    return wanted + [i for i in pending or () if i not in wanted]


def to_observe(stored, new):
    """The properties whose live values an update compares with.

    The stored ones, and the properties managed only when set that the
    new template sets and the stored one did not (a stack taken over from
    OS::Glance::WebImage, which has no ``hidden``): an image that already
    has the new value needs no request for it.
    """
    result = dict(stored)
    for key in WHEN_SET:
        if not is_set(stored.get(key)) and is_set(new.get(key)):
            result[key] = new[key]
    return result


class Pending(object):
    """What an update whose outcome Heat never saw touched.

    Kept in the resource's data until an update completes: the free
    property keys it sets or removes, and the tags, members and stores it
    adds or removes. The next update (a retry or a rollback) compares
    them with Glance's live values, so nothing that update did is left
    behind.
    """

    #: The resource data it is kept in.
    KEYS, ITEMS = DATA = ('pending_keys', 'pending_items')

    def __init__(self, keys=(), items=None):
        self.keys = set(keys)
        self.items = dict(items or {})

    @classmethod
    def load(cls, data):
        """From the resource's data."""
        return cls(json.loads(data.get(cls.KEYS, '[]')),
                   json.loads(data.get(cls.ITEMS, '{}')))

    def __bool__(self):
        return bool(self.keys or self.items)

    def with_keys(self, keys):
        return Pending(self.keys | set(keys), self.items)

    def record(self, changes):
        """The resource data to store before an update sends ``changes``.

        :param changes: a :class:`heat_glance_props.glance.plan.Changes`.
        """
        items = dict(self.items)
        for name, values in changes.items().items():
            items[name] = sorted(set(items.get(name, ())) | set(values))
        return {self.KEYS: json.dumps(sorted(self.keys | changes.keys())),
                self.ITEMS: json.dumps(items, sort_keys=True)}


def observe(template, live, pending=None):
    """The live values of the properties a comparison may look at.

    :param template: the stored resource properties (property name to
        value, defaults applied).
    :param live: Glance's image document; with ``members``, the ids of
        the image's members.
    :param pending: a :class:`Pending`: what an update whose outcome Heat
        never saw touched is read back even if the template does not set
        it (a rollback or retry must see what that update did).
    :returns: property name to live value, for the observed properties
        only: a property that is not in the result keeps its stored value.
    """
    pending = pending or Pending()
    pending_items = pending.items
    observed = {}
    for key in ALWAYS:
        observed[key] = live.get(imageprops.GLANCE_NAMES.get(key, key))
    for key in WHEN_SET:
        if is_set(template.get(key)):
            observed[key] = live.get(imageprops.GLANCE_NAMES.get(key, key))
    observed[ACTIVE] = live.get('status') != 'deactivated'

    wanted_tags = _with_pending(template.get(TAGS), pending_items.get(TAGS))
    if wanted_tags:
        live_tags = set(live.get(TAGS) or [])
        observed[TAGS] = [t for t in wanted_tags if t in live_tags]

    if MEMBERS in live:
        wanted = _with_pending(template.get(MEMBERS),
                               pending_items.get(MEMBERS))
        observed[MEMBERS] = [m for m in wanted if m in live[MEMBERS]]

    wanted_stores = template.get(STORES)
    if wanted_stores:
        live_stores = set(stores.parse(live.get(STORES)))
        observed[STORES] = [s for s in wanted_stores if s in live_stores]
        # A store that update added and the template does not list: the
        # image is in it, or will be once Glance's copy ends.
        live_stores |= set(stores.pending(live))
        observed[STORES] += [s for s in pending_items.get(STORES) or ()
                             if s not in wanted_stores and s in live_stores]

    extra = template.get(EXTRA_PROPERTIES) or {}
    keys = set(template.get(PROPERTIES) or {}) | pending.keys
    observed[PROPERTIES] = dict((k, live.get(k)) for k in keys - set(extra))
    if extra:
        observed[EXTRA_PROPERTIES] = dict((k, live.get(k)) for k in extra)
    return observed
