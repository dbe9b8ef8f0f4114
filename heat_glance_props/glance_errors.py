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

"""Turn Glance's refusals into messages a template author can act on.

Plain functions with no Heat and no glanceclient import: they take the
HTTP status code and the text Glance answered with.
"""

import html
import re

from heat_glance_props._i18n import _

#: The most keys a message lists by name.
MAX_KEYS_SHOWN = 10

_STATUS_PREFIX = re.compile(r'^\s*(HTTP\s+)?\d{3}\s+[A-Za-z ]+?(:\s*|\s*$)')
_ATTRIBUTE = re.compile(r"Attribute '(.+?)' is")
_QUOTA = re.compile(r'Attempted:\s*(-?\d+),\s*Maximum:\s*(-?\d+)')
_ID_EXISTS = re.compile(r'Image ID (\S+) already exists')
#: Reasons of a failed import task that say nothing about the cause.
_GENERIC = re.compile(r'^\s*(task failed due to internal error|internal '
                      r'error|unknown error|no reason given)?\s*\.?\s*$',
                      re.IGNORECASE)


def glance_reason(details):
    """Glance's own reason, unescaped and without the status line."""
    text = html.unescape(str(details or '')).strip()
    text = _STATUS_PREFIX.sub('', text, count=1).strip()
    return text.rstrip('.') or _('no reason given')


def format_keys(keys):
    """``'a', 'b' and 3 more`` for a message."""
    keys = sorted(keys)
    shown = ', '.join("'%s'" % k for k in keys[:MAX_KEYS_SHOWN])
    if len(keys) > MAX_KEYS_SHOWN:
        shown = _('%(shown)s and %(more)d more') % {
            'shown': shown, 'more': len(keys) - MAX_KEYS_SHOWN}
    return shown or _('(no key)')


def explain(code, details, image_id, keys=(), action='update'):
    """The message for an HTTP error Glance answered a change with.

    :param code: the HTTP status code.
    :param details: the text of Glance's answer.
    :param image_id: the image the request was about (may be None).
    :param keys: the property keys the request set or removed.
    :param action: ``'create'``, ``'update'``, ``'check'`` or
        ``'adopt'``.
    """
    reason = glance_reason(details)
    args = {'id': image_id, 'reason': reason, 'action': action,
            'code': code,
            'image': (_('image %s') % image_id) if image_id
            else _('the image')}
    if code == 403:
        named = _ATTRIBUTE.findall(reason)
        if named:
            args['keys'] = format_keys(named)
            return _("Glance refused to %(action)s %(image)s: "
                     "%(reason)s. Key(s) %(keys)s are protected or reserved "
                     "in this cloud; remove them from the template or ask "
                     "the cloud operator for the role that may set them. "
                     "Glance applied none of the changes of this "
                     "request.") % args
        return _("Glance refused to %(action)s %(image)s: %(reason)s. "
                 "Glance's policy does not allow this change for your "
                 "role; remove it from the template or ask the cloud "
                 "operator. Glance applied none of the changes of this "
                 "request.") % args
    if code == 413:
        match = _QUOTA.search(reason)
        if match:
            args['attempted'], args['maximum'] = match.groups()
            return _("Glance refused to %(action)s %(image)s: the image "
                     "would have %(attempted)s properties, more than the "
                     "%(maximum)s this cloud allows (image_property_quota). "
                     "Remove properties from the template or ask the cloud "
                     "operator to raise the quota. Glance applied none of "
                     "the changes of this request.") % args
        return _("Glance refused to %(action)s %(image)s: a quota is "
                 "exceeded: %(reason)s. Glance applied none of the changes "
                 "of this request.") % args
    if code == 404 and image_id and action == 'adopt':
        return _("Image %(id)s does not exist in Glance: %(reason)s. Check "
                 "the image id in the adopt data.") % args
    if code == 404 and image_id:
        return _("Image %(id)s no longer exists in Glance (was it deleted "
                 "outside Heat?): %(reason)s. The next stack update creates "
                 "a new image.") % args
    if code == 409:
        match = _ID_EXISTS.search(reason)
        if match:
            args['id'] = match.group(1)
            return _("Glance refused to create the image: an image with "
                     "id %(id)s exists or existed in this cloud. Glance "
                     "never reuses an image id, not even the id of a "
                     "deleted image, so a template with a fixed 'id' can "
                     "create its image once per cloud: remove 'id' from "
                     "the template and let Glance choose one.") % args
        if action == 'create' and not image_id:
            return _("Glance refused to create the image (HTTP 409): "
                     "%(reason)s.") % args
        return _("Glance refused to %(action)s %(image)s in its current "
                 "state: %(reason)s. Wait for the image to settle, then "
                 "update the stack again.") % args
    if not keys:
        return _("Glance refused to %(action)s %(image)s (HTTP "
                 "%(code)s): %(reason)s.") % args
    args['keys'] = format_keys(keys)
    return _("Glance refused to %(action)s %(image)s (HTTP %(code)s): "
             "%(reason)s. Key(s) sent: %(keys)s.") % args


def unreachable(endpoint, details, image_id, action='update'):
    """The message for a Glance that did not answer at all."""
    args = {'endpoint': endpoint or _('(unknown endpoint)'),
            'reason': glance_reason(details), 'action': action,
            'id': image_id or _('(not created)')}
    if action == 'create':
        return _("Glance is unreachable at %(endpoint)s (%(reason)s); "
                 "could not create the image. When Glance is back, update "
                 "the stack again to create it.") % args
    if action in ('check', 'adopt'):
        # Nothing was changed: the same operation can simply be repeated.
        return _("Glance is unreachable at %(endpoint)s (%(reason)s); "
                 "could not %(action)s image %(id)s. When Glance is back, "
                 "%(action)s the stack again.") % args
    return _("Glance is unreachable at %(endpoint)s (%(reason)s); could "
             "not %(action)s image %(id)s. When Glance is back, update the "
             "stack again: the same image is patched in place.") % args


def is_generic(reason):
    """Whether an import task's reason names no cause."""
    return reason is None or bool(_GENERIC.match(glance_reason(reason)))


def import_failed(image_id, location, disk_format, status, task_id=None,
                  reason=None, findings=()):
    """The message for an image whose data Glance could not import.

    :param reason: the message of Glance's failed import task, if read.
    :param findings: what the plugin found itself about the data at the
        location (messages of :func:`heat_glance_props.precheck.
        check_location`); used when Glance's reason is generic.
    """
    args = {'id': image_id, 'location': location, 'status': status,
            'task': task_id, 'disk_format': disk_format,
            'reason': glance_reason(reason) if reason else None,
            'command': 'heat-glance-props introspect %s' % location}
    if task_id is not None:
        msg = _('Glance could not import the data of image %(id)s from '
                '"%(location)s": import task %(task)s failed: %(reason)s '
                '(the image is %(status)s).') % args
    else:
        msg = _('Glance could not import the data of image %(id)s from '
                '"%(location)s": the import ended with the image '
                '%(status)s.') % args
    if not is_generic(reason):
        return msg
    if findings:
        args['findings'] = '; '.join(str(f) for f in findings)
        return '%s %s' % (msg, _('Glance gives no cause, but the plugin '
                                 'found one: %(findings)s') % args)
    return '%s %s' % (msg, _(
        'Glance gives no cause. The causes the plugin can see: the data '
        'at "%(location)s" may not be of disk_format %(disk_format)s '
        '(Glance fails an import whose data does not match its '
        'disk_format), may be compressed, or may not be reachable from '
        'Glance. Check the first two with: %(command)s') % args)
