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

"""OS::Glance::Image: a Glance v2 image with in-place free properties."""

import collections
import contextlib
import functools

from glanceclient import exc as glance_exc
from heat.common import exception
from heat.common.i18n import _
from heat.engine import constraints
from heat.engine import properties
from heat.engine import resource
from heat.engine.resources.openstack.glance import image as heat_image
from heat.engine import support
from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import excutils

from heat_glance_props import catalog
from heat_glance_props import datahash
from heat_glance_props import glance_errors
from heat_glance_props import imageprops
from heat_glance_props import livestate
from heat_glance_props import opts
from heat_glance_props import precheck
from heat_glance_props import stores as glance_stores

LOG = logging.getLogger(__name__)


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

    def __bool__(self):
        return bool(self.attributes or self.keys() or any(self.tags) or
                    any(self.members) or any(self.stores) or
                    self.active is False)


class GlanceImage(heat_image.GlanceWebImage):
    """A Glance v2 image whose free properties are patched in place.

    The image data is imported with Glance's web-download method from
    ``location``. The key/value pairs of ``properties`` (and of the
    inherited ``extra_properties``) are set when the image is created and
    changed on stack update with one Glance PATCH, without re-creating the
    image. Keys that the template never set are left alone.
    """

    support_status = support.SupportStatus(
        version='22.0.0',
        message=_('Provided by the heat-glance-props plugin.'))

    # A failed check (drift, a deactivated image) is converged in place;
    # needs_replace_failed() decides, as after a failed update.
    always_replace_on_check_failed = False

    OWN_PROPERTIES = (
        IMAGE_PROPERTIES, IS_PUBLIC, STORES, ALL_STORES_MUST_SUCCEED,
        EXPECTED_HASH,
    ) = (
        'properties', 'is_public', 'stores', 'all_stores_must_succeed',
        'expected_hash',
    )

    _EXPECTED_HASH_KEYS = (
        HASH_ALGORITHM, HASH_VALUE,
    ) = (
        'algorithm', 'value',
    )

    PROPERTIES = heat_image.GlanceWebImage.PROPERTIES + OWN_PROPERTIES

    #: Resource properties that Glance stores as free image properties.
    FREE_PROPERTIES = (
        heat_image.GlanceWebImage.ARCHITECTURE,
        heat_image.GlanceWebImage.KERNEL_ID,
        heat_image.GlanceWebImage.OS_DISTRO,
        heat_image.GlanceWebImage.OS_VERSION,
        heat_image.GlanceWebImage.RAMDISK_ID,
    )

    #: Core image attributes passed to images.create.
    CREATE_ATTRIBUTES = (
        heat_image.GlanceWebImage.NAME,
        heat_image.GlanceWebImage.IMAGE_ID,
        heat_image.GlanceWebImage.MIN_DISK,
        heat_image.GlanceWebImage.MIN_RAM,
        heat_image.GlanceWebImage.PROTECTED,
        heat_image.GlanceWebImage.DISK_FORMAT,
        heat_image.GlanceWebImage.CONTAINER_FORMAT,
        heat_image.GlanceWebImage.TAGS,
        heat_image.GlanceWebImage.OWNER,
    )

    #: Core image attributes that a stack update patches in place.
    UPDATE_ATTRIBUTES = (
        heat_image.GlanceWebImage.NAME,
        heat_image.GlanceWebImage.MIN_DISK,
        heat_image.GlanceWebImage.MIN_RAM,
        heat_image.GlanceWebImage.PROTECTED,
        heat_image.GlanceWebImage.OWNER,
        heat_image.GlanceWebImage.VISIBILITY,
    )

    #: How many more polls a failed import may take to show its reason.
    IMPORT_FAILURE_WAITS = 5

    #: Resource data: keys of an update Heat has not seen complete.
    PENDING_KEYS = 'pending_keys'

    #: Resource data Heat's placeholder resource leaves behind.
    IS_PLACEHOLDER = 'is_placeholder'

    #: The live state read for this update (converge, or a retry).
    _live_state = None

    #: Set when this update changes the resource's type to this one.
    _taking_over = False

    properties_schema = dict(heat_image.GlanceWebImage.properties_schema)
    properties_schema.update({
        heat_image.GlanceWebImage.NAME: properties.Schema(
            properties.Schema.STRING,
            _('Name for the image. The name of an image is not '
              'unique to a Image Service node.'),
            update_allowed=True
        ),
        heat_image.GlanceWebImage.MIN_DISK: properties.Schema(
            properties.Schema.INTEGER,
            _('Amount of disk space (in GB) required to boot image. '
              'Default value is 0 if not specified '
              'and means no limit on the disk size.'),
            constraints=(
                heat_image.GlanceWebImage.properties_schema[
                    heat_image.GlanceWebImage.MIN_DISK].constraints),
            default=0,
            update_allowed=True
        ),
        heat_image.GlanceWebImage.MIN_RAM: properties.Schema(
            properties.Schema.INTEGER,
            _('Amount of ram (in MB) required to boot image. Default value '
              'is 0 if not specified and means no limit on the ram size.'),
            constraints=(
                heat_image.GlanceWebImage.properties_schema[
                    heat_image.GlanceWebImage.MIN_RAM].constraints),
            default=0,
            update_allowed=True
        ),
        heat_image.GlanceWebImage.VISIBILITY: properties.Schema(
            properties.Schema.STRING,
            _('Scope of image accessibility. Defaults to "private" (or to '
              'what the deprecated "is_public" says).'),
            update_allowed=True,
            constraints=(
                heat_image.GlanceWebImage.properties_schema[
                    heat_image.GlanceWebImage.VISIBILITY].constraints),
        ),
        IMAGE_PROPERTIES: properties.Schema(
            properties.Schema.MAP,
            _('Free-form image properties (key/value pairs). Values are '
              'strings; numbers and booleans are converted to strings and '
              'a null value means "not set". On stack update the changes '
              'are patched in place with one Glance request; keys that '
              'the template never set are left alone.'),
            update_allowed=True,
            default={}
        ),
        IS_PUBLIC: properties.Schema(
            properties.Schema.BOOLEAN,
            _('Whether the image is public (Heat <= 21 templates). Same '
              'as visibility "public" (true) or "private" (false).'),
            update_allowed=True,
            support_status=support.SupportStatus(
                status=support.DEPRECATED,
                version='22.0.0',
                message=_('Use property "visibility" instead.'))
        ),
        STORES: properties.Schema(
            properties.Schema.LIST,
            _('The Glance stores (ids of a multi-store Glance\'s '
              'enabled_backends) the image is in. The create imports the '
              'data into them; an update that adds stores copies the same '
              'image there (Glance\'s copy-image import), one that removes '
              'stores deletes the image from those stores only. Not set: '
              'Glance\'s default store, and the image\'s stores are not '
              'managed. Glance\'s default policy lets only admins copy an '
              'image or delete it from a store.'),
            schema=properties.Schema(properties.Schema.STRING),
            update_allowed=True,
            support_status=support.SupportStatus(version='22.0.0')
        ),
        ALL_STORES_MUST_SUCCEED: properties.Schema(
            properties.Schema.BOOLEAN,
            _('With "stores": whether the create fails when the import '
              'into one of the stores fails. When false, the image is '
              'created in the stores that worked.'),
            default=True,
            support_status=support.SupportStatus(version='22.0.0')
        ),
        EXPECTED_HASH: properties.Schema(
            properties.Schema.MAP,
            _('The hash the image data must have (as image publishers '
              'give, e.g. a SHA-256 sum). The create fails, and leaves no '
              'image, when the data Glance imported has another hash. '
              'Compared with Glance\'s own os_hash_value when the '
              'algorithm is Glance\'s; otherwise the data is read back '
              'from Glance once and hashed. A changed expected hash is '
              'checked against the image in place; only when the image\'s '
              'data does not have it is a new image imported.'),
            schema={
                HASH_ALGORITHM: properties.Schema(
                    properties.Schema.STRING,
                    _('The hash algorithm.'),
                    default='sha256',
                    constraints=[
                        constraints.AllowedValues(datahash.ALGORITHMS)]
                ),
                HASH_VALUE: properties.Schema(
                    properties.Schema.STRING,
                    _('The hash, in hexadecimal.'),
                    required=True
                ),
            },
            update_allowed=True,
            support_status=support.SupportStatus(version='22.0.0')
        ),
    })

    def _visibility(self, props):
        """The visibility a set of resource properties asks for."""
        visibility = props.get(self.VISIBILITY)
        if visibility is None:
            visibility = 'public' if props.get(self.IS_PUBLIC) else 'private'
        return visibility

    def _managed(self, props):
        """The normalised map of free properties the template sets."""
        # Heat gives an empty string for a string property set to null.
        first_class = dict((k, props.get(k) or None)
                           for k in self.FREE_PROPERTIES)
        return imageprops.merge(first_class,
                                props.get(self.EXTRA_PROPERTIES),
                                props.get(self.IMAGE_PROPERTIES))

    def _core_changes(self, old, new):
        """Changed core attributes (``name``, ...) and their new values."""
        changes = {}
        for attr in self.UPDATE_ATTRIBUTES:
            if attr == self.VISIBILITY:
                before, after = self._visibility(old), self._visibility(new)
            else:
                before, after = old.get(attr), new.get(attr)
            if after is not None and after != before:
                changes[attr] = after
        return changes

    def _endpoint(self):
        try:
            return self.client().http_client.get_endpoint()
        except Exception:
            return None

    @contextlib.contextmanager
    def _glance_errors(self, action, image_id, keys=()):
        """Turn Glance's refusals into messages that say what to do."""
        try:
            yield
        except (glance_exc.CommunicationError,
                glance_exc.InvalidEndpoint) as exc:
            raise exception.Error(glance_errors.unreachable(
                self._endpoint(), exc, image_id, action))
        except glance_exc.HTTPException as exc:
            if exc.code not in (400, 403, 404, 409, 413):
                raise
            raise exception.Error(glance_errors.explain(
                exc.code, exc.details, image_id, keys, action))

    def _pending(self):
        """Keys of an update whose outcome Heat never saw complete."""
        return set(jsonutils.loads(self.data().get(self.PENDING_KEYS, '[]')))

    def _apply(self, image_id, changes):
        """Send the properties, attributes and tags in one PATCH request.

        The request goes through glanceclient's HTTP client (Heat's session,
        endpoint and identity); none is sent when there is nothing to
        change. Removals are sent without reading the image: when a key is
        already gone, Glance refuses the whole PATCH (HTTP 409) and changes
        nothing, and the request is sent again without that key after one
        read. Tags are one list in Glance, so a tag change reads the image
        first and replaces the list, keeping the tags the template never
        managed: at most two requests.
        """
        live = None
        if any(changes.tags):
            live = dict(self.client().images.get(image_id))
        try:
            self._patch(image_id, changes, live)
        except glance_exc.HTTPConflict:
            if live is not None or not changes.patch.removed:
                raise
            LOG.debug('Image %s: a key to remove is already gone; reading '
                      'the image and sending the changes again.', image_id)
            live = dict(self.client().images.get(image_id))
            self._patch(image_id, changes, live)

    def _patch(self, image_id, changes, live):
        ops = imageprops.json_patch(changes.patch, changes.attributes, live,
                                    changes.tags)
        if ops:
            self.client().http_client.patch(
                '/v2/images/%s' % image_id,
                headers={'Content-Type': imageprops.PATCH_CONTENT_TYPE},
                data=jsonutils.dumps(ops))

    def _discard(self, image_id):
        """Delete an image whose create failed, so none is orphaned."""
        images = self.client().images
        try:
            with self.client_plugin().ignore_not_found:
                if self.properties[self.PROTECTED]:
                    images.update(image_id, protected=False)
                images.delete(image_id)
        except Exception as exc:
            LOG.warning('Could not delete image %(id)s after its create '
                        'failed: %(exc)s', {'id': image_id, 'exc': exc})
            return
        self.resource_id_set(None)

    def _check_location(self):
        """Check the data at "location" against "disk_format".

        Before Glance imports anything, when [glance_properties]
        location_check is on.
        """
        mode, max_bytes, timeout = opts.location_check_settings()
        try:
            for msg in precheck.before_create(
                    self.properties[self.LOCATION],
                    self.properties[self.DISK_FORMAT], mode, max_bytes,
                    timeout):
                LOG.warning('Resource "%(name)s": %(msg)s',
                            {'name': self.name, 'msg': msg})
        except precheck.LocationMismatch as exc:
            raise exception.Error(str(exc))

    def handle_create(self):
        self._check_location()
        images = self.client().images
        body = dict((k, self.properties[k]) for k in self.CREATE_ATTRIBUTES
                    if self.properties[k] is not None)
        body[self.VISIBILITY] = self._visibility(self.properties)
        managed = self._managed(self.properties)
        body.update(managed)
        # One request creates the image with its whole map, before any
        # data is imported: if Glance refuses a property (protection,
        # quota), no image exists. (glanceclient's images.create would
        # validate the document once per key and keep a property named
        # "backend" for itself.)
        with self._glance_errors('create', None, managed):
            resp, image = self.client().http_client.post('/v2/images',
                                                         data=body)
        image_id = image['id']
        self.resource_id_set(image_id)
        try:
            with self._glance_errors('create', image_id):
                images.image_import(
                    image_id, method='web-download',
                    uri=self.properties[self.LOCATION],
                    stores=self.properties[self.STORES] or None,
                    allow_failure=not self.properties[
                        self.ALL_STORES_MUST_SUCCEED])
        except Exception:
            with excutils.save_and_reraise_exception():
                self._discard(image_id)
        with self._glance_errors('create', image_id):
            for member in self.properties[self.MEMBERS] or []:
                self.client().image_members.create(image_id, member)
        return {'active': self.properties[self.ACTIVE], 'waits': 0}

    def _failed_import_task(self, image_id):
        """Glance's failed import task of the image, if it can be read."""
        # glanceclient's get_associated_image_tasks() insists on an API
        # version that Glance does not advertise; the call itself works.
        try:
            resp, body = self.client().http_client.get(
                '/v2/images/%s/tasks' % image_id)
        except Exception as exc:
            LOG.debug('Cannot read the import tasks of image %(id)s: '
                      '%(exc)s', {'id': image_id, 'exc': exc})
            return None
        tasks = [t for t in (body or {}).get('tasks', [])
                 if t.get('status') == 'failure']
        if not tasks:
            return None
        return max(tasks, key=lambda t: t.get('updated_at') or '')

    def _import_failed(self, image):
        if (image.get(imageprops.FAILED_IMPORT_KEY) and
                image.status == 'active' and
                not self.properties[self.ALL_STORES_MUST_SUCCEED]):
            # Some of the stores failed, and the template allows that.
            return False
        return (image.status == 'killed' or
                bool(image.get(imageprops.FAILED_IMPORT_KEY)) or
                (image.status == 'queued' and
                 not image.get(imageprops.IMPORT_TASK_KEY)))

    def _verify_data(self, image, expected=None):
        """Check the stored data against the expected hash (if any).

        :raises datahash.HashError: the data does not have it, or cannot
            be shown to have it.
        """
        expected = expected or self.properties[self.EXPECTED_HASH]
        if not expected:
            return
        converted = None
        if image.disk_format != self.properties[self.DISK_FORMAT]:
            converted = (self.properties[self.DISK_FORMAT],
                         image.disk_format)
        read_data = None
        if opts.verify_by_download():
            read_data = functools.partial(self.client().images.data,
                                          image.id)
        how = datahash.verify(
            image.id, expected[self.HASH_ALGORITHM],
            expected[self.HASH_VALUE], image.get('os_hash_algo'),
            image.get('os_hash_value'), read_data, converted)
        LOG.info('Image %(id)s has the expected %(algo)s hash (%(how)s).',
                 {'id': image.id, 'algo': expected[self.HASH_ALGORITHM],
                  'how': how})

    def _verify_created(self, image):
        """Verify a created image; a failure leaves no image behind."""
        try:
            self._verify_data(image)
        except datahash.HashError as exc:
            self._discard(image.id)
            raise exception.Error(str(exc))

    def _raise_import_failure(self, image, task):
        mode, max_bytes, timeout = opts.location_check_settings()
        task = task or {}
        msg = precheck.explain_import_failure(
            image.id, self.properties[self.LOCATION],
            self.properties[self.DISK_FORMAT], image.status,
            task.get('id'), task.get('message'), mode, max_bytes, timeout)
        # Not ResourceInError: Heat would retry the create, and a retry
        # downloads the same data from the same place again.
        raise exception.Error(msg)

    def _settled(self, image, active):
        """Whether Glance is done with the image in the wanted state."""
        if image.get(imageprops.IMPORT_TASK_KEY):
            # Glance still holds the image for its import task and saves it
            # once more when the task ends: a write now could be lost.
            return False
        return image.status == ('active' if active else 'deactivated')

    def check_create_complete(self, state):
        with self._glance_errors('create', self.resource_id):
            image = self.client().images.get(self.resource_id)
            if self._import_failed(image):
                task = self._failed_import_task(image.id)
                if (task is None and
                        state['waits'] < self.IMPORT_FAILURE_WAITS):
                    # Glance drops its lock on the image a moment before
                    # it records why the task failed: look again.
                    state['waits'] += 1
                    return False
                self._raise_import_failure(image, task)
            if (not state['active'] and image.status == 'active' and
                    not image.get(imageprops.IMPORT_TASK_KEY)):
                self._verify_created(image)
                self.client().images.deactivate(self.resource_id)
                return True
            done = self._settled(image, state['active'])
            if done and state['active']:
                self._verify_created(image)
            return done

    def _changes(self, old, new):
        """What Glance must be told to turn ``old`` into ``new``.

        Both are dicts of resource properties; ``old`` may hold live values
        (see :mod:`heat_glance_props.livestate`).
        """
        return Changes(
            imageprops.compute_patch(self._managed(old), self._managed(new)),
            self._core_changes(old, new),
            self._set_diff(old, new, self.TAGS),
            self._set_diff(old, new, self.MEMBERS),
            (new.get(self.ACTIVE)
             if bool(old.get(self.ACTIVE)) != bool(new.get(self.ACTIVE))
             else None),
            # Stores are managed only while the template lists them.
            (self._set_diff(old, new, self.STORES)
             if new.get(self.STORES) else ([], [])))

    def _write(self, changes, action):
        """Send the changes to Glance: the PATCH first, then the rest.

        When Glance refuses the PATCH, nothing has changed.
        """
        ignore = self.client_plugin().ignore_conflict_and_not_found
        with self._glance_errors(action, self.resource_id,
                                 changes.keys()):
            self._apply(self.resource_id, changes)
            for member in changes.members[0]:
                with ignore:
                    self.client().image_members.create(self.resource_id,
                                                       member)
            for member in changes.members[1]:
                with ignore:
                    self.client().image_members.delete(self.resource_id,
                                                       member)
            state = self._change_stores(*changes.stores)
            state['active'] = changes.active
            if changes.active is False:
                if state['copy']:
                    # After the copy: Glance copies only active images.
                    state['deactivate'] = True
                else:
                    self.client().images.deactivate(self.resource_id)
        return state

    def _change_stores(self, added, removed):
        """Start copying the image to the added stores.

        The image leaves the removed stores once the copies are done
        (Glance keeps at least one store); see check_update_complete.
        """
        state = {'copy': [], 'drop': []}
        if not (added or removed):
            return state
        image = self.client().images.get(self.resource_id)
        live = glance_stores.parse(image.get('stores'))
        state['copy'] = [s for s in added if s not in live]
        state['drop'] = [s for s in removed if s in live]
        if state['copy']:
            self.client().images.image_import(
                self.resource_id, method='copy-image',
                stores=state['copy'], allow_failure=True)
        else:
            self._drop_stores(state['drop'])
            state['drop'] = []
        return state

    def _drop_stores(self, stores):
        for store in stores:
            with self.client_plugin().ignore_not_found:
                self.client().http_client.delete(
                    '/v2/stores/%s/%s' % (store, self.resource_id))

    def _copied(self, image, wanted):
        """Whether Glance has copied the image to all ``wanted`` stores.

        :raises exception.Error: a copy failed.
        """
        live = glance_stores.parse(image.get('stores'))
        missing = [s for s in wanted if s not in live]
        if not missing:
            return not image.get(imageprops.IMPORT_TASK_KEY)
        if (image.get(imageprops.IMPORT_TASK_KEY) or
                set(missing) & set(glance_stores.pending(image))):
            return False
        raise exception.Error(_(
            'Glance could not copy image %(id)s to store(s) %(stores)s '
            '(Glance reports the failed stores in os_glance_failed_import: '
            '%(failed)s). The image is unchanged in %(live)s; nothing was '
            'removed from any store. Fix the store or remove it from '
            '"stores", then update the stack again.') % {
                'id': self.resource_id,
                'stores': ', '.join("'%s'" % s for s in missing),
                'failed': image.get(imageprops.FAILED_IMPORT_KEY) or '-',
                'live': ', '.join("'%s'" % s for s in live)})

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        old = dict(self.properties)
        pending = self._pending()
        if self._live_state is None and (pending or self._taking_over):
            # The last update did not complete (what it changed is unknown)
            # or the image was made by another resource type: compare
            # with what Glance has now.
            self._live_state = self.get_live_state(self.properties)
        if self._live_state:
            old.update(self._live_state)
        new = dict(self.properties)
        new.update(prop_diff)
        if prop_diff.get(self.EXPECTED_HASH):
            self._check_new_hash(prop_diff[self.EXPECTED_HASH])
        changes = self._changes(old, new)
        if changes:
            # Until Heat stores the new properties, remember the keys this
            # update touches: if it does not complete, the next update (a
            # retry or a rollback) compares them with Glance's live values.
            self.data_set(self.PENDING_KEYS,
                          jsonutils.dumps(sorted(changes.keys() | pending)))
        return self._write(changes, 'update')

    def _check_new_hash(self, expected):
        """A changed expected hash: in place if the image's data has it.

        Otherwise the data at "location" is not the data of this image
        any more: a new image is imported (and verified).
        """
        with self._glance_errors('update', self.resource_id):
            image = self.client().images.get(self.resource_id)
            try:
                self._verify_data(image, expected)
            except datahash.Mismatch as exc:
                LOG.info('%s: a new image is imported.', exc)
                raise resource.UpdateReplace(self.name)
            except datahash.HashError as exc:
                raise exception.Error(str(exc))

    @staticmethod
    def _set_diff(old, new, key):
        """``(added, removed)`` sorted lists of a list property's items."""
        before = set(old.get(key) or [])
        after = set(new.get(key) or [])
        return sorted(after - before), sorted(before - after)

    def check_update_complete(self, state):
        if state.get('copy'):
            with self._glance_errors('update', self.resource_id):
                image = self.client().images.get(self.resource_id)
                if not self._copied(image, state['copy']):
                    return False
                state['copy'] = []
                self._drop_stores(state['drop'])
                if state.get('deactivate'):
                    self.client().images.deactivate(self.resource_id)
        active = state['active']
        if active is not None:
            with self._glance_errors('update', self.resource_id):
                image = self.client().images.get(self.resource_id)
                if active and image.status == 'deactivated':
                    self.client().images.reactivate(self.resource_id)
                    return False
                if not self._settled(image, active):
                    return False
        if self.PENDING_KEYS in self.data():
            self.data_delete(self.PENDING_KEYS)
        self._live_state = None
        self._taking_over = False
        return True

    def _observed(self, image):
        """The stored properties, with what the live image says instead."""
        props = dict(self.properties)
        props.update(self.parse_live_resource_data(self.properties,
                                                   dict(image)))
        return props

    def handle_check(self):
        with self._glance_errors('check', self.resource_id):
            image = self.client().images.get(self.resource_id)
        problems = []
        wanted = 'active' if self.properties[self.ACTIVE] else 'deactivated'
        if image.status != wanted:
            problems.append(_('the image is %(status)s, not %(wanted)s') % {
                'status': image.status, 'wanted': wanted})
        # The same comparison as a converge: a check fails exactly when a
        # "stack update --converge" would change something.
        live = self._observed(image)
        changes = self._changes(live, dict(self.properties))
        for attr in sorted(changes.attributes):
            problems.append(_("'%(attr)s' is '%(actual)s' in Glance "
                              "(template: '%(wanted)s')") % {
                'attr': attr, 'actual': image.get(attr),
                'wanted': changes.attributes[attr]})
        for tag in changes.tags[0]:
            problems.append(_("tag '%s' is missing") % tag)
        for store in changes.stores[0]:
            problems.append(_("the image is not in store '%s'") % store)
        drift = imageprops.drift(self._managed(self.properties), dict(image))
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
        if problems:
            raise exception.Error(_(
                'Image %(id)s differs from the template: %(problems)s. '
                'Run a stack update with --converge to restore it in '
                'place.') % {
                    'id': self.resource_id,
                    'problems': '; '.join(problems)})

    def handle_adopt(self, resource_data=None):
        # Heat records the image id; then the template's properties are
        # applied to the image in place, as a converge would.
        super(GlanceImage, self).handle_adopt(resource_data)
        with self._glance_errors('adopt', self.resource_id):
            image = self.client().images.get(self.resource_id)
            if image.status not in ('active', 'deactivated'):
                raise exception.Error(_(
                    'Image %(id)s cannot be adopted: it is %(status)s, '
                    'with no usable data.') % {'id': self.resource_id,
                                               'status': image.status})
            live = self._observed(image)
            if self.properties[self.MEMBERS]:
                live[self.MEMBERS] = [
                    m.member_id for m in
                    self.client().image_members.list(self.resource_id)]
        return self._write(self._changes(live, dict(self.properties)),
                           'adopt')

    def check_adopt_complete(self, state):
        return self.check_update_complete(state)

    def needs_replace_failed(self):
        if not self.resource_id or self.data().get(self.IS_PLACEHOLDER):
            return True
        try:
            image = self.client().images.get(self.resource_id)
        except Exception as exc:
            if self.client_plugin().is_not_found(exc):
                return True
            raise
        # Retry in place unless the image is gone or has no usable data.
        return image.status not in ('active', 'deactivated')

    def _needs_update(self, after, before, after_props, before_props,
                      prev_resource, check_init_complete=True):
        if self.data().get(self.IS_PLACEHOLDER):
            # Created while OS::Glance::Image was Heat's placeholder: make
            # a real image now.
            raise resource.UpdateReplace(self.name)
        if before.resource_type != after.resource_type:
            # Taken over from another type (OS::Glance::WebImage, see
            # substitute_web_image): that type may not have set all its
            # keys (its create races Glance's import), so this update
            # compares with what Glance has, as a converge does.
            self._taking_over = True
        needs = super(GlanceImage, self)._needs_update(
            after, before, after_props, before_props, prev_resource,
            check_init_complete)
        return needs or bool(self._pending())

    def validate(self):
        super(GlanceImage, self).validate()
        maps = [(key, self.properties[key])
                for key in (self.IMAGE_PROPERTIES, self.EXTRA_PROPERTIES)]
        # The keys Glance refuses, then the image property catalog
        # ([glance_properties] in heat.conf): the same review as the
        # offline "heat-glance-props validate".
        mode, catalog_files = opts.settings()
        try:
            review = catalog.review(maps, self.FREE_PROPERTIES, mode,
                                    catalog_files)
        except catalog.CatalogError as exc:
            msg = _('Resource "%(name)s": %(exc)s') % {'name': self.name,
                                                       'exc': exc}
            raise exception.StackValidationFailed(message=msg)
        for finding in review.warnings:
            LOG.warning('Resource "%(name)s": %(msg)s',
                        {'name': self.name, 'msg': finding.message})
        if review.errors:
            msg = _('Resource "%(name)s": %(problems)s') % {
                'name': self.name,
                'problems': '; '.join(f.message for f in review.errors)}
            raise exception.StackValidationFailed(message=msg)

        expected = self.properties[self.EXPECTED_HASH]
        if expected:
            problem = datahash.value_problem(expected[self.HASH_ALGORITHM],
                                             expected[self.HASH_VALUE])
            if problem:
                raise exception.StackValidationFailed(message=_(
                    'Resource "%(name)s": "expected_hash": %(problem)s.') % {
                        'name': self.name, 'problem': problem})
        self._validate_stores()

        is_public = self.properties[self.IS_PUBLIC]
        visibility = self.properties[self.VISIBILITY]
        if is_public is not None and visibility is not None:
            if visibility != ('public' if is_public else 'private'):
                msg = _('Resource "%(name)s": "is_public" is %(is_public)s '
                        'but "visibility" is "%(visibility)s"; remove the '
                        'deprecated "is_public".') % {
                    'name': self.name, 'is_public': is_public,
                    'visibility': visibility}
                raise exception.StackValidationFailed(message=msg)

    def _validate_stores(self):
        """Refuse store ids this Glance does not have, when it says."""
        wanted = self.properties[self.STORES]
        if wanted is None or not self._has_credentials():
            # Offline validation ("heat-glance-props validate"): no
            # Glance to ask; the create says what Glance thinks.
            return
        try:
            resp, info = self.client().http_client.get('/v2/info/stores')
            available = glance_stores.known(info)
        except glance_exc.HTTPNotFound:
            available = None
        except Exception as exc:
            # Glance down: the create says what Glance thinks.
            LOG.debug('Cannot read the stores of Glance: %s', exc)
            return
        problems = glance_stores.problems(wanted, available)
        if problems:
            raise exception.StackValidationFailed(message=_(
                'Resource "%(name)s": "stores": %(problems)s.') % {
                    'name': self.name, 'problems': '; '.join(problems)})

    def _has_credentials(self):
        """Whether the request context can authenticate to services."""
        ctx = self.context
        # (auth_plugin itself would try to make one, and log an error.)
        return bool(getattr(ctx, '_auth_plugin', None) or ctx.auth_token or
                    ctx.trust_id or ctx.password)

    def get_live_state(self, resource_properties):
        state = super(GlanceImage, self).get_live_state(resource_properties)
        self._live_state = state
        return state

    def parse_live_resource_data(self, resource_properties, resource_data):
        # What Glance changes on its own (conversion, injected keys, its
        # defaults) is not drift: see heat_glance_props.livestate.
        return livestate.observe(dict(resource_properties), resource_data,
                                 self._pending())


def substitute_web_image():
    """Let stacks change OS::Glance::WebImage to this type in place.

    Heat keeps a resource across a change of its type only when the old
    class names the new one as its substitute; otherwise it creates a new
    image and deletes the old one. Heat's WebImage keeps its own support
    status, with this class as its substitute.
    """
    web = heat_image.GlanceWebImage
    status = web.support_status
    if status.substitute_class is GlanceImage:
        return
    web.support_status = support.SupportStatus(
        status=status.status, message=status.message,
        version=status.version, previous_status=status.previous_status,
        substitute_class=GlanceImage)
