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

"""What a template needs to know about a disk image file.

The file is read with oslo.utils' format inspector, the same code Glance
and Nova use to recognise image formats and to refuse unsafe ones. The
result names the Glance ``disk_format``, a ``min_disk`` from the virtual
size and the image properties Nova reads that follow from the file (for
VMDK: the disk type and the disk adapter).
"""

import collections
import math
import re
import socket
import urllib.error
import urllib.parse
import urllib.request

try:
    from oslo_utils.imageutils import format_inspector
except ImportError:  # oslo.utils < 7.3.0 (2024.1) has no format inspector
    format_inspector = None

from heat_glance_props._i18n import _
from heat_glance_props import urlfilter

GiB = 1024 ** 3

#: Glance disk_format for each format the inspector recognises. A GPT or
#: MBR partitioned disk is plain raw data to Glance.
DISK_FORMATS = {
    'gpt': 'raw',
    'iso': 'iso',
    'luks': 'raw',
    'qcow2': 'qcow2',
    'qed': 'qed',
    'raw': 'raw',
    'vdi': 'vdi',
    'vhd': 'vhd',
    'vhdx': 'vhdx',
    'vmdk': 'vmdk',
}

#: VMDK createType -> the vmware_disktype value Nova's VMware driver
#: expects (Glance's metadefs: streamOptimized, sparse, preallocated).
VMWARE_DISKTYPES = {
    'streamoptimized': 'streamOptimized',
    'monolithicsparse': 'sparse',
}

#: VMDK ddb.adapterType -> (hw_disk_bus, hw_scsi_model). Nova turns the
#: legacy vmware_adaptertype into these two keys (ide -> bus ide; any
#: other -> bus scsi with that model), its SCSIModel field maps the VMware
#: names lsiLogicsas and paraVirtual to lsisas1068 and vmpvscsi, and its
#: VMware driver maps them back to the adapter it attaches. legacyESX
#: (an old ESX SCSI layout) names no controller model.
VMDK_ADAPTERS = {
    'ide': ('ide', None),
    'lsilogic': ('scsi', 'lsilogic'),
    'buslogic': ('scsi', 'buslogic'),
    'lsilogicsas': ('scsi', 'lsisas1068'),
    'lsisas1068': ('scsi', 'lsisas1068'),
    'paravirtual': ('scsi', 'vmpvscsi'),
    'pvscsi': ('scsi', 'vmpvscsi'),
    'legacyesx': ('scsi', None),
}

_DDB_ADAPTER = re.compile(r'^\s*ddb\.adaptertype\s*=\s*"([^"]*)"\s*$',
                          re.MULTILINE)
_PARENT_HINT = re.compile(r'^\s*parentfilenamehint\s*=', re.MULTILINE)
_PARENT_CID = re.compile(r'^\s*parentcid\s*=\s*([0-9a-f]+)\s*$',
                         re.MULTILINE)

Result = collections.namedtuple('Result', [
    'disk_format', 'container_format', 'min_disk', 'properties',
    'virtual_size', 'format_detail', 'notes'])
Result.__doc__ = """What introspection found; see :func:`inspect`."""

CHUNK = 1024 * 1024


class UnsafeImage(Exception):
    """The image must not be uploaded: the reasons say why."""

    def __init__(self, path, reasons):
        self.path = path
        self.reasons = reasons
        super(UnsafeImage, self).__init__(
            _('%(path)s is not safe to use as an image: %(reasons)s') % {
                'path': path, 'reasons': '; '.join(reasons)})


class ImageError(Exception):
    """The image cannot be read or recognised."""


class LocationRefused(ImageError):
    """The URL filter let no request go to the image (or a redirect)."""

    def __init__(self, url, reason):
        self.url = url
        self.reason = reason
        super(LocationRefused, self).__init__(
            _('%(url)s was not read: %(reason)s') % {'url': url,
                                                     'reason': reason})


#: (name, magic bytes at offset 0, what decompresses it)
COMPRESSIONS = (
    ('gzip', b'\x1f\x8b', 'gunzip'),
    ('xz', b'\xfd7zXZ\x00', 'unxz'),
    ('bzip2', b'BZh', 'bunzip2'),
    ('zstd', b'\x28\xb5\x2f\xfd', 'unzstd'),
)


