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

"""An image's create, and its resumption after a heat-engine died.

Plain code, no Heat import. The resource stores the image id before
Glance hears of the image; :class:`ImageCreate` is the conversation with
Glance that follows: the POST with that id, the import, the members, the
polls; and, when the engine that ran it died, the next operation's
resumption of it in place, whatever Glance has.
"""

from oslo_log import log as logging
from oslo_utils import excutils
from oslo_utils import uuidutils

from heat_glance_props import datahash
from heat_glance_props import glance
from heat_glance_props.glance import calls
from heat_glance_props.glance import plan
from heat_glance_props.glance import progress
from heat_glance_props import opts
from heat_glance_props import precheck

LOG = logging.getLogger(__name__)

#: The resource properties read here, besides those of plan.
LOCATION, ALL_STORES_MUST_SUCCEED = 'location', 'all_stores_must_succeed'


class Replace(glance.GlanceError):
    """The image is gone, or can get no data: only a new image will do."""


def not_ours(client, image_id, stored, project_id):
    """Why the image with the template's own id is not the stack's.

    :param stored: the properties the interrupted create had.
    :returns: a message, or None (no such image, an id the resource
        chose, or the image the create made).
    """
    if not plan.own_id(stored, image_id):
        return None
    image = calls.find_image(client, image_id)
    return image and plan.not_ours(image, stored, project_id)


def unfinished(client, image_id, stored):
    """What a check says of a create that did not complete."""
    step, image = calls.resume_step(client, image_id,
                                    plan.own_id(stored, image_id))
    return plan.unfinished_create(image_id, image, step == progress.REPLACE)


def needs_new_image(client, image_id, stored):
    """Whether a create that did not complete can only be replaced."""
    return calls.resume_step(client, image_id, plan.own_id(
        stored, image_id))[0] == progress.REPLACE


def check_location(props):
    """Check the data at "location" against "disk_format" first.

    Only when [glance_properties] location_check is on.

    :returns: warnings to log.
    :raises heat_glance_props.glance.GlanceError: they do not match.
    """
    try:
        return precheck.before_create(props[LOCATION],
                                      props[plan.DISK_FORMAT],
                                      *opts.location_check_settings())
    except precheck.LocationMismatch as exc:
        raise glance.GlanceError(str(exc))


def choose_id(client, props):
    """The id of the image to create, chosen before Glance hears of it.

    The template's own ``id``, refused when an image Glance shows has it
    (the stack must never claim, and delete, an image it did not
    create); otherwise a new random UUID, which no image can have.

    :raises heat_glance_props.glance.IdTaken: the template's id is taken.
    """
    image_id = props.get(plan.IMAGE_ID)
    if not image_id:
        return uuidutils.generate_uuid()
    calls.check_id_free(client, image_id)
    return image_id


