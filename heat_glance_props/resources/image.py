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

from heat.common import exception
from heat.common.i18n import _
from heat.engine import properties
from heat.engine.resources.openstack.glance import image as heat_image
from heat.engine import support
from oslo_log import log as logging
from oslo_utils import excutils

from heat_glance_props import imageprops

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
        first_class = dict((k, props.get(k)) for k in self.FREE_PROPERTIES)
        return imageprops.merge(first_class,
                                props.get(self.EXTRA_PROPERTIES),
                                props.get(self.IMAGE_PROPERTIES))

    def _core_changes(self, old, new):
        """Changed core attributes, as images.update keyword arguments."""
        changes = {}
        for attr in self.UPDATE_ATTRIBUTES:
            if attr == self.VISIBILITY:
                before, after = self._visibility(old), self._visibility(new)
            else:
                before, after = old.get(attr), new.get(attr)
            if after is not None and after != before:
                changes[attr] = after
        return changes

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
        args = dict((k, self.properties[k]) for k in self.CREATE_ATTRIBUTES
                    if self.properties[k] is not None)
        args[self.VISIBILITY] = self._visibility(self.properties)
        image = images.create(**args)
        self.resource_id_set(image.id)
        try:
            managed = self._managed(self.properties)
            if managed:
                images.update(image.id, **managed)
            images.image_import(image.id, method='web-download',
                                uri=self.properties[self.LOCATION])
        except Exception:
            with excutils.save_and_reraise_exception():
                self._discard(image.id)
        for member in self.properties[self.MEMBERS] or []:
            self.client().image_members.create(image.id, member)
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

    def check_create_complete(self, state):
        image = self.client().images.get(self.resource_id)
        if self._import_failed(image):
            task = self._failed_import_task(image.id)
            if task is None and state['waits'] < self.IMPORT_FAILURE_WAITS:
                # Glance drops its lock on the image a moment before it
                # records why the task failed: look again for the reason.
                state['waits'] += 1
                return False
            self._raise_import_failure(image, task)
        if image.get(imageprops.IMPORT_TASK_KEY):
            # Glance still holds the image for its import task and saves it
            # once more when the task ends: a write now could be lost.
            return False
        active = state['active']
        if image.status == 'active' and not active:
            self.client().images.deactivate(self.resource_id)
            return True
        return image.status == ('active' if active else 'deactivated')

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        old = dict(self.properties)
        new = dict(old)
        new.update(prop_diff)
        images = self.client().images

        patch = imageprops.compute_patch(self._managed(old),
                                         self._managed(new))
        attributes = self._core_changes(old, new)
        if attributes or not imageprops.is_empty(patch):
            kwargs = dict(patch.changed)
            kwargs.update(attributes)
            images.update(self.resource_id, patch.removed or None, **kwargs)

        if self.TAGS in prop_diff:
            before = set(old.get(self.TAGS) or [])
            after = set(new.get(self.TAGS) or [])
            for tag in sorted(after - before):
                self.client().image_tags.update(self.resource_id, tag)
            for tag in sorted(before - after):
                with self.client_plugin().ignore_not_found:
                    self.client().image_tags.delete(self.resource_id, tag)

        if self.MEMBERS in prop_diff:
            members = self.client().image_members
            before = set(old.get(self.MEMBERS) or [])
            after = set(new.get(self.MEMBERS) or [])
            for member in sorted(after - before):
                members.create(self.resource_id, member)
            for member in sorted(before - after):
                with self.client_plugin().ignore_not_found:
                    members.delete(self.resource_id, member)

        active = prop_diff.get(self.ACTIVE)
        if active is False:
            images.deactivate(self.resource_id)
        return active

    def check_update_complete(self, active):
        if active is None:
            return True
        image = self.client().images.get(self.resource_id)
        if image.get(imageprops.IMPORT_TASK_KEY):
            return False
        if active and image.status == 'deactivated':
            self.client().images.reactivate(self.resource_id)
            return False
        return image.status == ('active' if active else 'deactivated')

    def validate(self):
        super(GlanceImage, self).validate()
        maps = [(key, self.properties[key])
                for key in (self.IMAGE_PROPERTIES, self.EXTRA_PROPERTIES)]
        problems = imageprops.find_problems(
            maps, first_class=self.FREE_PROPERTIES)
        if problems:
            msg = _('Resource "%(name)s": %(problems)s') % {
                'name': self.name,
                'problems': ' '.join(m for _k, m in problems)}
            raise exception.StackValidationFailed(message=msg)

        # The image property catalog ([glance_properties] in heat.conf).
        from heat_glance_props import catalog
        from heat_glance_props import opts
        mode, catalog_files = opts.settings()
        try:
            review = catalog.check_maps(maps, mode, catalog_files)
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
                'problems': ' '.join(f.message for f in review.errors)}
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
