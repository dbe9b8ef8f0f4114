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

"""The Nova part of the catalog, os-traits and Nova's view of values.

The regeneration tests run tools/build-nova-catalog.py in a process of its
own with the Nova that test-requirements.txt installs (pinned in
upper-constraints.txt), so that Nova's imports stay out of this process.
"""

import json
import os
import shutil
import subprocess
import sys

import fixtures
import testtools

from heat_glance_props import catalog

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOL = os.path.join(REPO, 'tools', 'build-nova-catalog.py')


def _nova_data():
    with open(catalog.NOVA_FILE) as f:
        return json.load(f)


def _finding(key, value):
    return catalog.check_value(catalog.load(), key, value)


class RegenerationTest(testtools.TestCase):

    def run_tool(self, *args):
        proc = subprocess.run([sys.executable, TOOL] + list(args),
                              capture_output=True, text=True, timeout=300)
        return proc.returncode, proc.stdout + proc.stderr

    def test_committed_file_is_what_the_pinned_nova_gives(self):
        rc, out = self.run_tool('--check')
        self.assertEqual(0, rc, out)

    def test_a_hand_edit_of_the_generated_file_fails_the_check(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmp, 'nova.json')
        shutil.copy(catalog.NOVA_FILE, path)
        with open(path) as f:
            data = json.load(f)
        data['hw_disk_bus']['values'].append('floppy')
        with open(path, 'w') as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write('\n')
        rc, out = self.run_tool('--check', path)
        self.assertEqual(1, rc, out)
        self.assertIn('+', out)
        self.assertIn('floppy', out)


class NovaEntriesTest(testtools.TestCase):

    def test_every_field_and_legacy_name_of_nova(self):
        data = _nova_data()
        # Nova 34's ImageMetaProps: 86 fields, 22 legacy names, the two
        # indexed NUMA keys and the trait keys.
        self.assertEqual(86 + 22 + 2 + 1, len(data))
        for key in ('hw_viommu_model', 'hw_sound_model', 'hw_usb_model',
                    'hw_maxphysaddr_mode', 'hw_maxphysaddr_bits',
                    'hw_ephemeral_encryption_format', 'hw_rescue_bus',
                    'hw_floppy_bus', 'vm_mode', 'hypervisor_type',
                    'hw_numa_cpus.N', 'hw_numa_mem.N', 'trait:NAME'):
            self.assertIn(key, data)

    def test_the_loaded_catalog_keeps_novas_types_and_values(self):
        # catalog.yaml may refine a Nova entry (a pattern for a string, a
        # minimum for an integer) but never change what Nova reads.
        cat = catalog.load()
        for key, nova in _nova_data().items():
            entry = cat.get(key)
            self.assertIsNotNone(entry, key)
            self.assertEqual(nova.get('settable', True), entry.settable, key)
            if nova.get('type', 'string') == 'string':
                continue
            self.assertEqual(nova['type'], entry.type, key)
            if nova['type'] == 'enum':
                self.assertEqual(sorted(nova['values']),
                                 sorted(entry.values), key)

    def test_enumerations(self):
        self.assertIsNone(_finding('hw_viommu_model', 'smmuv3'))
        found = _finding('hw_viommu_model', 'amd')
        self.assertIn('one of intel, smmuv3, virtio, auto', found.message)
        self.assertIn('ImageMetaProps.hw_viommu_model', found.message)
        self.assertIsNone(_finding('hw_sound_model', 'ich9'))
        self.assertIsNotNone(_finding('hw_sound_model', 'hda'))
        self.assertIsNone(_finding('hw_usb_model', 'qemu-xhci'))
        self.assertIsNone(_finding('hw_maxphysaddr_mode', 'emulate'))
        self.assertIsNone(_finding('hw_ephemeral_encryption_format',
                                   'luks'))
        self.assertIsNotNone(_finding('hw_rescue_bus', 'nvme'))

    def test_case_and_spellings_nova_maps(self):
        # Architecture.canonicalize lowercases and maps amd64 and i386.
        for good in ('x86_64', 'X86_64', 'amd64', 'i386', 'AArch64'):
            self.assertIsNone(_finding('hw_architecture', good), good)
        self.assertIsNotNone(_finding('hw_architecture', 'x64'))
        # VIFModel maps the VMware names; SCSIModel the VMware models.
        self.assertIsNone(_finding('hw_vif_model', 'VirtualE1000'))
        self.assertIsNone(_finding('hw_scsi_model', 'paraVirtual'))
        # DiskBus does not ignore case.
        self.assertIsNotNone(_finding('hw_disk_bus', 'VIRTIO'))
        found = _finding('hw_vm_mode', 'kvm')
        self.assertIn('a spelling Nova maps to one of them (baremetal, hv, '
                      'pv)', found.message)

    def test_legacy_names_have_the_type_of_the_new_name(self):
        self.assertIsNone(_finding('vm_mode', 'hvm'))
        self.assertIsNotNone(_finding('vm_mode', 'paravirt'))
        self.assertIsNone(_finding('hypervisor_type', 'kvm'))
        self.assertIsNone(_finding('auto_disk_config', 'anything'))
        self.assertIsNotNone(_finding('bdm_v2', 'maybe'))
        self.assertIn('Legacy name of hw_vm_mode',
                      catalog.load().get('vm_mode').note)

    def test_integers_and_booleans(self):
        self.assertIsNone(_finding('hw_maxphysaddr_bits', '42'))
        self.assertIsNotNone(_finding('hw_maxphysaddr_bits', '42.5'))
        for good in ('yes', 'On', '1', 'FALSE'):
            self.assertIsNone(_finding('hw_pmu', good), good)
        self.assertIsNotNone(_finding('hw_pmu', 'enabled'))
        # Glance's metadefs add a range where Nova's schema has none.
        self.assertIsNotNone(_finding('hw_video_ram', '-1'))

    def test_indexed_numa_keys(self):
        self.assertIsNone(_finding('hw_numa_cpus.0', '0-3,^2'))
        self.assertIsNone(_finding('hw_numa_cpus.1', '4,5'))
        self.assertIsNotNone(_finding('hw_numa_cpus.0', 'all'))
        self.assertIsNone(_finding('hw_numa_mem.0', '1024'))
        self.assertIsNotNone(_finding('hw_numa_mem.0', '1G'))
        # Nova reads at most NUMA_NODES_MAX (128) cells.
        self.assertIsNone(catalog.load().get('hw_numa_mem.128'))
        found = _finding('hw_numa_cpus', '0-3')
        self.assertIn('not read by Nova', found.message)
        self.assertIn('use hw_numa_cpus.0, hw_numa_cpus.1, ... instead',
                      found.message)
        found = _finding('traits_required', 'HW_CPU_X86_AVX2')
        self.assertIn('use trait:NAME: required instead', found.message)


