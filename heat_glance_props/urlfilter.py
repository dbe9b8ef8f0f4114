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

"""Where heat-engine may send a request: the location check's URL filter.

heat-engine sits in the control plane. When it reads the data at an
image's ``location`` (the location check), a project member chooses the
URL; so that a template cannot make heat-engine reach the metadata
service, a loopback service or an internal network, every URL (the
location and each redirect) passes this filter before anything is sent.

The rules are those of Glance's web-download (``[import_filtering_opts]``:
``allowed_schemes``, ``disallowed_schemes``, ``allowed_hosts``,
``disallowed_hosts``, ``allowed_ports``, ``disallowed_ports``), in that
order, each allowed list winning over its disallowed list when both are
set, and then the addresses:

- a host given as a number in another form than the usual dotted quad
  (``2130706433``, ``0x7f000001``, ``127.1``) is refused;
- a host name is resolved here, once; a listed ``allowed_hosts`` host
  may use any of its addresses; otherwise an address that is loopback,
  link-local (the metadata service), private, shared (carrier-grade NAT),
  multicast, reserved or otherwise not global is refused, unless it lies
  in one of ``allowed_networks``, and so is an address listed in
  ``disallowed_hosts``; IPv6 addresses that carry an IPv4 address
  (IPv4-mapped, NAT64, 6to4) are judged by that IPv4 address;
- the connection goes to an address that passed (:class:`Target`), never
  to a new resolution of the name: a DNS answer that changes in between
  (DNS rebinding) changes nothing.

Two things are stricter than Glance: the port rules apply to the port a
URL uses (80 or 443 when it names none), and private, shared, multicast
and reserved addresses are refused too (Glance refuses loopback and
link-local addresses only).

:func:`opener` reads through a filter: no proxy, every redirect checked,
each connection pinned to the checked addresses. No Heat import, no
oslo.config: :func:`heat_glance_props.opts.location_filter` builds the
filter from heat.conf.
"""

import collections
import functools
import http.client
import ipaddress
import re
import socket
import urllib.parse
import urllib.request

from heat_glance_props._i18n import _

#: The defaults, those of Glance's [import_filtering_opts].
DEFAULT_SCHEMES = ('http', 'https')
DEFAULT_PORTS = (80, 443)

DEFAULT_PORT = {'http': 80, 'https': 443}

#: Address blocks that are not the public Internet, with what they are.
#: Checked in this order; an address in none of them must still be
#: global (``ipaddress``' is_global) to pass.
SPECIAL_NETWORKS = [(ipaddress.ip_network(net), kind) for net, kind in (
    ('0.0.0.0/8', _('an address of "this network"')),
    ('10.0.0.0/8', _('a private address')),
    ('100.64.0.0/10', _('a shared (carrier-grade NAT) address')),
    ('127.0.0.0/8', _('a loopback address')),
    ('169.254.0.0/16', _('a link-local address (the metadata service '
                         'is one)')),
    ('172.16.0.0/12', _('a private address')),
    ('192.0.0.0/24', _('an IETF protocol address')),
    ('192.0.2.0/24', _('a documentation address')),
    ('192.88.99.0/24', _('a 6to4 relay address')),
    ('192.168.0.0/16', _('a private address')),
    ('198.18.0.0/15', _('a benchmarking address')),
    ('198.51.100.0/24', _('a documentation address')),
    ('203.0.113.0/24', _('a documentation address')),
    ('224.0.0.0/4', _('a multicast address')),
    ('240.0.0.0/4', _('a reserved address')),
    ('::/128', _('the unspecified address')),
    ('::1/128', _('a loopback address')),
    ('::/96', _('an IPv4-compatible (deprecated) address')),
    ('64:ff9b:1::/48', _('a local NAT64 address')),
    ('100::/64', _('a discard address')),
    ('2001::/32', _('a Teredo address')),
    ('2001::/23', _('an IETF protocol address')),
    ('2001:db8::/32', _('a documentation address')),
    ('fc00::/7', _('a unique local (private) address')),
    ('fe80::/10', _('a link-local address')),
    ('fec0::/10', _('a site-local address')),
    ('ff00::/8', _('a multicast address')),
)]

_NAT64 = ipaddress.ip_network('64:ff9b::/96')

#: A label as inet_aton(3) reads a number: decimal, octal or hex.
_NUMBER_LABEL = re.compile(r'^(0x[0-9a-f]*|[0-9]+)$')
_NAME = re.compile(r'^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$')


class Refused(Exception):
    """No request may go to this URL; ``str()`` says why."""


Target = collections.namedtuple('Target', ['scheme', 'host', 'port',
                                           'addresses'])
