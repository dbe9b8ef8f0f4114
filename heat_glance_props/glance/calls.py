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

"""The requests the resource sends to Glance.

Each function takes a glanceclient v2 client (Heat's, with Heat's session,
endpoint and identity) and plain values, and sends the fewest requests
that do the job. No Heat import. Glance's refusals come out of
:func:`explained` as :class:`heat_glance_props.glance.GlanceError`.
"""

import contextlib
import functools
import json

from glanceclient import exc as glance_exc
from oslo_log import log as logging

from heat_glance_props._i18n import _
from heat_glance_props import datahash
from heat_glance_props import glance
from heat_glance_props.glance import progress
from heat_glance_props import glance_errors
from heat_glance_props import imageprops
from heat_glance_props import precheck
from heat_glance_props import stores as glance_stores

LOG = logging.getLogger(__name__)

#: The HTTP errors whose message :func:`explained` rewrites; others (a 500)
#: go up as glanceclient raised them.
EXPLAINED_CODES = (400, 403, 404, 409, 413)


def endpoint(client):
    """The Glance endpoint the client talks to, or None."""
    try:
        return client.http_client.get_endpoint()
    except Exception:
        return None


@contextlib.contextmanager
def explained(client, action, image_id, keys=()):
    """Turn Glance's refusals into messages that say what to do.

    :param action: ``'create'``, ``'update'``, ``'check'`` or ``'adopt'``.
    :param keys: the free property keys the request sets or removes.
    :raises heat_glance_props.glance.GlanceError: Glance is unreachable,
        or refused a request with one of :data:`EXPLAINED_CODES`.
    """
    try:
        yield
    except (glance_exc.CommunicationError,
            glance_exc.InvalidEndpoint) as exc:
        raise glance.GlanceError(glance_errors.unreachable(
            endpoint(client), exc, image_id, action))
    except glance_exc.HTTPException as exc:
        if exc.code not in EXPLAINED_CODES:
            raise
        raise glance.GlanceError(glance_errors.explain(
            exc.code, exc.details, image_id, keys, action))


def _ignore(*errors):
    return contextlib.suppress(*errors)


# The create: POST, import, members; then polls (see progress.create_step).

def post_image(client, body):
    """Create the image with one POST; its id.

    (glanceclient's images.create would validate the document once per
    key and keep a property named "backend" for itself.)

    :raises heat_glance_props.glance.IdTaken: the body's ``id`` is taken
        (Glance has, or had, an image with it: it never gives an id twice,
        not even a deleted image's).
    """
    try:
        resp, image = client.http_client.post('/v2/images', data=body)
    except glance_exc.HTTPConflict as exc:
        raise glance.IdTaken(body.get('id'), glance_errors.explain(
            exc.code, exc.details, None, (), 'create'))
    return image['id']


def check_id_free(client, image_id):
    """Refuse a template's own ``id`` that an image Glance shows has.

    :raises heat_glance_props.glance.IdTaken: that image is not the one
        a create that has not started yet would make.
    """
    if find_image(client, image_id) is not None:
        raise glance.IdTaken(image_id, glance_errors.explain(
            409, 'Image ID %s already exists.' % image_id, None, (),
            'create'))


def find_image(client, image_id):
    """The image document, or None when Glance shows no such image."""
    try:
        return dict(client.images.get(image_id))
    except glance_exc.HTTPNotFound:
        return None


def import_started(client, image):
    """Whether Glance ever started an import of the image's data.

    Glance keeps a task for each import (``GET /v2/images/{id}/tasks``);
    when the tasks cannot be read, a failed import shows in
    ``os_glance_failed_import``.
    """
    if progress.importing(image):
        return True
    try:
        resp, body = client.http_client.get(
            '/v2/images/%s/tasks' % image['id'])
    except glance_exc.HTTPException as exc:
        LOG.debug('Cannot read the import tasks of image %(id)s: '
                  '%(exc)s', {'id': image['id'], 'exc': exc})
        return bool(image.get(imageprops.FAILED_IMPORT_KEY))
    return bool((body or {}).get('tasks'))


