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

"""Does the data at an image's ``location`` have its ``disk_format``?

Glance cannot inspect ``raw`` and takes any data for it: a qcow2 file
declared ``raw`` is imported, and Nova then boots the qcow2 bytes as a raw
disk. A ``vmdk`` declared for qcow2 data fails the import with only "Task
failed due to Internal Error". The check reads the start of the data with
:class:`heat_glance_props.introspect.RemoteImage` (range requests) and
oslo.utils' format inspector, before Glance imports anything.

Used by ``heat-glance-props validate --check-locations`` and, when the
operator enables ``[glance_properties] location_check``, by the resource
before it creates the image and to explain a failed import. Those two
(:func:`before_create` and :func:`explain_import_failure`, heat-engine's
entry points) always read through the URL filter of heat.conf
(:func:`heat_glance_props.opts.location_filter`): heat-engine sends no
request where the filter does not let it, and a location it may not read
is reported as not checked. :func:`check_location` and
:class:`LocationCheck` read any URL unless they are given a filter: they
serve the command line, the user's own request. No Heat import.
"""

from heat_glance_props._i18n import _
from heat_glance_props import glance_errors
from heat_glance_props import introspect
from heat_glance_props import opts
from heat_glance_props import urlfilter

ERROR = 'error'
WARNING = 'warning'

MODES = (OFF, WARN, STRICT) = ('off', 'warn', 'strict')

#: Glance disk formats the inspector cannot recognise: no check.
UNCHECKED_FORMATS = frozenset(['ami', 'ari', 'aki', 'ploop'])


class LocationMismatch(Exception):
    """The data at the location is not of the declared disk_format."""


def _command(location):
    return 'heat-glance-props introspect %s' % location


def check_location(location, disk_format, max_bytes=introspect.MAX_BYTES,
                   timeout=introspect.TIMEOUT, url_filter=None):
    """Findings about the data at ``location``; see :func:`_check`."""
    return [(level, str(message)) for level, message in
            _check(location, disk_format, max_bytes, timeout, url_filter)]


def _refused(location, disk_format, reason):
    return [(WARNING, _(
        "did not check the data at location %(location)s against "
        "disk_format %(declared)s: the location check may not read it "
        "(%(reason)s). Glance applies its own rules to the location.") % {
            'location': location, 'declared': disk_format,
            'reason': reason})]


def _check(location, disk_format, max_bytes, timeout, url_filter):
    """Findings about the data at ``location`` for a ``disk_format``.

    :param url_filter: None (read any URL), or a
        :class:`heat_glance_props.urlfilter.URLFilter` that every request
        and redirect must pass.
    :returns: a list of ``(level, message)``: errors for data that is not
        of ``disk_format`` (or is compressed, or unsafe), a warning when
        the data cannot be read from here (Glance may still reach it) or
        ``url_filter`` refuses it; empty when the data matches or cannot
        be checked (not an http(s) URL, or a disk format the inspector
        does not know).
    """
    if not introspect.is_url(location) or disk_format in UNCHECKED_FORMATS:
        return []
    if url_filter is not None:
        # The verdict on the location itself before anything else, even
        # where there is no inspector to read with.
        try:
            url_filter.check(location)
        except urlfilter.Refused as exc:
            return _refused(location, disk_format, exc)
    args = {'location': location, 'declared': disk_format,
            'command': _command(location)}
    try:
        result = introspect.inspect(location, max_bytes=max_bytes,
                                    timeout=timeout, url_filter=url_filter)
    except introspect.LocationRefused as exc:
        # A redirect, or an address that changed since the check above.
        return _refused(location, disk_format, exc.reason)
    except introspect.UnsafeImage as exc:
        args['reasons'] = '; '.join(exc.reasons)
        return [(ERROR, _(
            "the data at location %(location)s is not safe to use as an "
            "image (%(reasons)s); Glance or Nova would refuse it. Check it "
            "with: %(command)s") % args)]
    except introspect.CompressedImage as exc:
        args['kind'] = exc.compression
        return [(ERROR, _(
            "the data at location %(location)s is %(kind)s-compressed, not "
            "a %(declared)s disk image; Glance would store the compressed "
            "bytes and Nova cannot boot them. Point location at the "
            "decompressed image, or ask the cloud operator for Glance's "
            "image_decompression import plugin.") % args)]
    except introspect.ImageError as exc:
        args['exc'] = exc
        return [(WARNING, _(
            "could not check the data at location %(location)s against "
            "disk_format %(declared)s: %(exc)s") % args)]
    found = result.disk_format
    if found == disk_format:
        return []
    args['found'] = found
    if disk_format == 'raw':
        consequence = _(
            'Glance cannot inspect raw and would import it, and Nova would '
            'boot the %(found)s bytes as a raw disk') % args
    else:
        consequence = _(
            'Glance would fail the import, with only "Task failed due to '
            'Internal Error" as the reason') % args
    args['consequence'] = consequence
    return [(ERROR, _(
        "the data at location %(location)s is %(found)s, but disk_format "
        "is %(declared)s: %(consequence)s. Set disk_format: %(found)s "
        "(check with: %(command)s).") % args)]


