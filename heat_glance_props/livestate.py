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
* **Tags** and **stores**: only the tags and stores the template lists;
  tags added outside the template are not drift and are never removed,
  and the stores of an image whose template lists none are not managed.
* Not image attributes (``members``, ``is_public``): the template's value.

Plain functions, no Heat import: :func:`observe` takes the stored resource
properties and Glance's image document as dicts.
"""

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
ACTIVE = 'active'


def is_set(value):
    """Whether a template value is given (Heat stores null as '' or None)."""
    return value is not None and value != ''


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


def observe(template, live, pending=()):
    """The live values of the properties a comparison may look at.

    :param template: the stored resource properties (property name to
        value, defaults applied).
    :param live: Glance's image document.
    :param pending: free property keys of an update whose outcome Heat
        never saw; they are read back even if the template does not set
        them (a rollback or retry must see what that update did).
    :returns: property name to live value, for the observed properties
        only: a property that is not in the result keeps its stored value.
    """
    observed = {}
    for key in ALWAYS:
        observed[key] = live.get(imageprops.GLANCE_NAMES.get(key, key))
    for key in WHEN_SET:
        if is_set(template.get(key)):
            observed[key] = live.get(imageprops.GLANCE_NAMES.get(key, key))
    observed[ACTIVE] = live.get('status') != 'deactivated'

    wanted_tags = template.get(TAGS)
    if wanted_tags:
        live_tags = set(live.get(TAGS) or [])
        observed[TAGS] = [t for t in wanted_tags if t in live_tags]

    wanted_stores = template.get(STORES)
    if wanted_stores:
        live_stores = set(stores.parse(live.get(STORES)))
        observed[STORES] = [s for s in wanted_stores if s in live_stores]

    extra = template.get(EXTRA_PROPERTIES) or {}
    keys = set(template.get(PROPERTIES) or {}) | set(pending)
    observed[PROPERTIES] = dict((k, live.get(k)) for k in keys - set(extra))
    if extra:
        observed[EXTRA_PROPERTIES] = dict((k, live.get(k)) for k in extra)
    return observed
