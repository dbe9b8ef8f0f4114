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

"""Verify the data Glance stored against a hash the template expects.

Plain functions, no Heat import. Glance hashes what it stores with its
``hashing_algorithm`` (sha512 by default) into ``os_hash_algo`` and
``os_hash_value``. When the template's algorithm is the same, the two
values are compared and no data is read; otherwise the data is read back
from Glance once, as a stream, and hashed here.
"""

import hashlib
import hmac

from heat_glance_props._i18n import _

#: The algorithms a template may name (hashlib's names, as Glance's).
ALGORITHMS = ('sha256', 'sha384', 'sha512', 'sha3_256', 'sha3_384',
              'sha3_512', 'blake2b')


class HashError(Exception):
    """The data cannot be shown to have the expected hash."""


class Mismatch(HashError):
    """The data has another hash than the expected one."""


def normalise(value):
    return (value or '').strip().lower()


def value_problem(algorithm, value):
    """Why an expected hash is malformed, or None."""
    if algorithm not in ALGORITHMS:
        return _("algorithm '%(algo)s' is not one of %(known)s") % {
            'algo': algorithm, 'known': ', '.join(ALGORITHMS)}
    size = hashlib.new(algorithm).digest_size * 2
    value = normalise(value)
    if len(value) != size or any(c not in '0123456789abcdef' for c in value):
        return _('a %(algo)s hash is %(size)d hexadecimal digits') % {
            'algo': algorithm, 'size': size}
    return None


def hash_stream(algorithm, chunks):
    """The hex digest of an iterable of byte strings, and its length."""
    digest = hashlib.new(algorithm)
    length = 0
    for chunk in chunks:
        digest.update(chunk)
        length += len(chunk)
    return digest.hexdigest(), length


def verify(image_id, algorithm, expected, glance_algo, glance_value,
           read_data=None, converted=None):
    """Check that the stored data has the expected hash.

    :param algorithm: the template's algorithm; ``expected`` its value.
    :param glance_algo: Glance's ``os_hash_algo``; ``glance_value`` its
        ``os_hash_value``.
    :param read_data: a callable returning an iterable of the stored
        bytes, or None when reading the data back is turned off.
    :param converted: ``(from, to)`` disk formats when Glance converted
        the data on import, else None.
    :returns: how it was verified: ``'glance'`` (Glance's own hash) or
        ``'download'`` (read back and hashed).
    :raises Mismatch: the data has another hash.
    :raises HashError: the data cannot be verified.
    """
    expected = normalise(expected)
    args = {'id': image_id, 'algo': algorithm, 'expected': expected}
    if converted:
        args['from'], args['to'] = converted
        raise HashError(_(
            'Image %(id)s cannot be verified against the expected '
            '%(algo)s hash: Glance converted its data on import '
            '(disk_format %(from)s to %(to)s), so what Glance stored is '
            'not the data at "location". Remove "expected_hash" on this '
            'cloud, or give the hash of the converted data.') % args)
    if algorithm == glance_algo:
        actual, how = normalise(glance_value), 'glance'
    elif read_data is None:
        args['glance_algo'] = glance_algo
        raise HashError(_(
            'Image %(id)s cannot be verified against the expected '
            '%(algo)s hash: this Glance hashes with %(glance_algo)s, and '
            'reading the data back is turned off ([glance_properties] '
            'verify_by_download). Give the %(glance_algo)s hash of the '
            'data instead.') % args)
    else:
        actual, _size = hash_stream(algorithm, read_data())
        how = 'download'
    if not hmac.compare_digest(actual, expected):
        args['actual'] = actual
        raise Mismatch(_(
            'The data Glance imported for image %(id)s does not have the '
            'expected %(algo)s hash: expected %(expected)s, got '
            '%(actual)s. The data at "location" is not what the template '
            'expects (or this Glance changed it on import, e.g. '
            'decompressed it).') % args)
    return how