class CompressedImage(ImageError):
    """The file is a compressed file, not a disk image."""

    def __init__(self, path, compression, tool):
        self.path = path
        self.compression = compression
        self.tool = tool
        super(CompressedImage, self).__init__(
            _('%(path)s is a %(kind)s-compressed file, not a disk image: '
              'Glance would store the compressed bytes and Nova cannot '
              'boot them. Decompress it first (e.g. %(tool)s) and inspect '
              'and upload the result, or have the cloud operator enable '
              'Glance\'s image_decompression import plugin, which '
              'decompresses web-download imports.') % {
                'path': path, 'kind': compression, 'tool': tool})


def compression_of(head):
    """``(name, tool)`` of the compression whose magic starts ``head``."""
    for name, magic, tool in COMPRESSIONS:
        if head.startswith(magic):
            return name, tool
    return None


#: Defaults for reading an image over HTTP.
MAX_BYTES = 64 * 1024 * 1024
TIMEOUT = 30
#: The first range request asks for this much; each next one for twice
#: as much as the one before, up to RANGE_MAX.
RANGE_FIRST = 64 * 1024
RANGE_MAX = 4 * 1024 * 1024


def is_url(text):
    return urllib.parse.urlsplit(str(text)).scheme in ('http', 'https')


class RemoteImage(object):
    """A file-like reader of an image over HTTP, with range requests.

    ``read(n)`` returns the next bytes from the start of the image. Each
    read that needs more data sends one ``GET`` with a ``Range`` header
    for the next piece. A server that ignores ``Range`` (``200`` instead
    of ``206``) is read as one stream instead, and closed as soon as the
    reader is done with it. Redirects are followed (by urllib, at most
    10). No more than ``max_bytes`` are read in all.

    With a ``url_filter`` (:class:`heat_glance_props.urlfilter.URLFilter`,
    what heat-engine uses), every request and every redirect goes only
    where the filter lets it, each connection to an address it checked,
    and never through a proxy; a refusal raises :class:`LocationRefused`.
    Without one (the command line: the user's own request), any URL is
    read, through the proxy of the environment if there is one.
    """

    def __init__(self, url, max_bytes=MAX_BYTES, timeout=TIMEOUT,
                 url_filter=None):
        self.url = url
        self._opener = (urlfilter.opener(url_filter) if url_filter
                        else urllib.request.build_opener())
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.position = 0
        self.requests = 0
        self.ranges = None      # True: 206 answers; False: Range ignored
        self.size = None
        self.eof = False
        self._stream = None
        self._next = RANGE_FIRST
        self._buffer = b''

    def _open(self, start, end):
        request = urllib.request.Request(self.url, headers={
            'Range': 'bytes=%d-%d' % (start, end),
            'User-Agent': 'heat-glance-props'})
        self.requests += 1
        try:
            return self._opener.open(request, timeout=self.timeout)
        except urlfilter.Refused as exc:
            raise LocationRefused(self.url, str(exc))
        except urllib.error.HTTPError as exc:
            if exc.code == 416:   # the image is shorter than start
                exc.close()
                return None
            exc.close()
            raise ImageError(_('%(url)s: HTTP %(code)s %(reason)s') % {
                'url': self.url, 'code': exc.code, 'reason': exc.reason})
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, 'reason', exc)
            if isinstance(reason, socket.timeout):
                reason = _('no answer within %s s') % self.timeout
            raise ImageError(_('cannot read %(url)s: %(reason)s') % {
                'url': self.url, 'reason': reason})

    def _fill(self, wanted):
        """Get at least ``wanted`` more bytes into the buffer, or EOF."""
        while len(self._buffer) < wanted and not self.eof:
            if self._stream is not None:
                self._read_stream(wanted - len(self._buffer))
                continue
            start = self.position + len(self._buffer)
            length = min(max(self._next, wanted - len(self._buffer)),
                         self.max_bytes - start)
            if length <= 0:
                break
            self._next = min(self._next * 2, RANGE_MAX)
            answer = self._open(start, start + length - 1)
            if answer is None:
                self.eof = True
                break
            if answer.status == 206:
                self.ranges = True
                total = (answer.headers.get('Content-Range') or '')
                total = total.rpartition('/')[2]
                if total.isdigit():
                    self.size = int(total)
                with answer:
                    data = self._timed(answer.read)
                self._buffer += data
                if not data or (self.size is not None and
                                start + len(data) >= self.size):
                    self.eof = True
            elif start == 0:
                # The server ignored Range: read the one stream.
                self.ranges = False
                length = answer.headers.get('Content-Length')
                if length and length.isdigit():
                    self.size = int(length)
                self._stream = answer
            else:
                answer.close()
                raise ImageError(_('%s: the server answered a range request '
                                   'from the middle of the image with the '
                                   'whole image') % self.url)

    def _timed(self, read, *args):
        try:
            return read(*args)
        except (socket.timeout, OSError) as exc:
            raise ImageError(_('cannot read %(url)s: %(exc)s') % {
                'url': self.url, 'exc': exc})

    def _read_stream(self, wanted):
        data = self._timed(self._stream.read, max(wanted, RANGE_FIRST))
        if not data:
            self.eof = True
        self._buffer += data

    def read(self, size=-1):
        if size is None or size < 0:
            size = self.max_bytes - self.position
        size = min(size, self.max_bytes - self.position)
        if size <= 0:
            return b''
        self._fill(size)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        self.position += len(data)
        return data

    @property
    def exhausted(self):
        """Whether the reader stopped at ``max_bytes`` before the end."""
        return (self.position >= self.max_bytes and not
                (self.eof and not self._buffer))

    def close(self):
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def _need_inspector():
    if format_inspector is None:
        raise ImageError(_('introspect needs oslo.utils 7.3.0 or newer (its '
                           'image format inspector); this Python has an '
                           'older one'))


