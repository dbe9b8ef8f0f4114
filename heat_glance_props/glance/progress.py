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

"""What an image document says about Glance's work on the image.

Plain functions of Glance's image document (a dict, or glanceclient's
model of it), no Heat import. Facts they rely on (glance 33):

* While an import or a copy runs, Glance's task holds the image
  (``os_glance_import_task`` is set); the image may already read
  ``active``, and Glance saves it once more when the task ends.
* A failed web-download import does not end in ``killed``: the image goes
  back to ``queued`` with ``os_glance_failed_import`` set.
* ``os_glance_failed_import`` also names the stores a multi-store import
  or copy could not reach, while the image stays ``active``.
"""

from heat_glance_props._i18n import _
from heat_glance_props import glance
from heat_glance_props import imageprops
from heat_glance_props import stores

#: What the create does on one poll of the image (see create_step).
CREATE_STEPS = (WAIT, FAILED, READY, DEACTIVATE, DONE) = (
    'wait', 'failed', 'ready', 'deactivate', 'done')


def importing(image):
    """Whether an import (or copy) task of Glance still holds the image."""
    return bool(image.get(imageprops.IMPORT_TASK_KEY))


def import_failed(image, all_stores_must_succeed=True):
    """Whether the import of the image's data failed.

    An import into several stores that failed in some of them has not
    failed when the template allows that (``all_stores_must_succeed``
    false) and the image is active in the others.
    """
    failed = bool(image.get(imageprops.FAILED_IMPORT_KEY))
    status = image.get('status')
    if failed and status == 'active' and not all_stores_must_succeed:
        return False
    return (status == 'killed' or failed or
            (status == 'queued' and not importing(image)))


def settled(image, active):
    """Whether Glance is done with the image, in the wanted state.

    :param active: True for ``active``, False for ``deactivated``.
    """
    if importing(image):
        # Glance still holds the image for its import task and saves it
        # once more when the task ends: a write now could be lost.
        return False
    return image.get('status') == ('active' if active else 'deactivated')


def create_step(image, active, all_stores_must_succeed=True):
    """What the create does next, after one look at the image.

    :returns: :data:`FAILED` (the import failed), :data:`WAIT` (Glance is
        not done), :data:`READY` (the data is in; verify it, done),
        :data:`DEACTIVATE` (the data is in; verify it, deactivate the
        image, done) or :data:`DONE` (nothing left to do).
    """
    if import_failed(image, all_stores_must_succeed):
        return FAILED
    if not active and image.get('status') == 'active' and not importing(
            image):
        return DEACTIVATE
    if not settled(image, active):
        return WAIT
    return READY if active else DONE


def copied(image, wanted):
    """Whether Glance has copied the image to all ``wanted`` stores.

    :raises heat_glance_props.glance.CopyFailed: a copy failed.
    """
    live = stores.parse(image.get('stores'))
    missing = [s for s in wanted if s not in live]
    if not missing:
        return not importing(image)
    if importing(image) or set(missing) & set(stores.pending(image)):
        return False
    raise glance.CopyFailed(_(
        'Glance could not copy image %(id)s to store(s) %(stores)s '
        '(Glance reports the failed stores in os_glance_failed_import: '
        '%(failed)s). The image is unchanged in %(live)s; nothing was '
        'removed from any store. Fix the store or remove it from '
        '"stores", then update the stack again.') % {
            'id': image.get('id'),
            'stores': ', '.join("'%s'" % s for s in missing),
            'failed': image.get(imageprops.FAILED_IMPORT_KEY) or '-',
            'live': ', '.join("'%s'" % s for s in live)})


def has_data(image):
    """Whether the image has usable data (active or deactivated)."""
    return image.get('status') in ('active', 'deactivated')


#: What a stack operation does with the image of a create that did not
#: complete (see resume_step).
RESUME_STEPS = (POST, IMPORT, FINISH, REPLACE) = (
    'post', 'import', 'finish', 'replace')


def resume_step(image, import_started, own_id=False):
    """What to do with the image of a create that did not complete.

    The create stores the image id before it asks Glance for anything, so
    a heat-engine that died at any moment of it leaves an id whose image
    is in one of these states; the next operation resumes the create in
    place, whatever Glance has.

    :param image: Glance's image document, or None when Glance shows no
        image with that id (never created, deleted, or not visible).
    :param import_started: whether Glance ever started an import of the
        image's data (it has an import task).
    :param own_id: whether the id is the template's own ``id``: Glance
        never gives an id twice, so such an image cannot be replaced.
    :returns: :data:`POST` (create the image now, with the same id),
        :data:`IMPORT` (start the import), :data:`FINISH` (wait for the
        data Glance has or is importing, then apply the template to the
        live image) or :data:`REPLACE` (the image is gone or has no data
        it can get: a new image).
    """
    if image is None:
        return POST
    if importing(image) or has_data(image):
        return FINISH
    if image.get('status') == 'queued' and (not import_started or own_id):
        # Never imported; or a failed import of an image that cannot be
        # replaced, which Glance lets us import again.
        return IMPORT
    return REPLACE


#: What one poll of the data of a resumed create says (see data_step).
DATA_STEPS = (DATA_WAIT, DATA_FAILED, DATA_READY) = (
    'wait', 'failed', 'ready')


def data_step(image):
    """Whether the data of a resumed create is in.

    :returns: :data:`DATA_WAIT` (Glance's task still holds the image),
        :data:`DATA_READY` (active or deactivated, and Glance is done) or
        :data:`DATA_FAILED` (the import ended without data).
    """
    if importing(image):
        return DATA_WAIT
    return DATA_READY if has_data(image) else DATA_FAILED
