/*
 * Unit tests for harness/domxml.c: the domain XML is a pure function of struct vm_def,
 * checked against golden files in tests/data/domxml (VMSWEEP_UPDATE_GOLDEN=1 rewrites
 * them), plus the validation rules and the NUMA split.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domxml.h"
#include "fsutil.h"

static void base_def(struct vm_def *d)
{
    memset(d, 0, sizeof(*d));
    d->name = "vmsweep-test-0";
    d->vcpus = 2;
    d->memory_mib = 1024;
    d->cpu_model = "EPYC-Rome";
    d->sockets = 1;
    d->dies = 1;
    d->cores = 2;
    d->threads = 1;
    d->kernel = "/img/vmlinuz";
    d->initrd = "/img/initrd.img";
    d->cmdline = "console=ttyS0 quiet panic=-1 clocksource=tsc tsc=reliable vmsweep.deadman=300";
    d->results_disk = "/run/results.img";
    d->ssh_port = 40022;
    d->console_sock = "/run/vmsweep-test-0.con";
    d->host_cpus = 2;
}

static void check_golden(const struct vm_def *d, const char *name)
{
    char *xml = NULL, *want = NULL;
    char *path = fsutil_printf("%s/tests/data/domxml/%s.xml", VMSWEEP_SRCDIR, name);

    assert_non_null(path);
    assert_int_equal(domxml_build(d, &xml), 0);
    if (getenv("VMSWEEP_UPDATE_GOLDEN"))
        assert_int_equal(fsutil_write_atomic(path, xml, strlen(xml), 0644), 0);
    assert_int_equal(fsutil_read_file(path, &want, NULL), 0);
    if (strcmp(xml, want) != 0) {
        fprintf(stderr, "domain XML differs from %s:\n%s\n", path, xml);
        fail();
    }
    free(xml);
    free(want);
    free(path);
}

static void test_golden_plain(void **state)
{
    struct vm_def d;
    (void)state;
    base_def(&d);
    check_golden(&d, "plain-2vcpu");
}

static void test_golden_numa_cap_pin(void **state)
{
    struct vm_def d;
    char err[256];
    (void)state;
    base_def(&d);
    d.vcpus = 4;
    d.cores = 4;
    d.memory_mib = 2048;
    assert_int_equal(domxml_split_numa(&d, 2), 0);
    d.cap_pct = 50;
    d.pin = true;
    assert_int_equal(domxml_validate(&d, err, sizeof(err)), 0);
    check_golden(&d, "numa2-cap50-pin-4vcpu");
}

static void test_golden_escaping(void **state)
{
    struct vm_def d;
    (void)state;
    base_def(&d);
    d.kernel = "/img/a'b<c>&d/vmlinuz";
    check_golden(&d, "escaping");
}

/* aarch64 under TCG: the virt machine with GICv3 and a device tree, the default Arm
 * model, two NUMA cells and a cap, as an x86 guest has them. */
static void test_golden_aarch64_tcg(void **state)
{
    struct vm_def d;
    char err[256];
    (void)state;
    base_def(&d);
    d.arch = DOMXML_AARCH64;
    d.cpu_model = domxml_default_model(DOMXML_AARCH64);
    d.vcpus = 4;
    d.cores = 4;
    d.memory_mib = 2048;
    d.cmdline = "console=ttyAMA0 loglevel=6 panic=-1 cryptomgr.notests vmsweep.deadman=300";
    assert_int_equal(domxml_split_numa(&d, 2), 0);
    d.cap_pct = 50;
    assert_int_equal(domxml_validate(&d, err, sizeof(err)), 0);
    check_golden(&d, "aarch64-tcg-numa2-cap50");
    assert_string_equal(domxml_machine(DOMXML_AARCH64), "virt");
    assert_string_equal(d.cpu_model, "neoverse-n1");
}

/* aarch64 under HVF (macOS on Apple silicon): domain type hvf, the host's CPU, and no
 * cputune (no cgroups there) even when a cap and pinning are asked. */
static void test_golden_aarch64_hvf(void **state)
{
    struct vm_def d;
    char *xml = NULL;
    (void)state;
    base_def(&d);
    d.arch = DOMXML_AARCH64;
    d.hvf = true;
    d.cpu_model = "host";
    d.cap_pct = 50;
    d.pin = true;
    d.cmdline = "console=ttyAMA0 loglevel=6 panic=-1 cryptomgr.notests vmsweep.deadman=300";
    check_golden(&d, "aarch64-hvf");
    assert_int_equal(domxml_build(&d, &xml), 0);
    assert_null(strstr(xml, "<cputune>"));
    assert_non_null(strstr(xml, "<domain type='hvf'"));
    free(xml);
}

/* The guest is untrusted: its user network is restricted (no host loopback, no outside),
 * the forward binds 127.0.0.1 only, and its console is a socket the harness reads and caps. */
static void test_network_restricted(void **state)
{
    struct vm_def d;
    char *xml = NULL;
    (void)state;
    base_def(&d);
    assert_int_equal(domxml_build(&d, &xml), 0);
    assert_non_null(strstr(xml, "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22"));
    assert_non_null(strstr(xml, "<serial type='unix'>\n      <source mode='bind' "
                                "path='/run/vmsweep-test-0.con'/>"));
    assert_null(strstr(xml, "<serial type='file'>"));
    free(xml);
    d.ssh_port = 0;
    assert_int_equal(domxml_build(&d, &xml), 0);
    assert_null(strstr(xml, "-netdev"));
    free(xml);
}