def _read(path):
    """Run every inspector over the whole file: ``(inspector, head)``."""
    _need_inspector()
    try:
        with open(path, 'rb') as f:
            head = f.read(16)
            f.seek(0)
            wrapper = format_inspector.InspectWrapper(f)
            try:
                while wrapper.read(CHUNK):
                    pass
            finally:
                wrapper.close()
            return wrapper.format, head
    except OSError as exc:
        raise ImageError(_('cannot read %(path)s: %(exc)s') % {
            'path': path, 'exc': exc.strerror or exc})
    except format_inspector.ImageFormatError as exc:
        raise UnsafeImage(path, [str(exc)])


def _read_url(url, max_bytes, timeout, url_filter):
    """Run the inspectors over as much of a remote image as they need.

    :returns: ``(inspector, head, reader)``.
    """
    _need_inspector()
    reader = RemoteImage(url, max_bytes=max_bytes, timeout=timeout,
                         url_filter=url_filter)
    wrapper = format_inspector.InspectWrapper(reader)
    head = b''
    try:
        while True:
            chunk = wrapper.read(RANGE_FIRST)
            if len(head) < 16:
                head += chunk[:16 - len(head)]
            if not chunk:
                break
            if wrapper.format is not None:
                break
        if reader.exhausted and wrapper.formats is None:
            raise ImageError(_(
                '%(url)s: the format is still undecided after %(n)d bytes; '
                'allow more with --max-bytes') % {'url': url,
                                                  'n': reader.position})
        wrapper.close()
        return wrapper.format, head, reader
    except format_inspector.ImageFormatError as exc:
        raise UnsafeImage(url, [str(exc)])
    finally:
        reader.close()


def _vmdk_parent(inspector):
    """A reason to refuse a VMDK that depends on a parent disk, or None.

    The inspector checks extents and the subformat but lets a descriptor
    through that names a parent disk (qemu opens it as a backing file).
    """
    text = inspector.desc_text or ''
    cid = _PARENT_CID.search(text)
    if _PARENT_HINT.search(text) or (cid and cid.group(1) != 'ffffffff'):
        return _('the VMDK descriptor names a parent disk (a backing '
                 'file)')
    return None


