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

"""The image property catalog and its rules: no Heat, no Glance."""

import importlib.util
import json
import os
import sys

import fixtures
from oslo_config import cfg
import testtools

from heat_glance_props import catalog
from heat_glance_props import catalog_entry
from heat_glance_props import opts

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _allowed(key, value):
    cat = catalog.load()
    return catalog.check_value(cat, key, value) is None


class RulesTest(testtools.TestCase):
    """Each kind of rule refuses a bad value and accepts the good ones."""

    def assert_rule(self, key, good, bad):
        for value in good:
            self.assertTrue(_allowed(key, value),
                            '%s=%r should be accepted' % (key, value))
        for value in bad:
            finding = catalog.check_value(catalog.load(), key, value)
            self.assertIsNotNone(finding,
                                 '%s=%r should be refused' % (key, value))
            # The message names the key, the value, what is allowed and
            # where the rule comes from.
            self.assertIn("'%s'" % key, finding.message)
            self.assertIn("'%s'" % value, finding.message)
            self.assertIn('allowed: ', finding.message)
            self.assertIn('source: ', finding.message)

    def test_nova_flexible_boolean(self):
        self.assert_rule(
            'hw_qemu_guest_agent',
            good=['yes', 'no', 'YES', 'No', 'true', 'False', '1', '0', 'on',
                  'off', 'y', 'n', 't', 'f', True, False, 1, 0],
            bad=['maybe', 'enabled', '2', ''])

    def test_boolean_where_glance_lists_only_true_false(self):
        # Glance's metadefs say "true"/"false"; Nova reads yes/no too.
        self.assert_rule('hw_vif_multiqueue_enabled',
                         good=['yes', 'no', 'true'], bad=['si'])

    def test_enum(self):
        self.assert_rule('hw_tpm_model', good=['tpm-tis', 'tpm-crb'],
                         bad=['tpm-foo', 'TPM-TIS', 'tis'])
        self.assert_rule('hw_tpm_version', good=['1.2', '2.0', 2.0, 1.2],
                         bad=['2', '3.0', 2])

    def test_enum_ignoring_case(self):
        self.assert_rule('hw_scsi_model',
                         good=['virtio-scsi', 'lsiLogic', 'paraVirtual',
                               'LSISAS1068'],
                         bad=['megasas'])

    def test_union_of_two_glance_enums(self):
        # OS::Compute::LibvirtImage and OS::Compute::VMware both define
        # hw_vif_model with different values.
        self.assert_rule('hw_vif_model',
                         good=['virtio', 'e1000', 'VirtualVmxnet3', 'igb'],
                         bad=['virtio-net'])
        entry = catalog.load().get('hw_vif_model')
        # Nova's VIFModel, then the two namespaces.
        sources = entry.source.split('; ')
        self.assertEqual(3, len(sources))
        self.assertIn('ImageMetaProps.hw_vif_model', sources[0])

    def test_integer_range(self):
        self.assert_rule('hw_video_ram', good=['0', 64, '128'],
                         bad=['-1', 'lots', '1.5', True])
        self.assert_rule('sw_database_mysql_listen_port',
                         good=['1', '3306', 65535], bad=['0', '65536'])

    def test_integer_range_with_a_special_value(self):
        # StarlingX: 0 disables the timeout, else 120..800 seconds.
        self.assert_rule('hw_wrs_live_migration_timeout',
                         good=[0, '0', 120, '400', 800],
                         bad=[60, '119', 801, 'never'])
        finding = catalog.check_value(
            catalog.load(), 'hw_wrs_live_migration_timeout', 60)
        self.assertIn('from 120 to 800, or 0 (seconds)', finding.message)

    def test_integer_minimum(self):
        self.assert_rule('hw_wrs_live_migration_max_downtime',
                         good=[100, '500', 100000], bad=[99, '0', '-5'])

    def test_starlingx_booleans_are_true_or_false(self):
        # The StarlingX VIM refuses anything but "true"/"false".
        self.assert_rule('sw_wrs_auto_recovery',
                         good=['true', 'False', True, False],
                         bad=['yes', 'no', '1'])
        self.assert_rule('cache_raw', good=['true', True], bad=['on'])

    def test_keys_the_platform_sets(self):
        for key in ('store', 'cache_raw_status', 'cache_raw_size',
                    'cache_raw_url', 'direct_url'):
            finding = catalog.check_value(catalog.load(), key, 'x')
            self.assertIsNotNone(finding, key)
            self.assertIn('must not be set by a template', finding.message)

    def test_pattern(self):
        self.assert_rule('hw_mem_page_size',
                         good=['small', 'large', 'any', '2048', '2MB',
                               '1GiB'],
                         bad=['huge', '2 pages'])
        self.assert_rule('hw_machine_type', good=['q35', 'pc-q35-8.2'],
                         bad=['q35 pc', ''])

    def test_operator_syntax_of_scheduler_filters(self):
        self.assert_rule('CIM_PASD_InstructionSet',
                         good=['x86:64', '<or> x86:64 <or> ARM:A64'],
                         bad=['x86:65', '<or> x86:64 <or> nope'])
        self.assert_rule('CIM_PASD_InstructionSetExtensionName',
                         good=['<all-in> x86:AVX x86:SSE2'],
                         bad=['<all-in> x86:AVX3'])

    def test_free_strings_and_unknown_keys_pass(self):
        self.assertTrue(_allowed('os_distro', 'anything at all'))
        self.assertTrue(_allowed('owner_team', 'x'))
        self.assertTrue(_allowed('hw_tpm_model', None))  # unset

    def test_vtpm_keys(self):
        cat = catalog.load()
        for key in ('hw_tpm_model', 'hw_tpm_version', 'hw_machine_type',
                    'hw_vtpm_secret_security'):
            self.assertIn(key, cat)
        self.assert_rule('hw_vtpm_secret_security',
                         good=['user', 'host', 'deployment'], bad=['root'])
        self.assertIn('ignores', cat.get('hw_vtpm_secret_security').note)


