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
import copy

from heat.common import exception
from heat.common.i18n import _
from heat.engine import constraints
from heat.engine import properties
from heat.engine import resource
from heat.engine.resources.openstack.glance import image as heat_image
from heat.engine import support
from oslo_log import log as logging

from heat_glance_props import catalog
from heat_glance_props import datahash
from heat_glance_props import glance
from heat_glance_props.glance import calls
from heat_glance_props.glance import create
from heat_glance_props.glance import plan
from heat_glance_props import livestate
from heat_glance_props import opts
from heat_glance_props import stores as glance_stores

LOG = logging.getLogger(__name__)


def _updatable(name):
    """Heat's WebImage schema of a property, but updatable in place."""
    schema = copy.copy(heat_image.GlanceWebImage.properties_schema[name])
    schema.update_allowed = True
    return schema


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
        EXPECTED_HASH, HIDDEN,
    ) = (
        'properties', 'is_public', 'stores', 'all_stores_must_succeed',
        'expected_hash', 'hidden',
    )

    _EXPECTED_HASH_KEYS = (
        HASH_ALGORITHM, HASH_VALUE,
    ) = (
        'algorithm', 'value',
    )

    PROPERTIES = heat_image.GlanceWebImage.PROPERTIES + OWN_PROPERTIES

    #: Resource properties that Glance stores as free image properties.
    FREE_PROPERTIES = plan.FREE_PROPERTIES

    #: Resource data: the id of an image whose create Heat has not seen
    #: complete. Stored with the resource id before Glance hears of the
    #: image: whatever moment a heat-engine dies at, the stack knows the
    #: image, and the next operation resumes the create in place.
    CREATING = 'creating'

    #: Resource data Heat's placeholder resource leaves behind.
    IS_PLACEHOLDER = 'is_placeholder'

    #: The live state read for this update (converge, or a retry).
    _live_state = None

    #: Set when this update changes the resource's type to this one.
    _taking_over = False

    properties_schema = dict(heat_image.GlanceWebImage.properties_schema)
    properties_schema.update({
        heat_image.GlanceWebImage.IMAGE_ID: properties.Schema(
            properties.Schema.STRING,
            _('The image ID. Not set: the plugin chooses a random UUID. '
              'Heat stores the ID before Glance creates the image, so a '
              'create interrupted at any moment leaves no image the stack '
              'does not know.')
        ),
        # Heat's WebImage replaces the image when these change.
        heat_image.GlanceWebImage.NAME: _updatable(
            heat_image.GlanceWebImage.NAME),
        heat_image.GlanceWebImage.MIN_DISK: _updatable(
            heat_image.GlanceWebImage.MIN_DISK),
        heat_image.GlanceWebImage.MIN_RAM: _updatable(
            heat_image.GlanceWebImage.MIN_RAM),
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
              'the template never set are left alone. A key of a '
              'first-class property (os_distro, os_version, architecture, '
              'kernel_id, ramdisk_id) may be set here when that property '
              'is not set, or is set to the same value.'),
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
        HIDDEN: properties.Schema(
            properties.Schema.BOOLEAN,
            _('Whether the image is hidden from image lists (Glance\'s '
              'os_hidden): it stays usable by id, e.g. to boot servers '
              'or rebuild them, while image lists leave it out unless '
              'asked for hidden images. Changed in place. Not set: '
              'the image keeps what Glance has (an image hidden outside '
              'the template stays hidden); set it to false to show the '
              'image.'),
            update_allowed=True,
            support_status=support.SupportStatus(version='22.0.0')
        ),
    })

    def validate(self):
        super(GlanceImage, self).validate()
        maps = [(key, self.properties[key])
                for key in (self.IMAGE_PROPERTIES, self.EXTRA_PROPERTIES)]
        # The keys Glance refuses, then the image property catalog
        # ([glance_properties] in heat.conf): the same review as the
        # offline "heat-glance-props validate".
        mode, catalog_files = opts.settings()
        try:
            review = catalog.review(maps, plan.first_class(self.properties),
                                    mode, catalog_files)
        except catalog.CatalogError as exc:
            self._invalid(exc)
        for finding in review.warnings:
            LOG.warning('Resource "%(name)s": %(msg)s',
                        {'name': self.name, 'msg': finding.message})
        if review.errors:
            self._invalid('; '.join(f.message for f in review.errors))
        for check in (plan.hash_problem, self._stores_problem,
                      plan.visibility_problem):
            problem = check(self.properties)
            if problem:
                self._invalid(problem)

    def _invalid(self, problem):
        raise exception.StackValidationFailed(message=_(
            'Resource "%(name)s": %(problem)s') % {'name': self.name,
                                                   'problem': problem})

    def _stores_problem(self, props):
        """Store ids this Glance does not have, when it says."""
        ctx = self.context
        # Offline validation ("heat-glance-props validate") has no
        # credentials and no Glance to ask; the create says what Glance
        # thinks. (ctx.auth_plugin would try to make one, and log an error.)
        if props[self.STORES] is None or not (
                getattr(ctx, '_auth_plugin', None) or ctx.auth_token or
                ctx.trust_id or ctx.password):
            return None
        try:
            available = calls.known_stores(self.client())
        except Exception as exc:
            # Glance down: the create says what Glance thinks.
            LOG.debug('Cannot read the stores of Glance: %s', exc)
            return None
        problems = glance_stores.problems(props[self.STORES], available)
        return _('"stores": %s.') % '; '.join(problems) if problems else None

    def handle_create(self):
        with self._glance_errors('create', None):
            for msg in create.check_location(dict(self.properties)):
                LOG.warning('Resource "%(name)s": %(msg)s',
                            {'name': self.name, 'msg': msg})
            # The id is stored before Glance hears of the image: whatever
            # moment the engine dies at, the stack knows its image.
            image_id = create.choose_id(self.client(), dict(self.properties))
            self.data_set(self.CREATING, image_id)
            self.resource_id_set(image_id)
            return self._create().post()

    def check_create_complete(self, state):
        with self._glance_errors('create', self.resource_id):
            if not self._create().poll(state):
                return False
        self.data_delete(self.CREATING)
        return True

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if self._creating():
            # Its engine died: the create is resumed in place.
            props = dict(self.properties)
            props.update(prop_diff)
            with self._glance_errors('update', self.resource_id):
                return self._create(props).resume(dict(self.properties),
                                                  self.context.project_id)
        if prop_diff.get(self.EXPECTED_HASH):
            # Checked against the image in place: only when the image's
            # data does not have it is a new image imported (and verified).
            with self._glance_errors('update', self.resource_id):
                if not calls.data_has_hash(
                        self.client(), self.resource_id,
                        prop_diff[self.EXPECTED_HASH],
                        self.properties[self.DISK_FORMAT],
                        opts.verify_by_download()):
                    raise resource.UpdateReplace(self.name)
        new = dict(self.properties)
        new.update(prop_diff)
        if self._pending():
            with self._glance_errors('update', self.resource_id):
                if calls.task_holds(self.client(), self.resource_id):
                    # The update whose engine died left a task of Glance
                    # (a copy to a store) running: compared with Glance
                    # once it ended. Glance saves an image whole, so a
                    # PATCH that overlaps the task's save takes its new
                    # location away, and a copy still running is not yet
                    # a store the image is in.
                    LOG.info('Image %s: a task of Glance holds it; the '
                             'update compares with Glance once the task '
                             'ended.', self.resource_id)
                    return {'plan': new}
        return self._plan_and_write(new)

    def check_update_complete(self, state):
        if 'plan' in state:
            with self._glance_errors('update', self.resource_id):
                if calls.task_holds(self.client(), self.resource_id):
                    return False
            self._live_state = None
            state.update(self._plan_and_write(state.pop('plan')))
        if 'resume' in state:
            with self._glance_errors('update', self.resource_id):
                if not self._create(state['resume']).poll_resumed(
                        state, self._observed):
                    return False
        with self._glance_errors('update', self.resource_id):
            if not calls.finish_update(self.client(), self.resource_id,
                                       state):
                return False
        data = self.data()
        for key in livestate.Pending.DATA + (self.CREATING,):
            if key in data:
                self.data_delete(key)
        self._live_state = None
        self._taking_over = False
        return True

    def handle_check(self):
        if self._creating():
            with self._glance_errors('check', self.resource_id):
                raise exception.Error(create.unfinished(
                    self.client(), self.resource_id, dict(self.properties)))
        with self._glance_errors('check', self.resource_id):
            image = self.client().images.get(self.resource_id)
        problem = plan.check_failure(self.resource_id, plan.differences(
            dict(self.properties), self._observed(image), dict(image)))
        if problem:
            raise exception.Error(problem)

    def handle_adopt(self, resource_data=None):
        # Heat records the image id; then the template's properties are
        # applied to the image in place, as a converge would.
        super(GlanceImage, self).handle_adopt(resource_data)
        with self._glance_errors('adopt', self.resource_id):
            image = calls.adoptable_image(self.client(), self.resource_id)
            live = self._observed(image)
            if self.properties[self.MEMBERS]:
                live[self.MEMBERS] = calls.member_ids(self.client(),
                                                      self.resource_id)
        return self._write(plan.changes(live, dict(self.properties)),
                           'adopt')

    def check_adopt_complete(self, state):
        return self.check_update_complete(state)

    def handle_delete(self):
        # A create that stored the template's id and died: the image is
        # deleted only if it is the one that create made.
        why = self._creating() and create.not_ours(
            self.client(), self.resource_id, dict(self.properties),
            self.context.project_id)
        if why:
            LOG.warning('Image %(id)s is left alone: %(why)s.',
                        {'id': self.resource_id, 'why': why})
            return None
        return super(GlanceImage, self).handle_delete()

    def needs_replace_failed(self):
        if not self.resource_id or self.data().get(self.IS_PLACEHOLDER):
            return True
        if self._creating():
            # A create that did not complete (its engine died): resumed
            # in place unless the image is gone or can get no data.
            return create.needs_new_image(self.client(), self.resource_id,
                                          dict(self.properties))
        # Retry in place unless the image is gone or has no usable data.
        return not calls.has_data(self.client(), self.resource_id)

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
        return (needs or bool(self._pending()) or self._creating() or
                bool(plan.retyped(before_props, after_props)))

    def update_template_diff_properties(self, after_props, before_props):
        diff = super(GlanceImage, self).update_template_diff_properties(
            after_props, before_props)
        # Heat's diff compares with ==, for which false == 0: a map whose
        # values change in type only is still a change of the image.
        for name in plan.retyped(before_props, after_props):
            diff[name] = after_props[name]
        return diff

    def get_live_state(self, resource_properties):
        if self._creating():
            # The resumed create compares with Glance itself; its image
            # may not exist yet.
            self._live_state = {}
            return {}
        state = super(GlanceImage, self).get_live_state(resource_properties)
        self._live_state = state
        return state

    def get_live_resource_data(self):
        data = super(GlanceImage, self).get_live_resource_data()
        if self._pending().items.get(self.MEMBERS):
            data['members'] = calls.member_ids(self.client(),
                                               self.resource_id)
        return data

    def parse_live_resource_data(self, resource_properties, resource_data):
        # What Glance changes on its own (conversion, injected keys, its
        # defaults) is not drift: see heat_glance_props.livestate.
        return livestate.observe(dict(resource_properties), resource_data,
                                 self._pending())

    @contextlib.contextmanager
    def _glance_errors(self, action, image_id, keys=()):
        """Turn Glance's refusals into Heat errors that say what to do."""
        try:
            with calls.explained(self.client(), action, image_id, keys):
                yield
        except create.Replace as exc:
            LOG.warning('Image %(id)s: %(why)s', {'id': image_id,
                                                  'why': exc})
            raise resource.UpdateReplace(self.name)
        except glance.GlanceError as exc:
            raise exception.Error(str(exc))

    def _pending(self):
        """What an update whose outcome Heat never saw touched."""
        return livestate.Pending.load(self.data())

    def _creating(self):
        """Whether the create of the image has not been seen complete."""
        return bool(self.resource_id) and (
            self.data().get(self.CREATING) == self.resource_id)

    def _create(self, props=None):
        """The conversation with Glance of this image's create."""
        return create.ImageCreate(self.client(), self.resource_id,
                                  props or dict(self.properties),
                                  self._forget_id)

    def _forget_id(self):
        """The id is not (or no more) this resource's image's."""
        self.data_delete(self.CREATING)
        self.resource_id_set(None)

    def _write(self, changes, action):
        """Send the changes: when Glance refuses the PATCH, none is made."""
        with self._glance_errors(action, self.resource_id, changes.keys()):
            return calls.write(self.client(), self.resource_id, changes)

    def _plan_and_write(self, new):
        """Compare with the stored (or live) properties; send the changes."""
        old = dict(self.properties)
        pending = self._pending()
        if self._live_state is None and (pending or self._taking_over):
            # The last update did not complete (what it changed is unknown)
            # or the image was made by another resource type: compare
            # with what Glance has now.
            self._live_state = self.get_live_state(
                livestate.to_observe(old, new))
        if self._live_state:
            old.update(self._live_state)
        changes = plan.changes(old, new)
        if changes:
            # Until Heat stores the new properties, remember what this
            # update touches: if it does not complete, the next update (a
            # retry or a rollback) compares it with Glance's live values.
            for key, value in pending.record(changes).items():
                self.data_set(key, value)
        return self._write(changes, 'update')

    def _observed(self, image, keys=()):
        """The stored properties, with what the live image says instead.

        :param keys: more free property keys to read from the image.
        """
        props = dict(self.properties)
        props.update(livestate.observe(dict(self.properties), dict(image),
                                       self._pending().with_keys(keys)))
        return props


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
