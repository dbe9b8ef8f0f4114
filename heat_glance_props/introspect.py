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

try:
    from oslo_utils.imageutils import format_inspector
except ImportError:  # oslo.utils < 7.3.0 (2024.1) has no format inspector
    format_inspector = None

from heat_glance_props._i18n import _

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


def _read(path):
    """Run every inspector over the whole file; the matching inspector."""
    if format_inspector is None:
        raise ImageError(_('introspect needs oslo.utils 7.3.0 or newer (its '
                           'image format inspector); this Python has an '
                           'older one'))
    try:
        with open(path, 'rb') as f:
            wrapper = format_inspector.InspectWrapper(f)
            try:
                while wrapper.read(CHUNK):
                    pass
            finally:
                wrapper.close()
            return wrapper.format
    except OSError as exc:
        raise ImageError(_('cannot read %(path)s: %(exc)s') % {
            'path': path, 'exc': exc.strerror or exc})
    except format_inspector.ImageFormatError as exc:
        raise UnsafeImage(path, [str(exc)])


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


def inspect(path):
    """Inspect a disk image file.

    :returns: a :class:`Result`: ``disk_format`` and ``container_format``
        for Glance, ``min_disk`` in GiB (virtual size rounded up; None if
        unknown), derived image ``properties``, the ``virtual_size`` in
        bytes, a ``format_detail`` (e.g. the VMDK subformat) and ``notes``
        for the reader.
    :raises UnsafeImage: when the inspector's safety check fails (backing
        file, external data file, extents outside the file, unsupported
        subformat, ...) or the content matches more than one format.
    :raises ImageError: when the file cannot be read.
    """
    inspector = _read(path)
    if inspector is None:
        raise ImageError(_('%s: the format could not be determined') % path)
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