class RequiresTest(testtools.TestCase):

    def check(self, *maps):
        return catalog.check(list(maps), catalog.load())

    def test_crb_needs_tpm_2(self):
        findings = self.check(('properties', {'hw_tpm_model': 'tpm-crb',
                                              'hw_tpm_version': 1.2}))
        self.assertEqual(['hw_tpm_model'], [f.key for f in findings])
        self.assertIn("'tpm-crb', which needs 'hw_tpm_version' to be one "
                      "of 2.0, but it is '1.2'", findings[0].message)
        self.assertIn('get_vtpm_constraint', findings[0].message)

    def test_good_combinations(self):
        self.assertEqual([], self.check(
            ('properties', {'hw_tpm_model': 'tpm-crb'}),
            ('extra_properties', {'hw_tpm_version': '2.0'})))
        self.assertEqual([], self.check(
            ('properties', {'hw_tpm_model': 'tpm-tis',
                            'hw_tpm_version': '1.2'})))
        # The version may come from the flavor: nothing to compare.
        self.assertEqual([], self.check(
            ('properties', {'hw_tpm_model': 'tpm-crb'})))


class DidYouMeanTest(testtools.TestCase):

    def test_one_edit_apart(self):
        for a, b in [('hw_tpm_modle', 'hw_tpm_model'),   # swap
                     ('hw_tpm_mode', 'hw_tpm_model'),    # deletion
                     ('hw_tpm_models', 'hw_tpm_model'),  # insertion
                     ('hw_tpm_modal', 'hw_tpm_model'),   # replacement
                     ('xab', 'xba')]:
            self.assertTrue(catalog.one_edit_apart(a, b), (a, b))
            self.assertTrue(catalog.one_edit_apart(b, a), (b, a))
        for a, b in [('hw_tpm_model', 'hw_tpm_model'),
                     ('hw_tpm_mdoel_x', 'hw_tpm_model'),
                     ('abc', 'cba'), ('ab', 'abcd')]:
            self.assertFalse(catalog.one_edit_apart(a, b), (a, b))

    def test_hint(self):
        finding = catalog.check_value(catalog.load(), 'hw_tpm_modle',
                                      'tpm-crb')
        self.assertIn("did you mean 'hw_tpm_model'?", finding.message)
        finding = catalog.check_value(catalog.load(), 'HW_DISK_BUS', 'ide')
        self.assertIn("did you mean 'hw_disk_bus'?", finding.message)

    def test_far_keys_get_no_hint(self):
        self.assertIsNone(catalog.check_value(catalog.load(), 'hw_tpm',
                                              'x'))