Target.__doc__ = """Where a URL that passed may be read: connect to
``addresses`` (in order, numeric, every one checked) on ``port``, and
name ``host`` (Host header, TLS server name)."""


def _norm_host(host):
    """A host as the rules compare it.

    An IP address in its usual form, a name in lower case without a
    trailing dot.
    """
    host = (host or '').strip().lower()
    if host.startswith('[') and host.endswith(']'):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.rstrip('.')


def _ip(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _embedded_ipv4(addr):
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4)."""
    if addr.version != 6:
        return None
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xffffffff)
    return addr.sixtofour


def special_kind(addr):
    """What a non-public address is (a message); None for a public one."""
    inner = _embedded_ipv4(addr)
    if inner is not None:
        kind = special_kind(inner)
        return (_('%(kind)s (it carries the IPv4 address %(inner)s)') % {
            'kind': kind, 'inner': inner} if kind else None)
    for network, kind in SPECIAL_NETWORKS:
        if addr.version == network.version and addr in network:
            return kind
    if not addr.is_global:
        return _('not a global address')
    return None


def _resolve(host, port):
    """Every address of ``host`` for a TCP connection, in order."""
    found = []
    for family, _type, _proto, _name, sockaddr in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP):
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        text = sockaddr[0]
        if text not in found:
            found.append(text)
    return found


class URLFilter(object):
    """Glance's web-download rules, and the address checks, for one URL.

    :param resolver: ``(host, port) -> [address text, ...]``; the system
        resolver by default (tests give another one to play a DNS).
    """

    def __init__(self, allowed_schemes=DEFAULT_SCHEMES,
                 disallowed_schemes=(), allowed_hosts=(),
                 disallowed_hosts=(), allowed_ports=DEFAULT_PORTS,
                 disallowed_ports=(), allowed_networks=(), resolver=None):
        self.allowed_schemes = frozenset(s.lower() for s in
                                         allowed_schemes or ())
        self.disallowed_schemes = frozenset(
            () if self.allowed_schemes else
            (s.lower() for s in disallowed_schemes or ()))
        self.allowed_hosts = frozenset(_norm_host(h) for h in
                                       allowed_hosts or ())
        self.disallowed_hosts = frozenset(
            () if self.allowed_hosts else
            (_norm_host(h) for h in disallowed_hosts or ()))
        self.allowed_ports = frozenset(int(p) for p in allowed_ports or ())
        self.disallowed_ports = frozenset(
            () if self.allowed_ports else
            (int(p) for p in disallowed_ports or ()))
        self.allowed_networks = tuple(ipaddress.ip_network(n)
                                      for n in allowed_networks or ())
        self._resolver = resolver or _resolve

    def check(self, url):
        """Where ``url`` may be read.

        :returns: a :class:`Target`.
        :raises Refused: with the reason, when no request may go there.
        """
        try:
            parts = urllib.parse.urlsplit(str(url))
            port = parts.port
        except ValueError as exc:
            raise Refused(_('%(url)s is not a valid URL: %(exc)s') % {
                'url': url, 'exc': exc})
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORT:
            raise Refused(_('the scheme "%s" is not read (only http and '
                            'https are)') % scheme)
        if self.allowed_schemes and scheme not in self.allowed_schemes:
            raise Refused(_('the scheme "%s" is not in allowed_schemes') %
                          scheme)
        if scheme in self.disallowed_schemes:
            raise Refused(_('the scheme "%s" is in disallowed_schemes') %
                          scheme)
        host = _norm_host(parts.hostname)
        self._check_host_form(host)
        if self.allowed_hosts and host not in self.allowed_hosts:
            raise Refused(_('the host %s is not in allowed_hosts') % host)
        if host in self.disallowed_hosts:
            raise Refused(_('the host %s is in disallowed_hosts') % host)
        if port is None:
            port = DEFAULT_PORT[scheme]
        if self.allowed_ports and port not in self.allowed_ports:
            raise Refused(_('the port %d is not in allowed_ports') % port)
        if port in self.disallowed_ports:
            raise Refused(_('the port %d is in disallowed_ports') % port)
        return Target(scheme, host, port, self._addresses(host, port))

    def allows(self, url):
        """Whether :meth:`check` lets ``url`` through."""
        try:
            self.check(url)
        except Refused:
            return False
        return True

    @staticmethod
    def _check_host_form(host):
        if not host:
            raise Refused(_('the URL names no host'))
        if _ip(host) is not None:
            return
        labels = host.split('.')
        if all(_NUMBER_LABEL.match(label) for label in labels):
            # inet_aton(3) reads these as an address.
            raise Refused(_('the host %s is an address written as a '
                            'number: write it as an IP address') % host)
        if not all(_NAME.match(label) for label in labels):
            raise Refused(_('the host %s is not a valid host name') % host)

    def _addresses(self, host, port):
        literal = _ip(host)
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = self._resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise Refused(_('the host %(host)s cannot be resolved: '
                                '%(exc)s') % {'host': host, 'exc': exc})
        if host in self.allowed_hosts:
            # Listed by name (or address): the operator allowed it,
            # whatever it resolves to.
            if not found:
                raise Refused(_('the host %s has no address') % host)
            return tuple(found)
        passed = []
        reasons = []
        special = False
        for text in found:
            reason, is_special = self._address_reason(text)
            if reason:
                reasons.append(reason)
                special = special or is_special
            else:
                passed.append(text)
        if not passed:
            if not reasons:
                raise Refused(_('the host %s has no address') % host)
            why = '; '.join(reasons)
            if special:
                why = _('%s: list the host in allowed_hosts, or the address '
                        'in allowed_networks, to allow it') % why
            raise Refused(why)
        return tuple(passed)

    def _address_reason(self, text):
        """``(why no request may go to this address, special)``.

        ``(None, False)`` for an address that passes; ``special`` is true
        for a non-public address (allowed_hosts or allowed_networks would
        let it through).
        """
        addr = _ip(text.split('%', 1)[0])
        if addr is None:
            return _('%s is not an IP address') % text, False
        if str(addr) in self.disallowed_hosts:
            return _('%s is in disallowed_hosts') % addr, False
        if any(addr.version == net.version and addr in net
               for net in self.allowed_networks):
            return None, False
        kind = special_kind(addr)
        if kind:
            return _('%(addr)s is %(kind)s') % {'addr': addr,
                                                'kind': kind}, True
        return None, False


def _connect_checked(addresses, port, timeout, source_address=None):
    """A TCP connection to the first of ``addresses`` that answers."""
    error = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout,
                                            source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(_('no address to connect to'))


def _pin(connection, target):
    # http.client opens its socket with self._create_connection(
    # (host, port), ...): the socket goes to a checked address instead,
    # while the Host header and the TLS server name stay the URL's host.
    connection._create_connection = (
        lambda _address, timeout, source=None: _connect_checked(
            target.addresses, target.port, timeout, source))
    return connection


class _CheckedOpen(object):
    """Opens a request only after the filter checked its URL."""

    def __init__(self, url_filter):
        super(_CheckedOpen, self).__init__()
        self.url_filter = url_filter

    def _open_checked(self, connection_class, req):
        target = self.url_filter.check(req.full_url)
        return self.do_open(functools.partial(_checked_connection,
                                              connection_class, target), req)


class _CheckedHTTPHandler(_CheckedOpen, urllib.request.HTTPHandler):

    def http_open(self, req):
        return self._open_checked(http.client.HTTPConnection, req)


class _CheckedHTTPSHandler(_CheckedOpen, urllib.request.HTTPSHandler):

    def https_open(self, req):
        return self._open_checked(http.client.HTTPSConnection, req)


def _checked_connection(cls, target, host, **kwargs):
    connection = cls(host, **kwargs)
    return _pin(connection, target)


class _CheckedRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a URL the filter lets through."""

    def __init__(self, url_filter):
        super(_CheckedRedirectHandler, self).__init__()
        self.url_filter = url_filter

    def http_error_302(self, req, fp, code, msg, headers):
        newurl = headers.get('location') or headers.get('uri')
        if newurl:
            newurl = urllib.parse.urljoin(req.full_url, newurl)
            try:
                self.url_filter.check(newurl)
            except Refused as exc:
                fp.close()
                raise Refused(_('%(url)s redirects to %(new)s: %(why)s') % {
                    'url': req.full_url, 'new': newurl, 'why': exc})
        return super(_CheckedRedirectHandler, self).http_error_302(
            req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_302
    http_error_308 = http_error_302


def opener(url_filter):
    """A urllib opener that sends requests only where the filter lets them.

    Only http and https; no proxy (the check is about where this host
    itself connects); redirects followed only to URLs that pass; each
    connection goes to an address the filter checked for it.
    :class:`Refused` comes out of ``open()`` as it is.
    """
    director = urllib.request.OpenerDirector()
    for handler in (urllib.request.UnknownHandler(),
                    _CheckedHTTPHandler(url_filter),
                    _CheckedHTTPSHandler(url_filter),
                    urllib.request.HTTPDefaultErrorHandler(),
                    _CheckedRedirectHandler(url_filter),
                    urllib.request.HTTPErrorProcessor()):
        director.add_handler(handler)
    return director