class LocationCheck(object):
    """:func:`check_location` with fixed limits and filter: a callable."""

    def __init__(self, max_bytes=None, timeout=None, url_filter=None):
        self.max_bytes = max_bytes or introspect.MAX_BYTES
        self.timeout = timeout or introspect.TIMEOUT
        self.url_filter = url_filter

    def __call__(self, location, disk_format):
        return check_location(location, disk_format, self.max_bytes,
                              self.timeout, self.url_filter)


def _engine_check(max_bytes, timeout, conf):
    """The check heat-engine runs: through heat.conf's URL filter."""
    return LocationCheck(max_bytes, timeout, opts.location_filter(conf))


def before_create(location, disk_format, mode, max_bytes=None,
                  timeout=None, conf=None):
    """The resource's check before it creates an image.

    :param mode: ``off`` (nothing is read), ``warn`` (the findings are
        returned, to be logged) or ``strict`` (a mismatch raises).
    :param conf: the config object with the URL filter options
        (default: heat-engine's, ``cfg.CONF``).
    :returns: the messages to log as warnings.
    :raises LocationMismatch: in ``strict`` mode, for data that is not of
        ``disk_format`` (the message names the location, both formats and
        the command that checks them). Data that cannot be read from
        heat-engine, or that the URL filter does not let it read, is
        never a reason to refuse: Glance may reach it.
    """
    if mode == OFF:
        return []
    if mode not in MODES:
        raise ValueError(_('unknown location check mode %r') % mode)
    findings = _engine_check(max_bytes, timeout, conf)(location,
                                                       disk_format)
    errors = [m for level, m in findings if level == ERROR]
    if errors and mode == STRICT:
        raise LocationMismatch(_('Refusing to create the image: %s') %
                               '; '.join(str(m) for m in errors))
    return [str(m) for _level, m in findings]


def explain_import_failure(image_id, location, disk_format, status,
                           task_id=None, reason=None, mode=OFF,
                           max_bytes=None, timeout=None, conf=None):
    """The message for a failed import, with the cause when it can be seen.

    When Glance's reason is generic ("Task failed due to Internal Error")
    and the operator allows heat-engine to read image data (``mode`` is
    not ``off``), the data at the location is checked against the
    disk_format (through the URL filter of ``conf``, as in
    :func:`before_create`) and a mismatch is named; otherwise the message
    names the possible causes and the command that checks them.
    """
    findings = []
    if mode != OFF and glance_errors.is_generic(reason):
        findings = [m for level, m in
                    _engine_check(max_bytes, timeout, conf)(location,
                                                            disk_format)
                    if level == ERROR]
    return glance_errors.import_failed(image_id, location, disk_format,
                                       status, task_id, reason, findings)
