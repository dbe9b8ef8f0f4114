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

"""The location check's URL filter: the rules, then real requests.

The rules (schemes, hosts, ports, address ranges) are decided before
anything is sent; :class:`RulesTest` checks them with IP literals (no DNS)
and, where a name must resolve, with a resolver given to the filter that
answers like a DNS would (a DNS server of our own that answers what a test
wants is out of reach here; the filter's only use of DNS is that call).
:class:`RequestsTest` sends real requests to real HTTP servers on
127.0.0.1 and 127.0.0.2 and counts what reaches each one.
"""

import datetime
import os
import socket
import ssl

import fixtures
from oslo_config import cfg
import testtools

from heat_glance_props import introspect
from heat_glance_props import opts
from heat_glance_props import precheck
from heat_glance_props import urlfilter
from tests.unit import imageserver

IMAGES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'fixtures', 'images')

GENERIC = 'Task failed due to Internal Error'


def _qcow2():
    with open(os.path.join(IMAGES, 'disk.qcow2'), 'rb') as f:
        return f.read()


def _tls_files(directory, name):
    """A CA and a server certificate for ``name`` signed by it.

    :returns: ``(ca_file, cert_file, key_file)``.
    """
    # cryptography comes with Heat (a requirement of openstack-heat).
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject, issuer, key, sign_key, ca, extra=()):
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(
                       NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(
                       NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca,
                                                        path_length=None),
                                  critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                       key.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.
                                  from_issuer_public_key(
                                      sign_key.public_key()),
                                  critical=False))
        for ext, critical in extra:
            builder = builder.add_extension(ext, critical=critical)
        return builder.sign(sign_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build('test CA', 'test CA', ca_key, ca_key, True, [
        (x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                       crl_sign=True, content_commitment=False,
                       key_encipherment=False, data_encipherment=False,
                       key_agreement=False, encipher_only=False,
                       decipher_only=False), True)])
    key = ec.generate_private_key(ec.SECP256R1())
    cert = build(name, 'test CA', key, ca_key, False, [
        (x509.SubjectAlternativeName([x509.DNSName(name)]), False),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)])
    paths = [os.path.join(directory, n) for n in ('ca.pem', 'cert.pem',
                                                  'key.pem')]
    pem = serialization.Encoding.PEM
    for path, data in zip(paths, (
            ca.public_bytes(pem), cert.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))):
        with open(path, 'wb') as f:
            f.write(data)
    return paths


