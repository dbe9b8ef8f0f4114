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

import contextlib

from glanceclient import exc as glance_exc
from heat.common import exception
from heat.common.i18n import _
from heat.engine import properties
from heat.engine import resource
from heat.engine.resources.openstack.glance import image as heat_image
from heat.engine import support
from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import excutils

from heat_glance_props import catalog
from heat_glance_props import glance_errors
from heat_glance_props import imageprops
from heat_glance_props import opts

LOG = logging.getLogger(__name__)


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

    OWN_PROPERTIES = (
        IMAGE_PROPERTIES, IS_PUBLIC,
    ) = (
        'properties', 'is_public',
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

    def _apply(self, image_id, patch, attributes=None):
        """Send a patch to Glance in one PATCH request (none if empty).

        The request goes through glanceclient's HTTP client (Heat's session,
        endpoint and identity). Removals need the image's live keys, so a
        patch that removes keys reads the image first.
        """
        live = None
        if patch.removed:
            live = dict(self.client().images.get(image_id))
        ops = imageprops.json_patch(patch, attributes, live)
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

    def handle_create(self):
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
                images.image_import(image_id, method='web-download',
                                    uri=self.properties[self.LOCATION])
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

    @staticmethod
    def _import_failed(image):
        return (image.status == 'killed' or
                bool(image.get(imageprops.FAILED_IMPORT_KEY)) or
                (image.status == 'queued' and
                 not image.get(imageprops.IMPORT_TASK_KEY)))

    def _raise_import_failure(self, image, task):
        args = {'id': image.id, 'location': self.properties[self.LOCATION],
                'status': image.status}
        if task is not None:
            args.update(task=task.get('id'), reason=task.get('message'))
            msg = _('Glance could not import the data of image %(id)s from '
                    '"%(location)s": import task %(task)s failed: '
                    '%(reason)s (the image is %(status)s; Glance\'s log has '
                    'the details of the task).') % args
        else:
            msg = _('Glance could not import the data of image %(id)s from '
                    '"%(location)s": the import ended with the image '
                    '%(status)s.') % args
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
                self.client().images.deactivate(self.resource_id)
                return True
            return self._settled(image, state['active'])

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        old = dict(self.properties)
        pending = self._pending()
        if self._live_state is None and pending:
            # The last update did not complete: what it changed is unknown,
            # so compare with what Glance has now.
            self._live_state = self.get_live_state(self.properties)
        if self._live_state:
            old.update(self._live_state)
        new = dict(self.properties)
        new.update(prop_diff)
        images = self.client().images

        patch = imageprops.compute_patch(self._managed(old),
                                         self._managed(new))
        attributes = self._core_changes(old, new)
        keys = set(patch.changed) | set(patch.removed)
        tags = self._set_diff(old, new, self.TAGS,
                              self.TAGS in prop_diff or self._live_state)
        members = self._set_diff(old, new, self.MEMBERS,
                                 self.MEMBERS in prop_diff)
        active = new.get(self.ACTIVE) if self.ACTIVE in prop_diff else None

        if (attributes or keys or any(tags) or any(members) or
                active is False):
            # Until Heat stores the new properties, remember the keys this
            # update touches: if it does not complete, the next update (a
            # retry or a rollback) compares them with Glance's live values.
            self.data_set(self.PENDING_KEYS,
                          jsonutils.dumps(sorted(keys | pending)))

        ignore = self.client_plugin().ignore_conflict_and_not_found
        with self._glance_errors('update', self.resource_id, keys):
            # The PATCH first: when Glance refuses it, nothing has changed.
            if attributes or keys:
                self._apply(self.resource_id, patch, attributes)
            for tag in tags[0]:
                self.client().image_tags.update(self.resource_id, tag)
            for tag in tags[1]:
                with ignore:
                    self.client().image_tags.delete(self.resource_id, tag)
            for member in members[0]:
                with ignore:
                    self.client().image_members.create(self.resource_id,
                                                       member)
            for member in members[1]:
                with ignore:
                    self.client().image_members.delete(self.resource_id,
                                                       member)
            if active is False:
                images.deactivate(self.resource_id)
        return {'active': active}

    @staticmethod
    def _set_diff(old, new, key, changed):
        """``(added, removed)`` sorted lists of a list property's items."""
        if not changed:
            return [], []
        before = set(old.get(key) or [])
        after = set(new.get(key) or [])
        return sorted(after - before), sorted(before - after)

    def check_update_complete(self, state):
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
        return True

    def handle_check(self):
        with self._glance_errors('check', self.resource_id):
            image = self.client().images.get(self.resource_id)
        problems = []
        wanted = 'active' if self.properties[self.ACTIVE] else 'deactivated'
        if image.status != wanted:
            problems.append(_('the image is %(status)s, not %(wanted)s') % {
                'status': image.status, 'wanted': wanted})
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
                'Run a stack update with --converge to restore it.') % {
                    'id': self.resource_id,
                    'problems': '; '.join(problems)})

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

    def get_live_state(self, resource_properties):
        state = super(GlanceImage, self).get_live_state(resource_properties)
        self._live_state = state
        return state

    def parse_live_resource_data(self, resource_properties, resource_data):
        reality = super(GlanceImage, self).parse_live_resource_data(
            resource_properties, resource_data)
        keys = set(resource_properties.get(self.IMAGE_PROPERTIES) or {})
        keys |= self._pending()
        extra = set(resource_properties.get(self.EXTRA_PROPERTIES) or {})
        reality[self.IMAGE_PROPERTIES] = dict(
            (k, resource_data.get(k)) for k in keys - extra)
        reality[self.ACTIVE] = resource_data.get('status') != 'deactivated'
        if (resource_properties.get(self.IMAGE_ID) is None and
                resource_data.get('id') == self.resource_id):
            # Glance chose the id: not a difference from the template
            # (Heat's own parser reports it, and every converge would
            # replace the image).
            reality[self.IMAGE_ID] = None
        # Not image attributes: keep what the template said.
        for key in (self.IS_PUBLIC, self.MEMBERS):
            reality[key] = resource_properties.get(key)
        return reality