class ModesTest(testtools.TestCase):

    maps = [('properties', {'hw_tpm_model': 'tpm-foo', 'ok': 'x'})]

    def test_strict(self):
        review = catalog.check_maps(self.maps, catalog.STRICT)
        self.assertEqual(['hw_tpm_model'], [f.key for f in review.errors])
        self.assertEqual([], review.warnings)

    def test_warn(self):
        review = catalog.check_maps(self.maps, catalog.WARN)
        self.assertEqual([], review.errors)
        self.assertEqual(['hw_tpm_model'], [f.key for f in review.warnings])

    def test_off_does_not_even_read_the_catalog(self):
        review = catalog.check_maps(self.maps, catalog.OFF,
                                    extra_files=['/nonexistent.yaml'])
        self.assertEqual(([], []), review)

    def test_unknown_mode(self):
        self.assertRaises(ValueError, catalog.apply_mode, [], 'loud')

    def test_review_reports_glance_rules_and_catalog_in_one_pass(self):
        maps = [('properties', {'os_glance_x': '1', 'hw_tpm_model': 'no',
                                'status': 'x'}),
                ('extra_properties', {'hw_disk_bus': 'floppy',
                                      'os_distro': 'x'})]
        first_class = {'os_distro': 'ubuntu'}
        review = catalog.review(maps, first_class, mode=catalog.STRICT)
        # Glance's rules first, in map order, then the catalog's findings
        # in map and key order.
        self.assertEqual(
            [('properties', 'os_glance_x'), ('properties', 'status'),
             ('extra_properties', 'os_distro'),
             ('properties', 'hw_tpm_model'),
             ('extra_properties', 'hw_disk_bus')],
            [(f.map, f.key) for f in review.errors])
        self.assertEqual([], review.warnings)
        review = catalog.review(maps, first_class, mode=catalog.WARN)
        self.assertEqual(['os_glance_x', 'status', 'os_distro'],
                         [f.key for f in review.errors])
        self.assertEqual(['hw_tpm_model', 'hw_disk_bus'],
                         [f.key for f in review.warnings])
        review = catalog.review(maps, first_class, mode=catalog.OFF)
        self.assertEqual(['os_glance_x', 'status', 'os_distro'],
                         [f.key for f in review.errors])
        self.assertEqual([], review.warnings)

    def test_first_class_values_are_checked_as_in_a_map(self):
        # "architecture" is the same key wherever the template sets it.
        first_class = {'architecture': 'x86-64', 'os_distro': '',
                       'kernel_id': None}
        review = catalog.review([('properties', {})], first_class)
        self.assertEqual([(None, 'architecture')],
                         [(f.map, f.key) for f in review.errors])
        self.assertTrue(review.errors[0].message.startswith(
            "property 'architecture' has value 'x86-64'; allowed: "),
            review.errors[0].message)
        self.assertEqual([], catalog.review([], {'architecture': 'amd64'},
                                            mode=catalog.STRICT).errors)
        # Set in a map too (the same value): one finding, of the map.
        review = catalog.review(
            [('properties', {'architecture': 'x86-64'})], first_class)
        self.assertEqual([('properties', 'architecture')],
                         [(f.map, f.key) for f in review.errors])
        # Set to another value in a map: the conflict, and the first-class
        # value's own finding.
        review = catalog.review(
            [('properties', {'architecture': 'x86_64'})], first_class)
        self.assertEqual([('properties', 'architecture'),
                          (None, 'architecture')],
                         [(f.map, f.key) for f in review.errors])
        self.assertIn("is 'x86_64', but the resource property "
                      "'architecture' is 'x86-64'", review.errors[0].message)
        review = catalog.review([], first_class, mode=catalog.WARN)
        self.assertEqual([(None, 'architecture')],
                         [(f.map, f.key) for f in review.warnings])

    def test_requirements_see_first_class_values(self):
        entry = {'type': 'enum', 'values': ['a', 'b'],
                 'requires': {'a': {'os_distro': ['ubuntu']}}}
        cat = catalog.Catalog({'k': catalog_entry.Entry('k', entry, 'test')})
        self.assertEqual([], catalog.check([('properties', {'k': 'a'})], cat,
                                           {'os_distro': 'ubuntu'}))
        findings = catalog.check([('properties', {'k': 'a'})], cat,
                                 {'os_distro': 'debian'})
        self.assertEqual(['k'], [f.key for f in findings])
        self.assertIn("needs 'os_distro' to be one of", findings[0].message)

    def test_a_key_a_glance_rule_refuses_is_not_also_a_catalog_finding(self):
        # hw_tpm_model is in both maps: Glance's rule says so once, and
        # the catalog says nothing more about it.
        maps = [('properties', {'hw_tpm_model': 'no'}),
                ('extra_properties', {'hw_tpm_model': 'no'})]
        review = catalog.review(maps)
        self.assertEqual(1, len(review.errors))
        self.assertIn('set in both', review.errors[0].message)

    def test_review_then_catalog(self):
        maps = [('properties', {'hw_tpm_model': 'no'}),
                ('extra_properties', {'hw_tpm_version': '3'})]
        review = catalog.review(maps, mode=catalog.STRICT)
        self.assertEqual([('properties', 'hw_tpm_model'),
                          ('extra_properties', 'hw_tpm_version')],
                         [(f.map, f.key) for f in review.errors])
        self.assertIn("in 'extra_properties'", review.errors[1].message)


