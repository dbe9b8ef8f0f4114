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

"""What to send to Glance for a map of free-form image properties.

Plain functions with no Heat import: normalising template values,
validating keys and computing the patch between two maps. The Heat
resource in :mod:`heat_glance_props.resources.image` is a thin adapter
around them.
"""

import collections

from heat_glance_props._i18n import _

#: Glance refuses keys longer than this on create (and a MySQL backend on
#: update).
MAX_KEY_LENGTH = 255

#: Attributes Glance computes itself; a PATCH of them gets 403 "read-only".
READ_ONLY_KEYS = frozenset([
    'checksum', 'created_at', 'direct_url', 'file', 'id', 'os_hash_algo',
    'os_hash_value', 'schema', 'self', 'size', 'status', 'stores',
    'updated_at', 'virtual_size',
])

#: Attributes Glance reserves; a PATCH of them gets 403 "reserved".
RESERVED_KEYS = frozenset(['deleted', 'deleted_at', 'location'])

#: Every key with this prefix is reserved by Glance (import bookkeeping).
RESERVED_PREFIX = 'os_glance'

#: Set by Glance while an import task holds the image.
IMPORT_TASK_KEY = 'os_glance_import_task'

#: Set by Glance to the stores an import failed to reach.
FAILED_IMPORT_KEY = 'os_glance_failed_import'

#: Core image attributes: not free properties. The value names the
#: resource property that sets the attribute, where there is one.
CORE_KEYS = {
    'container_format': 'container_format',
    'disk_format': 'disk_format',
    'locations': None,
    'min_disk': 'min_disk',
    'min_ram': 'min_ram',
    'name': 'name',
    'os_hidden': 'hidden',
    'owner': 'owner',
    'protected': 'protected',
    'tags': 'tags',
    'visibility': 'visibility',
}

#: Resource properties whose core attribute Glance names otherwise.
GLANCE_NAMES = dict((prop, key) for key, prop in CORE_KEYS.items()
                    if prop is not None and prop != key)

#: Names glanceclient's ``images.update(image_id, remove_props=None,
#: **kwargs)`` takes for itself: a property with one of these names cannot
#: be sent through it.
CLIENT_ARGUMENT_KEYS = frozenset(['image_id', 'remove_props'])

Patch = collections.namedtuple('Patch', ['changed', 'removed'])
Patch.__doc__ = """The change to send to Glance in one images.update call.

``changed`` maps each added or changed key to its new string value;
``removed`` is the sorted list of keys to remove.
"""


def _is_scalar(value):
    return isinstance(value, (str, int, float, bool))


def normalise_value(value):
    """Return the string Glance stores for a template value.

    Strings are kept as given; integers, floats and booleans become
    ``str(value)`` (so ``true`` becomes ``"True"``); ``None`` means "not
    set" and is returned as ``None``.

    :raises TypeError: for a list, a map or any other type.
    """
    if value is None or isinstance(value, str):
        return value
    if _is_scalar(value):
        return str(value)
    raise TypeError(type(value).__name__)


def normalise(mapping):
    """Return a ``{key: str}`` copy of a template map, without unset keys.

    The map must have passed :func:`validate`.
    """
    result = {}
    for key, value in (mapping or {}).items():
        value = normalise_value(value)
        if value is not None:
            result[key] = value
    return result


def first_class_values(first_class):
    """The normalised map of the first-class properties that are set.

    :param first_class: resource property name to value as Heat gives it
        (a string property set to null arrives as ``''``), or None.
    """
    return normalise(dict((k, v or None)
                          for k, v in (first_class or {}).items()))


def merge(*mappings):
    """Normalise several maps into the one map of keys a resource manages.

    Later maps win. The resource merges its first-class properties, then
    ``extra_properties``, then ``properties``: the order in which Heat's
    ``OS::Glance::WebImage`` sends them (its ``extra_properties`` overwrite
    the first-class values), so that the stored properties of a stack
    taken over from WebImage mean what they meant there.
    :func:`find_problems` refuses a template in which that order would
    matter (one key with two different values).
    """
    result = {}
    for mapping in mappings:
        result.update(normalise(mapping))
    return result