class ImageCreate(object):
    """The create of one image: the conversation with Glance.

    :param client: a glanceclient v2 client.
    :param image_id: the id the resource stored before the POST.
    :param props: the resource properties the create sends.
    :param forget: called when the id stops being the resource's (Glance
        refused it, or the image was deleted after a failure): the
        resource forgets the id.
    """

    #: How many more polls a failed import may take to show its reason.
    IMPORT_FAILURE_WAITS = 5

    def __init__(self, client, image_id, props, forget):
        self.client = client
        self.image_id = image_id
        self.props = props
        self.forget = forget

    def post(self, resume=False):
        """POST the image with its id and map, import, add the members.

        One request creates the image with its whole map, before any data
        is imported: if Glance refuses a property (protection, quota), no
        image exists.

        :returns: the state :meth:`poll` follows.
        :raises heat_glance_props.glance.IdTaken: the id is somebody
            else's (or was): the id is forgotten.
        :raises Replace: resuming, the image of the id the resource chose
            is gone (deleted outside Heat).
        """
        with calls.explained(self.client, 'create', None,
                             plan.managed(self.props)):
            try:
                calls.post_image(self.client, plan.create_body(
                    self.props, self.image_id))
            except glance.IdTaken as exc:
                if resume and not plan.own_id(self.props, self.image_id):
                    LOG.warning('Image %s is gone: it is replaced.',
                                self.image_id)
                    raise Replace(str(exc))
                # Not this resource's image: the stack must not claim it.
                self.forget()
                raise
        self.start_import()
        with calls.explained(self.client, 'create', self.image_id):
            calls.add_members(self.client, self.image_id,
                              self.props[plan.MEMBERS])
        return {'active': self.props[plan.ACTIVE], 'waits': 0}

    def start_import(self):
        """Start the import; if Glance refuses it, delete the image."""
        try:
            with calls.explained(self.client, 'create', self.image_id):
                calls.start_import(self.client, self.image_id,
                                   self.props[LOCATION],
                                   self.props[plan.STORES],
                                   self.props[ALL_STORES_MUST_SUCCEED])
        except Exception:
            with excutils.save_and_reraise_exception():
                self.discard()

    def poll(self, state):
        """One poll of the create: whether the image is ready."""
        image = self.client.images.get(self.image_id)
        step = progress.create_step(image, state['active'],
                                    self.props[ALL_STORES_MUST_SUCCEED])
        if step == progress.FAILED:
            return self.import_failed(image, state)
        if step == progress.WAIT:
            return False
        if step in (progress.READY, progress.DEACTIVATE):
            self.verify(image)
        if step == progress.DEACTIVATE:
            self.client.images.deactivate(self.image_id)
        return True

    def import_failed(self, image, state):
        """An import that failed: wait for its reason, then raise it."""
        task = calls.failed_import_task(self.client, image['id'])
        if task is None and state['waits'] < self.IMPORT_FAILURE_WAITS:
            # Glance drops its lock on the image a moment before it
            # records why the task failed: look again.
            state['waits'] += 1
            return False
        # Not a failure Heat retries: a retry downloads the same data
        # from the same place again.
        raise calls.import_failure(image, task, self.props[LOCATION],
                                   self.props[plan.DISK_FORMAT],
                                   opts.location_check_settings())

    def verify(self, image):
        """Verify the data; a failure leaves no image behind."""
        try:
            calls.verify_data(self.client, image,
                              self.props[plan.EXPECTED_HASH],
                              self.props[plan.DISK_FORMAT],
                              opts.verify_by_download())
        except datahash.HashError as exc:
            self.discard()
            raise glance.GlanceError(str(exc))

    def discard(self):
        """Delete the image of a failed create, so none is orphaned."""
        if calls.discard(self.client, self.image_id,
                         self.props[plan.PROTECTED]):
            self.forget()

    def resume(self, stored, project_id):
        """Resume a create that did not complete, in place.

        Whatever Glance has: no image yet (create it now, with the same
        id), an image no import ever reached (start the import), an
        import Glance runs (wait for it), an image with its data (apply
        the template to the live image). Data that is in is never
        imported again.

        :param stored: the properties the interrupted create had.
        :returns: the state :meth:`poll_resumed` follows.
        :raises Replace: the image is gone or can get no data.
        """
        own = plan.own_id(stored, self.image_id)
        step, image = calls.resume_step(self.client, self.image_id, own)
        why = image is not None and own and plan.not_ours(image, stored,
                                                          project_id)
        if why:
            raise glance.GlanceError(plan.foreign_image(self.image_id, why))
        LOG.info('Resuming the create of image %(id)s: %(step)s.',
                 {'id': self.image_id, 'step': step})
        if step == progress.REPLACE:
            raise Replace(plan.unfinished_create(self.image_id, image, True))
        if step == progress.POST:
            self.post(resume=True)
        elif step == progress.IMPORT:
            self.start_import()
        return {'resume': self.props, 'waits': 0}

    def poll_resumed(self, state, observed):
        """One poll of a resumed create: the data, then the template.

        :param observed: ``observed(image, keys)``: the properties as the
            live image has them, with these free property keys read too.
        :returns: whether the image has its data and the template's
            changes are sent (``state`` then holds what
            :func:`calls.finish_update` follows).
        """
        if 'active' in state:
            return True
        image = dict(self.client.images.get(self.image_id))
        step = progress.data_step(image)
        if step == progress.DATA_FAILED:
            return self.import_failed(image, state)
        if step == progress.DATA_WAIT:
            return False
        self.verify(image)
        # What the interrupted create sent is unknown: compare the
        # template with the live image, as a converge does.
        live = observed(image, plan.managed(self.props))
        if self.props[plan.MEMBERS] or live.get(plan.MEMBERS):
            live[plan.MEMBERS] = calls.member_ids(self.client, self.image_id)
        changes = plan.changes(live, self.props)
        with calls.explained(self.client, 'update', self.image_id,
                             changes.keys()):
            state.update(calls.write(self.client, self.image_id, changes))
        return True
