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

"""What to ask Glance for, from the resource's properties.

Plain functions of dicts, no Heat import. ``props``, ``old`` and ``new``
map the property names of ``OS::Glance::Image`` to values as Heat gives
them (defaults applied; a string property set to null may arrive as
``''``); ``old`` may hold live values instead (see
:mod:`heat_glance_props.livestate`).
"""

import collections

from heat_glance_props._i18n import _
from heat_glance_props import datahash
from heat_glance_props import imageprops

#: The resource properties read here (the names of OS::Glance::Image).
(NAME, IMAGE_ID, MIN_DISK, MIN_RAM, PROTECTED, DISK_FORMAT,
 CONTAINER_FORMAT, TAGS, OWNER, VISIBILITY, IS_PUBLIC, EXTRA_PROPERTIES,
 IMAGE_PROPERTIES, MEMBERS, ACTIVE, STORES, EXPECTED_HASH, HIDDEN) = (
    'name', 'id', 'min_disk', 'min_ram', 'protected', 'disk_format',
    'container_format', 'tags', 'owner', 'visibility', 'is_public',
    'extra_properties', 'properties', 'members', 'active', 'stores',
    'expected_hash', 'hidden')

#: Resource properties that Glance stores as free image properties.
FREE_PROPERTIES = ('architecture', 'kernel_id', 'os_distro', 'os_version',
                   'ramdisk_id')

#: Core image attributes sent with the create.
CREATE_ATTRIBUTES = (NAME, IMAGE_ID, MIN_DISK, MIN_RAM, PROTECTED,
                     DISK_FORMAT, CONTAINER_FORMAT, TAGS, OWNER, HIDDEN)

#: Core image attributes that an update patches in place.
UPDATE_ATTRIBUTES = (NAME, MIN_DISK, MIN_RAM, PROTECTED, OWNER, VISIBILITY,
                     HIDDEN)


def glance_name(prop):
    """The name of the core image attribute a resource property sets."""
    return imageprops.GLANCE_NAMES.get(prop, prop)


class Changes(collections.namedtuple(
        'Changes', 'patch attributes tags members active stores')):
    """What one update sends to Glance.

    ``patch`` is an :class:`imageprops.Patch` of the free properties,
    ``attributes`` the changed core attributes, ``tags``, ``members`` and
    ``stores`` ``(added, removed)`` lists, ``active`` the new activation
    state or None.
    """

    def keys(self):
        """The free property keys the update sets or removes."""
        return set(self.patch.changed) | set(self.patch.removed)

    def items(self):
        """The tags, members and stores the update adds or removes.

        ``{'tags': [...], 'members': [...], 'stores': [...]}``, the lists
        that change only.
        """
        return dict((name, sorted(set(added) | set(removed)))
                    for name, (added, removed) in ((TAGS, self.tags),
                                                   (MEMBERS, self.members),
                                                   (STORES, self.stores))
                    if added or removed)

    def __bool__(self):
        return bool(self.attributes or self.keys() or any(self.tags) or
                    any(self.members) or any(self.stores) or
                    self.active is False)


def visibility(props):
    """The visibility a set of resource properties asks for."""
    value = props.get(VISIBILITY)
    if value is None:
        value = 'public' if props.get(IS_PUBLIC) else 'private'
    return value


def first_class(props):
    """The first-class properties Glance stores as free properties.

    Name to value, as Heat gives them (``''`` or None: not set).
    """
    return dict((k, props.get(k)) for k in FREE_PROPERTIES)


def managed(props):
    """The normalised map of free properties the template sets.

    A key may be set by its first-class property and by a map, to the same
    value (:func:`heat_glance_props.imageprops.find_problems` refuses two
    values); the maps win, ``properties`` last (see
    :func:`heat_glance_props.imageprops.merge`).
    """
    return imageprops.merge(imageprops.first_class_values(first_class(props)),
                            props.get(EXTRA_PROPERTIES),
                            props.get(IMAGE_PROPERTIES))