def resume_step(client, image_id, own_id=False):
    """What to do with the image of a create that did not complete.

    :returns: ``(step, image)``: a step of
        :func:`heat_glance_props.glance.progress.resume_step`, and the image
        document (None when Glance shows none). The import tasks are read
        only for a queued image that no import holds.
    """
    image = find_image(client, image_id)
    started = False
    if (image is not None and image.get('status') == 'queued' and
            not progress.importing(image)):
        started = import_started(client, image)
    return progress.resume_step(image, started, own_id), image


def start_import(client, image_id, location, stores=None,
                 all_stores_must_succeed=True):
    """Start Glance's web-download import of the data at ``location``."""
    client.images.image_import(
        image_id, method='web-download', uri=location,
        stores=stores or None, allow_failure=not all_stores_must_succeed)


def add_members(client, image_id, members):
    for member in members or []:
        client.image_members.create(image_id, member)


def discard(client, image_id, protected=False):
    """Delete an image whose create failed, so none is orphaned.

    :returns: whether the image is gone (deleted, or already gone).
    """
    try:
        with _ignore(glance_exc.HTTPNotFound):
            if protected:
                client.images.update(image_id, protected=False)
            client.images.delete(image_id)
    except Exception as exc:
        LOG.warning('Could not delete image %(id)s after its create '
                    'failed: %(exc)s', {'id': image_id, 'exc': exc})
        return False
    return True


def failed_import_task(client, image_id):
    """Glance's failed import task of the image, if it can be read."""
    # glanceclient's get_associated_image_tasks() insists on an API
    # version that Glance does not advertise; the call itself works.
    try:
        resp, body = client.http_client.get('/v2/images/%s/tasks' % image_id)
    except Exception as exc:
        LOG.debug('Cannot read the import tasks of image %(id)s: '
                  '%(exc)s', {'id': image_id, 'exc': exc})
        return None
    tasks = [t for t in (body or {}).get('tasks', [])
             if t.get('status') == 'failure']
    if not tasks:
        return None
    return max(tasks, key=lambda t: t.get('updated_at') or '')


def import_failure(image, task, location, disk_format, location_check):
    """The error for an image whose import failed.

    :param task: Glance's failed import task (:func:`failed_import_task`),
        or None.
    :param location_check: ``(mode, max_bytes, timeout)`` of the location
        check, which looks at the data when Glance names no cause.
    :returns: a :class:`heat_glance_props.glance.ImportFailed` to raise.
    """
    mode, max_bytes, timeout = location_check
    task = task or {}
    return glance.ImportFailed(precheck.explain_import_failure(
        image['id'], location, disk_format, image.get('status'),
        task.get('id'), task.get('message'), mode, max_bytes, timeout))


def verify_data(client, image, expected, disk_format, by_download):
    """Check the stored data against the expected hash (if any).

    :param expected: ``{'algorithm': ..., 'value': ...}`` or None.
    :param disk_format: the disk_format the template declared.
    :param by_download: whether the data may be read back from Glance.
    :raises datahash.HashError: the data does not have the hash, or
        cannot be shown to have it.
    """
    if not expected:
        return
    converted = None
    if image.get('disk_format') != disk_format:
        converted = (disk_format, image.get('disk_format'))
    read_data = None
    if by_download:
        read_data = functools.partial(client.images.data, image['id'])
    how = datahash.verify(
        image['id'], expected['algorithm'], expected['value'],
        image.get('os_hash_algo'), image.get('os_hash_value'), read_data,
        converted)
    LOG.info('Image %(id)s has the expected %(algo)s hash (%(how)s).',
             {'id': image['id'], 'algo': expected['algorithm'],
              'how': how})


def data_has_hash(client, image_id, expected, disk_format, by_download):
    """Whether the image's data has a (changed) expected hash.

    :returns: False when the data has another hash: it is not the data of
        this image any more, and a new image is imported.
    :raises heat_glance_props.glance.GlanceError: the data cannot be shown
        to have it.
    """
    image = client.images.get(image_id)
    try:
        verify_data(client, image, expected, disk_format, by_download)
    except datahash.Mismatch as exc:
        LOG.info('%s: a new image is imported.', exc)
        return False
    except datahash.HashError as exc:
        raise glance.GlanceError(str(exc))
    return True