/* A remote host's console: a pty libvirt streams, no socket path of this host. */
static void test_console_pty(void **state)
{
    struct vm_def d;
    char *xml = NULL;
    (void)state;
    base_def(&d);
    d.console_sock = NULL;
    d.console_pty = true;
    assert_int_equal(domxml_build(&d, &xml), 0);
    assert_non_null(strstr(xml, "<serial type='pty'>\n      <target port='0'/>\n    </serial>"));
    assert_non_null(strstr(xml, "<console type='pty'>\n      <target type='serial' port='0'/>"));
    assert_null(strstr(xml, "type='unix'"));
    free(xml);
    d.console_pty = false;
    assert_int_equal(domxml_build(&d, &xml), 0);
    assert_null(strstr(xml, "<serial type"));
    free(xml);
}

/* The state snapshot: memory to the (escaped) path, and every disk of the domain left
 * alone, named as the domain XML names it. */
static void test_snapshot(void **state)
{
    struct vm_def d;
    (void)state;
    base_def(&d);
    for (int with_root = 0; with_root < 2; with_root++) {
        char *xml = NULL, *snap = NULL;
        d.disk = with_root ? "/run/root.qcow2" : NULL;
        assert_int_equal(domxml_build(&d, &xml), 0);
        assert_int_equal(domxml_snapshot(&d, "/cache/st<1>&'.partial", &snap), 0);
        assert_non_null(strstr(
            snap, "<memory snapshot='external' file='/cache/st&lt;1&gt;&amp;&apos;.partial'/>"));
        int disks = 0;
        for (const char *p = strstr(snap, "<disk name='"); p; p = strstr(p + 1, "<disk name='")) {
            char dev[32], want[64];
            assert_int_equal(sscanf(p, "<disk name='%31[^']' snapshot='no'/>", dev), 1);
            snprintf(want, sizeof(want), "<target dev='%s' bus='virtio'/>", dev);
            assert_non_null(strstr(xml, want));
            disks++;
        }
        assert_int_equal(disks, with_root ? 2 : 1);
        free(xml);
        free(snap);
    }
}

/* The KVM probe's VM: host CPU, no disks, no network. */
static void test_golden_probe(void **state)
{
    struct vm_def d;
    (void)state;
    base_def(&d);
    d.kvm = true;
    d.vcpus = 1;
    d.cores = 1;
    d.memory_mib = 256;
    d.cpu_model = "host";
    d.initrd = NULL;
    d.results_disk = NULL;
    d.ssh_port = 0;
    d.cmdline = "console=ttyS0 loglevel=6 panic=-1";
    check_golden(&d, "kvm-probe");
}

static void test_split_numa(void **state)
{
    struct vm_def d;
    (void)state;
    base_def(&d);
    d.vcpus = 5;
    d.memory_mib = 1000;
    assert_int_equal(domxml_split_numa(&d, 2), 0);
    assert_int_equal(d.ncells, 2);
    assert_string_equal(d.cells[0].cpus, "0-2");
    assert_string_equal(d.cells[1].cpus, "3-4");
    assert_int_equal(d.cells[0].memory_mib + d.cells[1].memory_mib, 1000);
    assert_int_equal(domxml_split_numa(&d, 0), -1);
    assert_int_equal(domxml_split_numa(&d, 6), -1);
    assert_int_equal(domxml_split_numa(&d, DOMXML_MAX_CELLS + 1), -1);
}

static void test_validate(void **state)
{
    struct vm_def d;
    char err[256];
    (void)state;

    base_def(&d);
    assert_int_equal(domxml_validate(&d, err, sizeof(err)), 0);
    d.cores = 3; /* 1*1*3*1 != 2 */
    assert_int_equal(domxml_validate(&d, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "topology"));
    base_def(&d);
    d.cap_pct = 101;
    assert_int_equal(domxml_validate(&d, err, sizeof(err)), -1);
    base_def(&d);
    d.ssh_port = 70000;
    assert_int_equal(domxml_validate(&d, err, sizeof(err)), -1);
    base_def(&d);
    d.ssh_port = 0; /* no network: the KVM probe's VM */
    assert_int_equal(domxml_validate(&d, err, sizeof(err)), 0);
    base_def(&d);
    d.ncells = 2;
    snprintf(d.cells[0].cpus, sizeof(d.cells[0].cpus), "0");
    d.cells[0].memory_mib = 512;
    snprintf(d.cells[1].cpus, sizeof(d.cells[1].cpus), "0");
    d.cells[1].memory_mib = 512;
    assert_int_equal(domxml_validate(&d, err, sizeof(err)), -1); /* CPU 0 twice, 1 never */
    base_def(&d);
    d.name = NULL;
    assert_int_equal(domxml_validate(&d, err, sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_plain),       cmocka_unit_test(test_golden_numa_cap_pin),
        cmocka_unit_test(test_golden_aarch64_tcg), cmocka_unit_test(test_golden_aarch64_hvf),
        cmocka_unit_test(test_golden_escaping),    cmocka_unit_test(test_split_numa),
        cmocka_unit_test(test_validate),           cmocka_unit_test(test_network_restricted),
        cmocka_unit_test(test_console_pty),        cmocka_unit_test(test_golden_probe),
        cmocka_unit_test(test_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