def _dns(answers):
    """A resolver for the filter: ``{name: [address, ...]}``.

    A list of lists answers each lookup of the name with the next one.
    """
    calls = []

    def resolve(host, port):
        calls.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, 'Name or service not '
                                  'known')
        answer = answers[host]
        if answer and isinstance(answer[0], list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer
    resolve.calls = calls
    return resolve


class RulesTest(testtools.TestCase):

    def assert_refused(self, url, why, **rules):
        err = self.assertRaises(urlfilter.Refused,
                                urlfilter.URLFilter(**rules).check, url)
        self.assertIn(why, str(err))
        return err

    def test_defaults_are_glances(self):
        f = urlfilter.URLFilter()
        self.assertEqual(frozenset(['http', 'https']), f.allowed_schemes)
        self.assertEqual(frozenset([80, 443]), f.allowed_ports)
        self.assertEqual(('https', '8.8.8.8', 443, ('8.8.8.8',)),
                         tuple(f.check('https://8.8.8.8/disk.img')))
        self.assertEqual(80, f.check('http://8.8.8.8/disk.img').port)

    def test_schemes(self):
        for url in ('ftp://8.8.8.8/x', 'file:///etc/passwd',
                    'gopher://8.8.8.8/', 'data:,x', '/etc/passwd'):
            self.assert_refused(url, 'is not read (only http and https')
        self.assert_refused('http://8.8.8.8/', 'the scheme "http" is not in '
                            'allowed_schemes', allowed_schemes=['https'])
        # The allowed list wins over the disallowed one, as in Glance.
        urlfilter.URLFilter(allowed_schemes=['http'],
                            disallowed_schemes=['http']).check(
            'http://8.8.8.8/')
        self.assert_refused('http://8.8.8.8/', 'the scheme "http" is in '
                            'disallowed_schemes', allowed_schemes=[],
                            disallowed_schemes=['http'])
        urlfilter.URLFilter(allowed_schemes=[],
                            disallowed_schemes=['http']).check(
            'HTTPS://8.8.8.8/')

    def test_allowed_hosts(self):
        rules = {'allowed_hosts': ['Images.Example.COM', '8.8.4.4',
                                   '2001:DB8:0::1']}
        dns = _dns({'images.example.com': ['8.8.8.8']})
        f = urlfilter.URLFilter(resolver=dns, **rules)
        # Names compare in lower case, without a trailing dot; addresses
        # in their usual form.
        self.assertEqual(('8.8.8.8',),
                         f.check('http://IMAGES.example.com./x').addresses)
        self.assertEqual(('2001:db8::1',),
                         f.check('http://[2001:db8:0:0::1]/x').addresses)
        self.assert_refused('http://8.8.8.8/x', 'the host 8.8.8.8 is not in '
                            'allowed_hosts', **rules)
        self.assert_refused('http://other.example.com/x', 'not in '
                            'allowed_hosts', **rules)
        # The disallowed list is ignored when there is an allowed one.
        urlfilter.URLFilter(allowed_hosts=['8.8.4.4'],
                            disallowed_hosts=['8.8.4.4']).check(
            'http://8.8.4.4/')

    def test_an_allowed_host_may_use_any_address(self):
        # "Unless allowed explicitly by host": as in Glance.
        dns = _dns({'mirror.internal': ['10.1.2.3', '127.0.0.1']})
        f = urlfilter.URLFilter(allowed_hosts=['mirror.internal',
                                               '169.254.169.254'],
                                resolver=dns)
        self.assertEqual(('10.1.2.3', '127.0.0.1'),
                         f.check('http://mirror.internal/x').addresses)
        self.assertEqual(('169.254.169.254',),
                         f.check('http://169.254.169.254/x').addresses)

    def test_disallowed_hosts(self):
        dns = _dns({'bad.example.org': ['8.8.8.8'],
                    'twice.example.org': ['8.8.8.8', '1.1.1.1'],
                    'good.example.org': ['1.1.1.1']})
        rules = {'disallowed_hosts': ['Bad.Example.Org', '8.8.8.8'],
                 'resolver': dns}
        self.assert_refused('http://bad.example.org./x', 'the host '
                            'bad.example.org is in disallowed_hosts', **rules)
        self.assert_refused('http://8.8.8.8/x', 'the host 8.8.8.8 is in '
                            'disallowed_hosts', **rules)
        f = urlfilter.URLFilter(**rules)
        # A listed address is refused whatever name leads to it; the
        # other addresses of the name stay usable.
        self.assertEqual(('1.1.1.1',),
                         f.check('http://twice.example.org/x').addresses)
        self.assertEqual(('1.1.1.1',),
                         f.check('http://good.example.org/x').addresses)
        dns = _dns({'alias.example.org': ['8.8.8.8']})
        self.assert_refused('http://alias.example.org/x', '8.8.8.8 is in '
                            'disallowed_hosts', resolver=dns,
                            disallowed_hosts=['8.8.8.8'])

    def test_hosts_written_as_numbers(self):
        # inet_aton(3) reads all of these as 127.0.0.1.
        for host in ('2130706433', '0x7f000001', '017700000001', '127.1',
                     '0x7f.0.0.1', '0177.0.0.1', '127.0.1'):
            self.assert_refused('http://%s/x' % host, 'is an address '
                                'written as a number')
        for url in ('http:///x', 'http://:80/x'):
            self.assert_refused(url, 'the URL names no host')
        self.assert_refused('http://bad_host!.example/x',
                            'is not a valid host name')

    def test_ports(self):
        self.assert_refused('http://8.8.8.8:8080/x', 'the port 8080 is not '
                            'in allowed_ports')
        # Stricter than Glance: a URL without a port is checked with the
        # scheme's port.
        self.assert_refused('http://8.8.8.8/x', 'the port 80 is not in '
                            'allowed_ports', allowed_ports=[8080])
        self.assert_refused('https://8.8.8.8/x', 'the port 443 is not in '
                            'allowed_ports', allowed_ports=[8080])
        urlfilter.URLFilter(allowed_ports=[8080]).check(
            'http://8.8.8.8:8080/x')
        self.assert_refused('http://8.8.8.8:22/x', 'the port 22 is in '
                            'disallowed_ports', allowed_ports=[],
                            disallowed_ports=[22])
        urlfilter.URLFilter(allowed_ports=[], disallowed_ports=[22]).check(
            'http://8.8.8.8:8080/x')
        urlfilter.URLFilter(allowed_ports=[22], disallowed_ports=[22]).check(
            'http://8.8.8.8:22/x')
        self.assert_refused('http://8.8.8.8:99999/x', 'is not a valid URL')

    def test_address_ranges(self):
        refused = {
            '127.0.0.1': 'a loopback address',
            '127.0.0.2': 'a loopback address',
            '169.254.169.254': 'a link-local address (the metadata '
                               'service is one)',
            '10.0.0.1': 'a private address',
            '172.16.5.4': 'a private address',
            '192.168.1.1': 'a private address',
            '100.64.0.1': 'a shared (carrier-grade NAT) address',
            '0.0.0.0': 'an address of "this network"',
            '224.0.0.251': 'a multicast address',
            '239.1.2.3': 'a multicast address',
            '240.0.0.1': 'a reserved address',
            '255.255.255.255': 'a reserved address',
            '192.0.2.1': 'a documentation address',
            '198.18.0.1': 'a benchmarking address',
            '::1': 'a loopback address',
            '::': 'the unspecified address',
            'fe80::1': 'a link-local address',
            'fd00:ec2::254': 'a unique local (private) address',
            'ff02::1': 'a multicast address',
            'fec0::1': 'a site-local address',
            '::7f00:1': 'an IPv4-compatible (deprecated) address',
            '2001:db8::1': 'a documentation address',
            '2001::1': 'a Teredo address',
            '64:ff9b:1::1': 'a local NAT64 address',
            # IPv6 addresses that carry an IPv4 address.
            '::ffff:127.0.0.1': 'a loopback address (it carries the IPv4 '
                                'address 127.0.0.1)',
            '::ffff:169.254.169.254': 'a link-local address (the metadata '
                                      'service is one) (it carries the '
                                      'IPv4 address 169.254.169.254)',
            '64:ff9b::a9fe:a9fe': 'it carries the IPv4 address '
                                  '169.254.169.254',
            '2002:a00:1::1': 'a private address (it carries the IPv4 '
                             'address 10.0.0.1)',
        }
        for address, kind in sorted(refused.items()):
            host = '[%s]' % address if ':' in address else address
            err = self.assert_refused('http://%s/x' % host, kind)
            self.assertIn('list the host in allowed_hosts, or the address '
                          'in allowed_networks', str(err))
        # Names are judged by what they resolve to.
        dns = _dns({'meta.example.org': ['169.254.169.254'],
                    'mixed.example.org': ['10.0.0.1', '8.8.8.8']})
        self.assert_refused('http://meta.example.org/x', '169.254.169.254 is '
                            'a link-local address', resolver=dns)
        f = urlfilter.URLFilter(resolver=dns)
        self.assertEqual(('8.8.8.8',),
                         f.check('http://mixed.example.org/x').addresses)
        for address in ('8.8.8.8', '1.1.1.1', '2001:4860:4860::8888',
                        '::ffff:8.8.8.8', '64:ff9b::808:808'):
            host = '[%s]' % address if ':' in address else address
            f.check('http://%s/x' % host)

    def test_allowed_networks(self):
        rules = {'allowed_networks': ['10.20.0.0/16', 'fd00::/8']}
        f = urlfilter.URLFilter(**rules)
        f.check('http://10.20.3.4/x')
        f.check('http://[fd00::5]/x')
        self.assert_refused('http://10.21.0.1/x', 'a private address',
                            **rules)
        # Still refused when listed in disallowed_hosts.
        self.assert_refused('http://10.20.3.4/x', 'in disallowed_hosts',
                            disallowed_hosts=['10.20.3.4'], **rules)

    def test_unresolvable_and_empty_answers(self):
        self.assert_refused('http://nowhere.example.org/x', 'the host '
                            'nowhere.example.org cannot be resolved',
                            resolver=_dns({}))
        self.assert_refused('http://empty.example.org/x', 'has no address',
                            resolver=_dns({'empty.example.org': []}))
        self.assertFalse(urlfilter.URLFilter(resolver=_dns({})).allows(
            'http://nowhere.example.org/x'))
        self.assertTrue(urlfilter.URLFilter().allows('http://8.8.8.8/x'))

    def test_options(self):
        conf = cfg.ConfigOpts()
        conf([])
        f = opts.location_filter(conf)
        self.assertEqual((frozenset(['http', 'https']), frozenset(),
                          frozenset(), frozenset(), frozenset([80, 443]),
                          frozenset(), ()),
                         (f.allowed_schemes, f.disallowed_schemes,
                          f.allowed_hosts, f.disallowed_hosts,
                          f.allowed_ports, f.disallowed_ports,
                          f.allowed_networks))
        for name, value in (('allowed_hosts', ['127.0.0.1', 'mirror']),
                            ('allowed_ports', [8080]),
                            ('allowed_networks', ['10.0.0.0/8'])):
            conf.set_override(name, value, group=opts.GROUP)
        f = opts.location_filter(conf)
        self.assertEqual(frozenset(['127.0.0.1', 'mirror']), f.allowed_hosts)
        self.assertEqual(frozenset([8080]), f.allowed_ports)
        self.assertEqual('10.0.0.0/8', str(f.allowed_networks[0]))
        self.assertRaises(ValueError, conf.set_override, 'allowed_networks',
                          ['10.0.0.1/8'], group=opts.GROUP)
        self.assertRaises(ValueError, conf.set_override, 'allowed_ports',
                          [0], group=opts.GROUP)
        names = [o.name for o in opts.list_opts()[0][1]]
        for name in ('allowed_schemes', 'disallowed_schemes',
                     'allowed_hosts', 'disallowed_hosts', 'allowed_ports',
                     'disallowed_ports', 'allowed_networks'):
            self.assertIn(name, names)

    def test_options_from_a_heat_conf(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'heat.conf')
        with open(path, 'w') as f:
            # The list syntax of Glance's options (bounds=True).
            f.write('[glance_properties]\nallowed_hosts = '
                    '[images.example.org]\nallowed_ports = [8080, 8443]\n')
        f = opts.location_filter(opts.load([path]))
        self.assertEqual(frozenset(['images.example.org']), f.allowed_hosts)
        self.assertEqual(frozenset([8080, 8443]), f.allowed_ports)


class ServerFixture(fixtures.Fixture):

    def __init__(self, host='127.0.0.1'):
        self.host = host

    def _setUp(self):
        self.server = imageserver.ImageServer(host=self.host)
        self.addCleanup(self.server.stop)


class RequestsTest(testtools.TestCase):
    """Real requests: what reaches each server, and what never does."""

    def setUp(self):
        super(RequestsTest, self).setUp()
        # The allowed server, and an "internal" one on another loopback
        # address that nothing lets heat-engine reach.
        self.allowed = self.useFixture(ServerFixture('127.0.0.1')).server
        self.internal = self.useFixture(ServerFixture('127.0.0.2')).server
        self.secret = self.internal.add('secret.img', _qcow2())

    def conf(self, **values):
        conf = cfg.ConfigOpts()
        conf([])
        opts.register_opts(conf)
        for name, value in values.items():
            conf.set_override(name, value, group=opts.GROUP)
        return conf

    def engine_conf(self):
        """What an operator mirrors from Glance: 127.0.0.1 and its port."""
        return self.conf(allowed_hosts=['127.0.0.1'],
                         allowed_ports=[self.allowed.port])

    def test_a_refused_location_is_not_checked_and_not_read(self):
        for conf, why in (
                (self.conf(), 'the port %d is not in allowed_ports'
                 % self.internal.port),
                (self.engine_conf(), 'the host 127.0.0.2 is not in '
                 'allowed_hosts'),
                (self.conf(allowed_ports=[self.internal.port]),
                 '127.0.0.2 is a loopback address')):
            # Strict: a location the check may not read never refuses
            # the create; it is a warning that says why.
            warning, = precheck.before_create(self.secret, 'raw',
                                              precheck.STRICT, conf=conf)
            self.assertIn('did not check the data at location %s against '
                          'disk_format raw: the location check may not read '
                          'it (%s' % (self.secret, why), warning)
        self.assertEqual([], self.internal.requests())

    def test_a_redirect_to_a_refused_host_is_not_followed(self):
        moved = self.allowed.add('moved.img', b'', mode='redirect',
                                 to=self.secret)
        warning, = precheck.before_create(moved, 'raw', precheck.STRICT,
                                          conf=self.engine_conf())
        self.assertIn('%s redirects to %s: the host 127.0.0.2 is not in '
                      'allowed_hosts' % (moved, self.secret), warning)
        # The allowed server was asked once; the internal one never.
        self.assertEqual(1, len(self.allowed.requests('moved.img')))
        self.assertEqual([], self.internal.requests())
        # The import-failure explanation reads the location too: the same
        # filter, the same nothing, and the message without a finding.
        msg = precheck.explain_import_failure(
            'img-1', moved, 'vmdk', 'queued', 'task-1', GENERIC,
            mode=precheck.STRICT, conf=self.engine_conf())
        self.assertIn('may not be of disk_format vmdk', msg)
        self.assertEqual([], self.internal.requests())

    def test_redirects_to_a_refused_port_or_scheme(self):
        other = self.useFixture(ServerFixture('127.0.0.1')).server
        target = other.add('t.img', _qcow2())
        for name, to, why in (
                ('port.img', target, 'the port %d is not in allowed_ports'
                 % other.port),
                ('file.img', 'file:///etc/passwd', 'the scheme "file" is '
                 'not read'),
                ('meta.img', 'http://169.254.169.254/latest/meta-data/',
                 'the host 169.254.169.254 is not in allowed_hosts')):
            url = self.allowed.add(name, b'', mode='redirect', to=to)
            (level, message), = precheck.check_location(
                url, 'raw', url_filter=opts.location_filter(
                    self.engine_conf()))
            self.assertEqual(precheck.WARNING, level)
            self.assertIn('redirects to %s: %s' % (to, why), message)
        self.assertEqual([], other.requests())

    def test_allowed_locations_and_redirects_are_read(self):
        # The check still works where the filter lets it.
        conf = self.conf(allowed_hosts=['127.0.0.1', '127.0.0.2'],
                         allowed_ports=[self.allowed.port,
                                        self.internal.port])
        moved = self.allowed.add('moved.img', b'', mode='redirect',
                                 to=self.secret)
        for url in (self.secret, moved):
            err = self.assertRaises(precheck.LocationMismatch,
                                    precheck.before_create, url, 'raw',
                                    precheck.STRICT, conf=conf)
            self.assertIn('is qcow2, but disk_format is raw', str(err))
        msg = precheck.explain_import_failure(
            'img-1', moved, 'vmdk', 'queued', 'task-1', GENERIC,
            mode=precheck.WARN, conf=conf)
        self.assertIn('is qcow2, but disk_format is vmdk', msg)
        self.assertNotEqual([], self.allowed.requests('moved.img'))
        self.assertNotEqual([], self.internal.requests('secret.img'))

    def test_the_connection_goes_to_the_checked_address(self):
        # A name that the system cannot resolve, that the filter's
        # resolver answers with 127.0.0.1: the request can only arrive
        # if the connection goes to the address that was checked.
        dns = _dns({'images.test': ['127.0.0.1']})
        f = urlfilter.URLFilter(allowed_ports=[self.allowed.port],
                                allowed_networks=['127.0.0.1/32'],
                                resolver=dns)
        self.allowed.add('named.img', _qcow2())
        url = 'http://images.test:%d/named.img' % self.allowed.port
        self.assertEqual('qcow2', introspect.inspect(
            url, url_filter=f).disk_format)
        # The Host header names the URL's host.
        self.assertEqual({'images.test:%d' % self.allowed.port},
                         set(self.allowed.hosts()))
        # One lookup per request, each one checked.
        self.assertEqual(len(self.allowed.requests()), len(dns.calls))

    def test_dns_rebinding(self):
        # The name first resolves to an allowed address, then to the
        # internal one: the request after the change is refused, and the
        # internal server sees nothing.
        dns = _dns({'images.test': [['127.0.0.1'], ['127.0.0.2']]})
        f = urlfilter.URLFilter(allowed_ports=[self.allowed.port,
                                               self.internal.port],
                                allowed_networks=['127.0.0.1/32'],
                                resolver=dns)
        url = 'http://images.test:%d/secret.img' % self.internal.port
        (level, message), = precheck.check_location(url, 'raw',
                                                    url_filter=f)
        self.assertEqual(precheck.WARNING, level)
        self.assertIn('127.0.0.2 is a loopback address', message)
        self.assertEqual(2, len(dns.calls))
        self.assertEqual([], self.internal.requests())

    def test_no_proxy_for_the_engine_the_environments_for_the_user(self):
        proxy = self.useFixture(ServerFixture('127.0.0.1')).server
        self.useFixture(fixtures.EnvironmentVariable(
            'http_proxy', 'http://127.0.0.1:%d' % proxy.port))
        self.useFixture(fixtures.EnvironmentVariable('no_proxy'))
        self.useFixture(fixtures.EnvironmentVariable('NO_PROXY'))
        url = self.allowed.add('direct.img', _qcow2())
        f = opts.location_filter(self.engine_conf())
        self.assertEqual('qcow2', introspect.inspect(
            url, url_filter=f).disk_format)
        self.assertEqual([], proxy.requests())
        self.assertNotEqual([], self.allowed.requests('direct.img'))
        # Without a filter (the command line), the environment's proxy
        # is used, as before.
        self.assertRaises(introspect.ImageError, introspect.inspect, url)
        self.assertNotEqual([], proxy.requests())

    def test_a_remote_image_without_a_filter_reads_anywhere(self):
        # The command line's reader: the user's own request.
        moved = self.allowed.add('moved.img', b'', mode='redirect',
                                 to=self.secret)
        self.assertEqual('qcow2', introspect.inspect(moved).disk_format)
        self.assertNotEqual([], self.internal.requests())

    def https_server(self, cert_name):
        """An HTTPS server on 127.0.0.1 with a certificate for cert_name.

        Its CA is trusted by this process's TLS clients (SSL_CERT_FILE).
        """
        tmp = self.useFixture(fixtures.TempDir()).path
        ca_file, cert_file, key_file = _tls_files(tmp, cert_name)
        self.useFixture(fixtures.EnvironmentVariable('SSL_CERT_FILE',
                                                     ca_file))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        names = []
        context.sni_callback = lambda sock, name, ctx: names.append(name)
        server = imageserver.ImageServer(ssl_context=context)
        self.addCleanup(server.stop)
        server.add('tls.img', _qcow2())
        return server, names

    def test_https_to_the_checked_address_with_the_urls_name(self):
        # The TLS connection goes to the checked address, and names the
        # URL's host (SNI) and checks the certificate against it.
        server, names = self.https_server('images.test')
        f = urlfilter.URLFilter(allowed_ports=[server.port],
                                allowed_networks=['127.0.0.1/32'],
                                resolver=_dns({'images.test': ['127.0.0.1'],
                                               'other.test': ['127.0.0.1']}))
        url = 'https://images.test:%d/tls.img' % server.port
        self.assertEqual('qcow2', introspect.inspect(
            url, url_filter=f).disk_format)
        self.assertEqual({'images.test'}, set(names))
        # A certificate for another name is refused: not read.
        before = len(server.requests())
        other = 'https://other.test:%d/tls.img' % server.port
        (level, message), = precheck.check_location(other, 'raw',
                                                    url_filter=f)
        self.assertEqual(precheck.WARNING, level)
        self.assertIn('CERTIFICATE_VERIFY_FAILED', message)
        self.assertEqual(before, len(server.requests()))