def _vmdk_properties(inspector, notes):
    props = {}
    disktype = VMWARE_DISKTYPES.get(inspector.vmdktype)
    if disktype:
        props['vmware_disktype'] = disktype
    match = _DDB_ADAPTER.search(inspector.desc_text or '')
    if not match:
        notes.append(_('the VMDK descriptor names no adapter type; set '
                       'hw_disk_bus (and hw_scsi_model) yourself'))
        return props
    adapter = match.group(1)
    if adapter not in VMDK_ADAPTERS:
        notes.append(_('unknown VMDK adapter type "%s"; set hw_disk_bus '
                       '(and hw_scsi_model) yourself') % adapter)
        return props
    bus, model = VMDK_ADAPTERS[adapter]
    props['hw_disk_bus'] = bus
    if model:
        props['hw_scsi_model'] = model
    elif bus == 'scsi':
        notes.append(_('VMDK adapter type "%s" names no SCSI controller '
                       'model; set hw_scsi_model yourself') % adapter)
    return props


def inspect(path, max_bytes=MAX_BYTES, timeout=TIMEOUT, url_filter=None):
    """Inspect a disk image file, or an image at an http(s) URL.

    A URL is read with :class:`RemoteImage`: only as far as the format
    inspector needs (at most ``max_bytes``, each request with
    ``timeout``), only where ``url_filter`` lets requests go when there
    is one.

    :returns: a :class:`Result`: ``disk_format`` and ``container_format``
        for Glance, ``min_disk`` in GiB (virtual size rounded up; None if
        unknown), derived image ``properties``, the ``virtual_size`` in
        bytes, a ``format_detail`` (e.g. the VMDK subformat) and ``notes``
        for the reader.
    :raises UnsafeImage: when the inspector's safety check fails (backing
        file, external data file, extents outside the file, unsupported
        subformat, ...) or the content matches more than one format.
    :raises CompressedImage: for a gzip, xz, bzip2 or zstd file.
    :raises LocationRefused: when ``url_filter`` refuses the URL or a
        redirect.
    :raises ImageError: when the file cannot be read.
    """
    if is_url(path):
        inspector, head, reader = _read_url(path, max_bytes, timeout,
                                            url_filter)
    else:
        (inspector, head), reader = _read(path), None
    if inspector is None:
        raise ImageError(_('%s: the format could not be determined') % path)
    if str(inspector) == 'raw':
        compressed = compression_of(head)
        if compressed:
            raise CompressedImage(path, *compressed)
    try:
        inspector.safety_check()
    except format_inspector.SafetyCheckFailed as exc:
        reasons = ['%s (%s)' % (reason, name)
                   for name, reason in sorted(exc.failures.items())]
        raise UnsafeImage(path, reasons)
    notes = []
    props = {}
    detail = None
    name = str(inspector)
    if name == 'vmdk':
        reason = _vmdk_parent(inspector)
        if reason:
            raise UnsafeImage(path, [reason])
        detail = VMWARE_DISKTYPES.get(inspector.vmdktype, inspector.vmdktype)
        props.update(_vmdk_properties(inspector, notes))
    elif name == 'gpt':
        detail = _('GPT partitioned disk')
    elif name == 'luks':
        notes.append(_('LUKS encrypted image: Glance and Nova need its '
                       'encryption properties (os_encrypt_*) too'))
    virtual_size = inspector.virtual_size or None
    if name == 'raw' and reader is not None:
        # A raw image is as big as its data; only the server knows that.
        virtual_size = reader.size
    min_disk = (int(math.ceil(float(virtual_size) / GiB))
                if virtual_size else None)
    if min_disk is None:
        notes.append(_('the virtual size is unknown; set min_disk '
                       'yourself'))
    container = 'bare'
    return Result(DISK_FORMATS.get(name, name), container, min_disk, props,
                  virtual_size, detail, notes)


def template_snippet(result):
    """The resource properties to paste into a template, as a dict."""
    snippet = collections.OrderedDict()
    snippet['disk_format'] = result.disk_format
    snippet['container_format'] = result.container_format
    if result.min_disk is not None:
        snippet['min_disk'] = result.min_disk
    snippet['properties'] = dict(sorted(result.properties.items()))
    return snippet