# An update (and an adopt): one PATCH, members, stores, activation.

def write(client, image_id, changes):
    """Send a :class:`~heat_glance_props.glance.plan.Changes` to Glance.

    The PATCH goes first: when Glance refuses it, nothing has changed.
    Then the members, the start of store copies, a deactivation.

    :returns: the state that :func:`finish_update` follows.
    """
    image = apply_patch(client, image_id, changes)
    for member in changes.members[0]:
        with _ignore(glance_exc.HTTPConflict, glance_exc.HTTPNotFound):
            client.image_members.create(image_id, member)
    for member in changes.members[1]:
        with _ignore(glance_exc.HTTPConflict, glance_exc.HTTPNotFound):
            client.image_members.delete(image_id, member)
    state = start_store_changes(client, image_id, *changes.stores)
    state['active'] = changes.active
    if image is not None and progress.importing(image):
        # A task of Glance (a copy to a store, an import) held the image
        # during the PATCH. When it ends, Glance saves the image as it
        # read it when it began: what the PATCH changed may be undone.
        # Sent again once the task is done (see finish_update).
        state['reapply'] = changes
    if changes.active is False:
        if state['copy'] or state['leave']:
            # After the copy: Glance copies only active images.
            state['deactivate'] = True
        else:
            client.images.deactivate(image_id)
    return state


def apply_patch(client, image_id, changes):
    """Send the properties, attributes and tags in one PATCH request.

    None is sent when there is nothing to change. Removals are sent
    without reading the image: when a key is already gone, Glance refuses
    the whole PATCH (HTTP 409) and changes nothing, and the request is
    sent again without that key after one read. Tags are one list in
    Glance, so a tag change reads the image first and replaces the list,
    keeping the tags the template never managed: at most two requests.

    :returns: the image as Glance answered the PATCH, or None when none
        was sent.
    """
    live = None
    if any(changes.tags):
        live = dict(client.images.get(image_id))
    try:
        return patch(client, image_id, changes, live)
    except glance_exc.HTTPConflict:
        if live is not None or not changes.patch.removed:
            raise
        LOG.debug('Image %s: a key to remove is already gone; reading '
                  'the image and sending the changes again.', image_id)
        live = dict(client.images.get(image_id))
        return patch(client, image_id, changes, live)


def patch(client, image_id, changes, live):
    """One PATCH of the changes (see imageprops.json_patch), if any.

    :returns: the image as Glance answered, or None when none was sent.
    """
    ops = imageprops.json_patch(changes.patch, changes.attributes, live,
                                changes.tags)
    if not ops:
        return None
    resp, body = client.http_client.patch(
        '/v2/images/%s' % image_id,
        headers={'Content-Type': imageprops.PATCH_CONTENT_TYPE},
        data=json.dumps(ops))
    return body


def task_holds(client, image_id):
    """Whether a task of Glance (an import, a copy to a store) holds it."""
    return progress.importing(client.images.get(image_id))


def reapply(client, image_id, changes):
    """After Glance's task ended: send again what it undid, if anything.

    :returns: whether it is done (False: another task holds the image).
    """
    image = dict(client.images.get(image_id))
    if progress.importing(image):
        return False
    changes = changes._replace(attributes=dict(
        (k, v) for k, v in changes.attributes.items() if image.get(k) != v))
    image = patch(client, image_id, changes, image)
    if image is None:
        return True
    LOG.info('Image %s: a task of Glance undid changes of the update; '
             'they were sent again.', image_id)
    return not progress.importing(image)