def create_body(props, image_id=None):
    """The body of the one POST that creates the image with its map.

    The free properties go with the create, before any data is imported:
    if Glance refuses one (protection, quota), no image exists.

    :param image_id: the id the image gets (chosen before the POST, see
        :func:`own_id`); the template's ``id`` when None.
    """
    body = dict((glance_name(k), props[k]) for k in CREATE_ATTRIBUTES
                if props[k] is not None)
    if image_id is not None:
        body[IMAGE_ID] = image_id
    body[VISIBILITY] = visibility(props)
    body.update(managed(props))
    return body


def own_id(props, image_id):
    """Whether the image id is the template's own ``id``.

    Otherwise the resource chose it (a random UUID) before it created the
    image: no image but the one it created can have it.
    """
    return bool(props.get(IMAGE_ID)) and props[IMAGE_ID] == image_id


def not_ours(image, props, project_id):
    """Why an image with the template's own ``id`` is not this resource's.

    A create that stored the template's ``id`` and died before it saw
    Glance's answer cannot know whether its POST made the image with that
    id, or whether somebody else's image had it. The image is taken for
    the one it created only when it has what that POST sent: the owner,
    the name and the free properties. Anything else is left alone.

    :param props: the resource properties the create sent.
    :param project_id: the stack's project (the owner Glance gives an
        image when the template names none).
    :returns: a message, or None when the image looks like the one the
        create sent.
    """
    owner = props.get(OWNER) or project_id
    if owner and image.get('owner') != owner:
        return _("it belongs to project %(owner)s, not %(wanted)s") % {
            'owner': image.get('owner'), 'wanted': owner}
    if props.get(NAME) and image.get('name') != props[NAME]:
        return _("it is named '%(name)s', not '%(wanted)s'") % {
            'name': image.get('name'), 'wanted': props[NAME]}
    drift = imageprops.drift(managed(props), image)
    if drift:
        return _('its properties %s differ from the template\'s') % (
            ', '.join("'%s'" % key for key in sorted(drift)))
    return None


def foreign_image(image_id, reason):
    """The message for an image with the template's id that is not ours."""
    return _("Image %(id)s has the template's 'id' but is not the image "
             "this stack's create made (%(reason)s): it is left alone. "
             "Remove 'id' from the template, or delete that image if it "
             "is yours, then update the stack again.") % {
        'id': image_id, 'reason': reason}


def unfinished_create(image_id, image, replace):
    """What a check reports for an image whose create did not complete.

    :param image: Glance's image document, or None.
    :param replace: whether the next update replaces the image.
    """
    if image is None:
        seen = _('Glance has no image with that id yet')
    else:
        seen = _('the image is %s') % image.get('status')
        if image.get(imageprops.IMPORT_TASK_KEY):
            seen = _('%s, with an import running') % seen
    if replace:
        then = _('a stack update replaces it (a new image)')
    else:
        then = _('a stack update resumes it in place')
    return _('The create of image %(id)s did not complete (%(seen)s); '
             '%(then)s.') % {'id': image_id, 'seen': seen, 'then': then}


def retyped(old, new):
    """Maps whose values changed in type only, which Heat's diff misses.

    Heat compares property values with ``==``, for which ``False == 0``
    and ``1 == 1.0 == True``; Glance stores ``"False"``, ``"0"``,
    ``"1.0"``: a map changed from ``{a: false}`` to ``{a: 0}`` is a change
    of the image.

    :returns: the names of the map properties whose normalised maps differ
        although the template values compare equal.
    """
    result = []
    for name in (EXTRA_PROPERTIES, IMAGE_PROPERTIES):
        before, after = old.get(name), new.get(name)
        if (before == after and
                imageprops.normalise(before) != imageprops.normalise(after)):
            result.append(name)
    return result