class TraitsTest(testtools.TestCase):

    def test_standard_and_custom_traits(self):
        self.assertIsNone(_finding('trait:HW_CPU_X86_AVX2', 'required'))
        self.assertIsNone(_finding('trait:CUSTOM_GOLD_HOSTS', 'required'))

    def test_misspelt_trait(self):
        found = _finding('trait:HW_CPU_X86_AXV2', 'required')
        self.assertIn("names 'HW_CPU_X86_AXV2', which is neither a standard "
                      "trait of os-traits nor a custom trait", found.message)
        self.assertIn("did you mean 'trait:HW_CPU_X86_AVX2'", found.message)
        self.assertIsNotNone(_finding('trait:custom_gold', 'required'))

    def test_value_other_than_required(self):
        found = _finding('trait:HW_CPU_X86_AVX2', 'forbidden')
        self.assertIn("has value 'forbidden'; allowed: one of required",
                      found.message)


class NovaViewTest(testtools.TestCase):

    def test_values_nova_would_cut_are_warnings(self):
        long_ascii = 'a' * 256
        # 128 two-byte letters: 256 bytes of UTF-8 in 128 characters.
        long_utf8 = '\u00e9' * 128
        maps = [('properties', {'note': long_ascii, 'ok': 'a' * 255,
                                'accents': long_utf8})]
        review = catalog.review(maps)
        self.assertEqual([], review.errors)
        self.assertEqual(['accents', 'note'],
                         [f.key for f in review.warnings])
        self.assertIn('value of 256 bytes (UTF-8); Nova keeps only the '
                      'first 255 bytes', review.warnings[0].message)
        self.assertEqual(([], []), catalog.review(maps, mode=catalog.OFF))