def compute_patch(old, new):
    """Compute the patch that turns the managed map ``old`` into ``new``.

    Both maps are normalised (see :func:`normalise`). Only keys of ``old``
    are ever removed, so a key the template never set (added out of band, or
    by Glance itself) is left alone.
    """
    changed = dict((k, v) for k, v in new.items() if old.get(k) != v)
    removed = sorted(k for k in old if k not in new)
    return Patch(changed, removed)


#: The media type of Glance's image PATCH (JSON patch, API v2.1 flavour:
#: ``add`` sets a property whether or not the image has it).
PATCH_CONTENT_TYPE = 'application/openstack-images-v2.1-json-patch'


def pointer(key):
    """The JSON pointer (RFC 6901) of a top-level image property."""
    return '/' + key.replace('~', '~0').replace('/', '~1')


def json_patch(patch, attributes=None, live=None, tags=((), ())):
    """The JSON patch operations for one Glance PATCH request.

    Only ``add``, ``replace`` and ``remove`` operations, the ones Glance
    accepts. (glanceclient's ``images.update`` diffs two documents with
    jsonpatch, which turns "remove key A, add key B with A's value" into a
    ``move`` operation that Glance refuses with HTTP 400.)

    :param patch: the :class:`Patch` of free properties.
    :param attributes: changed core attributes (``name``, ``visibility``,
        ...), which always exist and are replaced.
    :param live: the image as Glance has it now, or ``None`` (not read).
        With it, keys that already have their new value are skipped, and
        so are removals of keys the image does not have. Without it, every
        removal is sent: Glance refuses the whole request (HTTP 409, nothing
        changed) if one of the keys is gone, and the caller reads the image
        and asks again.
    :param tags: ``(added, removed)`` tags. Glance keeps tags as one list,
        so a tag change needs ``live``: the list is replaced by the live
        tags less the removed plus the added ones, which keeps tags that
        were never in the template.
    :returns: the list of operations, empty when there is nothing to send.
    """
    ops = []
    for key, value in sorted((attributes or {}).items()):
        ops.append({'op': 'replace', 'path': pointer(key), 'value': value})
    added, removed = tags
    if added or removed:
        if live is None:
            raise ValueError(_('a tag change needs the live image'))
        before = list(live.get('tags') or [])
        after = [t for t in before if t not in removed]
        after += [t for t in added if t not in after]
        if after != before:
            ops.append({'op': 'replace', 'path': '/tags', 'value': after})
    for key, value in sorted(patch.changed.items()):
        if live is None or live.get(key) != value:
            ops.append({'op': 'add', 'path': pointer(key), 'value': value})
    for key in patch.removed:
        if live is None or key in live:
            ops.append({'op': 'remove', 'path': pointer(key)})
    return ops


def drift(managed, live):
    """Managed keys whose live value differs from the template's.

    :param managed: the normalised map the template sets.
    :param live: the image's properties as Glance returns them.
    :returns: ``{key: (wanted, actual)}``; ``actual`` is ``None`` for a
        missing key. Keys the template does not manage are never reported.
    """
    result = {}
    for key, wanted in managed.items():
        actual = live.get(key)
        if actual != wanted:
            result[key] = (wanted, actual)
    return result


def _short(key):
    return key if len(key) <= 40 else key[:37] + '...'


def _outside_bmp(text):
    """Whether a string has a character Glance refuses (above U+FFFF)."""
    return any(ord(c) > 0xFFFF for c in text)


#: How a template author calls the types a YAML value can have.
_TYPE_NAMES = {'dict': 'map', 'list': 'list'}