def start_store_changes(client, image_id, added, removed):
    """Start copying the image to the added stores.

    The image leaves the removed stores once the copies are done (Glance
    keeps at least one store); see :func:`finish_update`.

    :returns: ``{'copy': [stores], 'drop': [stores], 'leave': [stores]}``:
        the copies that run, the stores to leave after them, and those of
        them Glance is still copying the image to.
    """
    state = {'copy': [], 'drop': [], 'start': [], 'leave': []}
    if not (added or removed):
        return state
    image = client.images.get(image_id)
    live = glance_stores.parse(image.get('stores'))
    copying = glance_stores.pending(image)
    state['copy'] = [s for s in added if s not in live]
    state['drop'] = [s for s in removed if s in live or s in copying]
    # A copy to a store this update leaves, started by an update whose
    # engine died (a rollback of it): the store is left once the copy
    # ends, whether it worked or not.
    state['leave'] = [s for s in state['drop'] if s not in live]
    if state['copy'] or state['leave']:
        # A copy Glance already runs (started by an update whose engine
        # died) is waited for, never started twice; while a task holds
        # the image, Glance refuses a new one: it starts after that.
        state['start'] = [s for s in state['copy'] if s not in copying]
        if state['start'] and not progress.importing(image):
            start_copy(client, image_id, state)
    else:
        drop_stores(client, image_id, state['drop'])
        state['drop'] = []
    return state


def start_copy(client, image_id, state):
    """Start copying the image to ``state['start']``, once."""
    stores, state['start'] = state['start'], []
    client.images.image_import(image_id, method='copy-image',
                               stores=stores, allow_failure=True)


def drop_stores(client, image_id, stores):
    """Delete the image from these stores only."""
    for store in stores:
        with _ignore(glance_exc.HTTPNotFound):
            client.http_client.delete('/v2/stores/%s/%s' % (store, image_id))


def finish_update(client, image_id, state):
    """One poll of an update's work in Glance; whether it is done.

    Waits for the store copies, then leaves the removed stores and
    deactivates (when asked); waits until the image is settled in the
    wanted state, reactivating it when it must be active.

    :raises heat_glance_props.glance.CopyFailed: a copy failed.
    """
    if state.get('reapply'):
        if not reapply(client, image_id, state['reapply']):
            return False
        state['reapply'] = None
    if state.get('copy') or state.get('leave'):
        image = client.images.get(image_id)
        if state.get('start'):
            if progress.importing(image):
                return False
            # The task that held the image is done: copy what is still
            # missing (a copy that task made is not made again).
            live = glance_stores.parse(image.get('stores'))
            state['start'] = [s for s in state['start'] if s not in live]
            state['copy'] = [s for s in state['copy'] if s not in live]
            if state['start']:
                start_copy(client, image_id, state)
                return False
        # With no copy of its own, this waits for Glance's task to end.
        if not progress.copied(image, state['copy']):
            return False
        state['copy'] = []
        state['leave'] = []
        # Only the stores the image is in once the copies ended: a store
        # whose copy failed or was lost is not one, and for an image in
        # one store only Glance answers such a delete with 403, not 404.
        live = glance_stores.parse(image.get('stores'))
        drop_stores(client, image_id,
                    [s for s in state['drop'] if s in live])
        if state.get('deactivate'):
            client.images.deactivate(image_id)
    active = state['active']
    if active is not None:
        image = client.images.get(image_id)
        if active and image.get('status') == 'deactivated':
            client.images.reactivate(image_id)
            return False
        if not progress.settled(image, active):
            return False
    return True


def known_stores(client):
    """Glance's store ids, or None when it has no multiple stores."""
    try:
        resp, info = client.http_client.get('/v2/info/stores')
    except glance_exc.HTTPNotFound:
        return None
    return glance_stores.known(info)


# Adopt, and the choice between a retry in place and a new image.

def has_data(client, image_id):
    """Whether the image exists and has usable data."""
    try:
        image = client.images.get(image_id)
    except glance_exc.HTTPNotFound:
        return False
    return progress.has_data(image)


def adoptable_image(client, image_id):
    """The image to adopt.

    :raises heat_glance_props.glance.GlanceError: it has no usable data.
    """
    image = client.images.get(image_id)
    if not progress.has_data(image):
        raise glance.GlanceError(_(
            'Image %(id)s cannot be adopted: it is %(status)s, with no '
            'usable data.') % {'id': image_id, 'status': image.get('status')})
    return image


def member_ids(client, image_id):
    """The members of the image."""
    return [m.member_id for m in client.image_members.list(image_id)]