def core_changes(old, new):
    """Changed core attributes (``name``, ...) and their new values.

    Keyed by Glance's names (``os_hidden`` for ``hidden``).
    """
    result = {}
    for attr in UPDATE_ATTRIBUTES:
        if attr == VISIBILITY:
            before, after = visibility(old), visibility(new)
        else:
            before, after = old.get(attr), new.get(attr)
        if after is not None and after != before:
            result[glance_name(attr)] = after
    return result


def set_diff(old, new, key):
    """``(added, removed)`` sorted lists of a list property's items."""
    before = set(old.get(key) or [])
    after = set(new.get(key) or [])
    return sorted(after - before), sorted(before - after)


def changes(old, new):
    """The :class:`Changes` that turn ``old`` into ``new``."""
    return Changes(
        imageprops.compute_patch(managed(old), managed(new)),
        core_changes(old, new),
        set_diff(old, new, TAGS),
        set_diff(old, new, MEMBERS),
        (new.get(ACTIVE)
         if bool(old.get(ACTIVE)) != bool(new.get(ACTIVE)) else None),
        # Stores are managed only while the template lists them.
        (set_diff(old, new, STORES) if new.get(STORES) else ([], [])))


def differences(props, observed, image):
    """What a check reports: how the image differs from the template.

    The same comparison as a converge: a check fails exactly when a
    ``stack update --converge`` would change something.

    :param props: the stored resource properties.
    :param observed: the same, with the live values Heat observes
        (:func:`heat_glance_props.livestate.observe`) instead.
    :param image: Glance's image document.
    :returns: a list of messages, empty when nothing differs.
    """
    problems = []
    wanted = 'active' if props.get(ACTIVE) else 'deactivated'
    if image.get('status') != wanted:
        problems.append(_('the image is %(status)s, not %(wanted)s') % {
            'status': image.get('status'), 'wanted': wanted})
    diff = changes(observed, props)
    for attr in sorted(UPDATE_ATTRIBUTES):
        key = glance_name(attr)
        if key in diff.attributes:
            problems.append(_("'%(attr)s' is '%(actual)s' in Glance "
                              "(template: '%(wanted)s')") % {
                'attr': attr, 'actual': image.get(key),
                'wanted': diff.attributes[key]})
    for tag in diff.tags[0]:
        problems.append(_("tag '%s' is missing") % tag)
    for store in diff.stores[0]:
        problems.append(_("the image is not in store '%s'") % store)
    drift = imageprops.drift(managed(props), image)
    for key in sorted(drift):
        wanted_value, actual = drift[key]
        if actual is None:
            problems.append(_("key '%(key)s' is missing (template: "
                              "'%(wanted)s')") % {
                'key': key, 'wanted': wanted_value})
        else:
            problems.append(_("key '%(key)s' is '%(actual)s' in Glance "
                              "(template: '%(wanted)s')") % {
                'key': key, 'actual': actual, 'wanted': wanted_value})
    return problems


def check_failure(image_id, problems):
    """The message of a failed check, or None when nothing differs."""
    if not problems:
        return None
    return _('Image %(id)s differs from the template: %(problems)s. Run a '
             'stack update with --converge to restore it in place.') % {
        'id': image_id, 'problems': '; '.join(str(p) for p in problems)}


# What a template may ask for: problems of its values that need no Glance.

def hash_problem(props):
    """Why the expected hash is malformed, or None."""
    expected = props.get(EXPECTED_HASH)
    if not expected:
        return None
    problem = datahash.value_problem(expected['algorithm'],
                                     expected['value'])
    if problem:
        return _('"expected_hash": %s.') % problem
    return None


def visibility_problem(props):
    """A deprecated ``is_public`` that contradicts ``visibility``, or None."""
    is_public, value = props.get(IS_PUBLIC), props.get(VISIBILITY)
    if (is_public is not None and value is not None and
            value != ('public' if is_public else 'private')):
        return _('"is_public" is %(is_public)s but "visibility" is '
                 '"%(visibility)s"; remove the deprecated "is_public".') % {
            'is_public': is_public, 'visibility': value}
    return None