class OperatorCatalogTest(testtools.TestCase):

    def write(self, name, text):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def test_operator_file_adds_and_replaces_entries(self):
        path = self.write('site.yaml', (
            "hw_tpm_modle: {type: string, source: our cloud}\n"
            "site_tier:\n"
            "  type: enum\n"
            "  values: [gold, silver]\n"
            "  source: our cloud\n"
            "hw_video_ram: {type: integer, maximum: 64, source: our cloud}\n"
        ))
        cat = catalog.load([path])
        check = lambda k, v: catalog.check_value(cat, k, v)  # noqa: E731
        # A key of our own that looks like a typo is now accepted.
        self.assertIsNone(check('hw_tpm_modle', 'x'))
        self.assertIsNone(check('site_tier', 'gold'))
        finding = check('site_tier', 'bronze')
        self.assertIn('one of gold, silver', finding.message)
        self.assertIn('source: our cloud', finding.message)
        # Replaced as a whole: the new maximum applies.
        self.assertIsNotNone(check('hw_video_ram', 128))
        # The built-in entries are still there.
        self.assertIsNotNone(check('hw_tpm_model', 'nope'))

    def test_json_operator_file(self):
        path = self.write('site.json', json.dumps(
            {'site_tier': {'type': 'integer', 'minimum': 1, 'also': ['-1']}}))
        cat = catalog.load([path])
        self.assertIsNotNone(catalog.check_value(cat, 'site_tier', '0'))
        self.assertIsNone(catalog.check_value(cat, 'site_tier', '-1'))

    def test_a_changed_file_is_read_again(self):
        path = self.write('site.yaml', 'site_tier: {type: integer}\n')
        self.assertIsNotNone(catalog.check_value(catalog.load([path]),
                                                 'site_tier', 'x'))
        with open(path, 'w') as f:
            f.write('site_tier: {type: string}\n')
        os.utime(path, ns=(0, 1))
        self.assertIsNone(catalog.check_value(catalog.load([path]),
                                              'site_tier', 'x'))

    def test_bad_files(self):
        cases = [
            ('missing', None, 'cannot read catalog file'),
            ('list.yaml', '- a\n', 'must hold a map'),
            ('type.yaml', 'k: {type: colour}\n', "type 'colour'"),
            ('field.yaml', 'k: {type: string, max: 3}\n', 'unknown fields'),
            ('enum.yaml', 'k: {type: enum}\n', 'has no values'),
            ('regex.yaml', "k: {pattern: '('}\n", 'bad pattern'),
            ('requires.yaml', 'k: {requires: {a: b}}\n', '"requires"'),
            ('range.yaml', 'k: {type: integer, also: [x]}\n',
             'must be numbers'),
            ('yaml.yaml', 'k: [\n', 'cannot read catalog file'),
        ]
        for name, text, fragment in cases:
            if text is None:
                path = '/nonexistent/%s.yaml' % name
            else:
                path = self.write(name, text)
            err = self.assertRaises(catalog.CatalogError, catalog.load,
                                    [path])
            self.assertIn(fragment, str(err))