def _key_problem(key, map_name):
    """The message for a bad key, or None for a good one."""
    args = {'map': map_name, 'key': _short(key) if isinstance(key, str)
            else key}
    if not isinstance(key, str):
        args['type'] = type(key).__name__
        return _("key %(key)r in '%(map)s' is not a string (YAML read it "
                 "as %(type)s); quote it in the template.") % args
    if not key:
        return _("'%(map)s' has an empty key; give every image property "
                 "a name.") % args
    if len(key) > MAX_KEY_LENGTH:
        args.update(length=len(key), max=MAX_KEY_LENGTH)
        return _("key '%(key)s' in '%(map)s' is %(length)d characters "
                 "long; Glance accepts at most %(max)d. Use a shorter "
                 "key.") % args
    if key != key.strip():
        return _("key '%(key)s' in '%(map)s' starts or ends with white "
                 "space, which Glance strips from the keys it is sent; "
                 "remove the white space.") % args
    if _outside_bmp(key):
        return _("key '%(key)s' in '%(map)s' has a character above "
                 "U+FFFF (such as an emoji), which Glance refuses in "
                 "property names; remove it.") % args
    if key in READ_ONLY_KEYS:
        return _("key '%(key)s' in '%(map)s' is a read-only image "
                 "attribute that Glance computes itself; remove it from "
                 "'%(map)s'.") % args
    if key in RESERVED_KEYS or key.startswith(RESERVED_PREFIX):
        args['prefix'] = RESERVED_PREFIX
        return _("key '%(key)s' in '%(map)s' is reserved by Glance, which "
                 "keeps 'location', 'deleted', 'deleted_at' and every key "
                 "starting with '%(prefix)s' for itself; remove it from "
                 "'%(map)s'.") % args
    if key in CORE_KEYS:
        prop = CORE_KEYS[key]
        if prop is None:
            return _("key '%(key)s' in '%(map)s' is a core image "
                     "attribute, not a free property; it cannot be set "
                     "through '%(map)s'.") % args
        args['prop'] = prop
        return _("key '%(key)s' in '%(map)s' is a core image attribute, "
                 "not a free property; use the resource property "
                 "'%(prop)s' instead.") % args
    if key in CLIENT_ARGUMENT_KEYS:
        return _("key '%(key)s' in '%(map)s' cannot be sent through the "
                 "Glance client, which takes this name for itself; rename "
                 "the property.") % args
    return None


def _first_class_problem(key, value, map_name, first_class):
    """A map value that contradicts the first-class property of its key.

    Both set to the same value is fine, and so is a map value of null
    ("not set" in the map).
    """
    wanted = first_class.get(key)
    value = normalise_value(value)
    if wanted is None or value is None or value == wanted:
        return None
    return _("key '%(key)s' in '%(map)s' is '%(value)s', but the resource "
             "property '%(key)s' is '%(wanted)s'; give the key one value "
             "(set it in one of the two places, or the same value in "
             "both).") % {'key': _short(key), 'map': map_name,
                          'value': _short(value), 'wanted': _short(wanted)}


def _value_problem(key, value, map_name):
    args = {'map': map_name, 'key': _short(key)}
    try:
        value = normalise_value(value)
    except TypeError as exc:
        args['type'] = _TYPE_NAMES.get(str(exc), str(exc))
        return _("value of key '%(key)s' in '%(map)s' is a %(type)s; image "
                 "property values must be strings, numbers or booleans "
                 "(write a list or map as a string, e.g. JSON).") % args
    if value is not None and _outside_bmp(value):
        return _("value of key '%(key)s' in '%(map)s' has a character "
                 "above U+FFFF (such as an emoji), which Glance refuses in "
                 "property values; remove it.") % args
    return None


def find_problems(maps, first_class=None):
    """Check the property maps of one resource.

    :param maps: a sequence of ``(map_name, mapping)`` pairs, e.g.
        ``[('properties', {...}), ('extra_properties', {...})]``; a mapping
        may be ``None``.
    :param first_class: the first-class properties of the resource that
        Glance stores as free properties, name to value (e.g.
        ``{'os_distro': 'ubuntu'}``; ``None`` or ``''`` is not set). A map
        may set such a key too, to the same value.
    :returns: a list of ``(key, message)`` pairs, empty when all is well.
        Every message names the key, the map and what to do instead.
    """
    problems = []
    seen = {}
    first_class = first_class_values(first_class)
    for map_name, mapping in maps:
        for key, value in (mapping or {}).items():
            message = (_key_problem(key, map_name) or
                       _value_problem(key, value, map_name) or
                       _first_class_problem(key, value, map_name,
                                            first_class))
            if message is None and key in seen:
                args = {'key': _short(key), 'map': map_name,
                        'other': seen[key]}
                message = _("key '%(key)s' is set in both '%(other)s' and "
                            "'%(map)s'; set it in one map only.") % args
            if message is not None:
                problems.append((key, message))
            seen.setdefault(key, map_name)
    return problems