class BuiltinCatalogTest(testtools.TestCase):

    def test_glance_part_matches_the_installed_metadefs(self):
        # tools/build-catalog.py output is committed; it must be what the
        # installed Glance's metadata definitions give.
        metadefs = os.path.join(sys.prefix, 'etc', 'glance', 'metadefs')
        if not os.path.isdir(metadefs):
            self.skipTest('no Glance metadefs installed')
        spec = importlib.util.spec_from_file_location(
            'build_catalog', os.path.join(REPO, 'tools', 'build-catalog.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with open(catalog.BUILTIN_FILES[0]) as f:
            committed = json.load(f)
        self.assertEqual(module.build(metadefs), committed)

    def test_only_image_namespaces(self):
        cat = catalog.load()
        self.assertIn('hw_cpu_policy', cat)      # prefix hw_ applied
        self.assertIn('cinder_img_volume_type', cat)
        self.assertNotIn('cpu_policy', cat)
        # OS::Compute::RandomNumberGenerator is for flavors only.
        self.assertNotIn('hw_rng:allowed', cat)
        self.assertNotIn('rng:allowed', cat)

    def test_every_entry_has_a_source(self):
        cat = catalog.load()
        for key, entry in cat.entries.items():
            self.assertTrue(entry.source, key)
            self.assertTrue(entry.allowed(), key)


class OptsTest(testtools.TestCase):

    def test_list_opts_and_settings(self):
        (group, options), = opts.list_opts()
        self.assertEqual('glance_properties', group)
        self.assertEqual(['catalog_mode', 'catalog_files', 'location_check',
                          'location_check_max_bytes',
                          'location_check_timeout', 'allowed_schemes',
                          'disallowed_schemes', 'allowed_hosts',
                          'disallowed_hosts', 'allowed_ports',
                          'disallowed_ports', 'allowed_networks',
                          'verify_by_download',
                          'prune_finished_engine_threads'],
                         [o.name for o in options])
        conf = cfg.ConfigOpts()
        conf([])
        self.assertEqual(('strict', []), opts.settings(conf))
        self.assertIs(True, opts.verify_by_download(conf))
        conf.set_override('verify_by_download', False,
                          group='glance_properties')
        self.assertIs(False, opts.verify_by_download(conf))
        conf.set_override('catalog_mode', 'warn', group='glance_properties')
        conf.set_override('catalog_files', ['/a.yaml'],
                          group='glance_properties')
        self.assertEqual(('warn', ['/a.yaml']), opts.settings(conf))
        self.assertRaises(ValueError, conf.set_override, 'catalog_mode',
                          'loud', group='glance_properties')
