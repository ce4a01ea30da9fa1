#include "imgdisk.h"

#include "accel.h"
#include "fsutil.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <guestfs.h>
#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IMGDISK_CONSOLE "console=ttyS0 panic=-1 clocksource=tsc tsc=reliable"

guestfs_h *imgdisk_guestfs(void)
{
    guestfs_h *g;

    setenv("LIBGUESTFS_BACKEND", "direct", 0);
    g = guestfs_create();
    if (!g) {
        log_error("cannot create a libguestfs handle");
        return NULL;
    }
    /* libguestfs trusts /dev/kvm by its presence; a KVM that cannot run Linux would hang
     * its appliance.  Only a KVM the probe proved is used. */
    if (!accel_kvm_proven()) {
        char *settings[] = {"force_tcg", NULL};
        if (guestfs_set_backend_settings(g, settings) < 0)
            log_debug("cannot make libguestfs use TCG: %s", guestfs_last_error(g));
    }
    return g;
}

static void imgdisk_close(guestfs_h *g)
{
    if (g) {
        guestfs_shutdown(g);
        guestfs_close(g);
    }
}

static const char *gerr(guestfs_h *g)
{
    const char *e = guestfs_last_error(g);
    return e ? e : "unknown libguestfs error";
}

int imgdisk_build_root(const char *tar, const char *out, unsigned size_mib, char *uuid,
                       size_t uuidlen)
{
    guestfs_h *g = imgdisk_guestfs();
    char *u = NULL;
    int ret = -1;

    if (!g)
        return -1;
    if (guestfs_disk_create(g, out, "qcow2", (int64_t)size_mib << 20, -1) < 0 ||
        guestfs_add_drive_opts(g, out, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2", -1) < 0 ||
        guestfs_launch(g) < 0 || guestfs_mkfs(g, "ext4", "/dev/sda") < 0 ||
        guestfs_mount(g, "/dev/sda", "/") < 0 || guestfs_tar_in(g, tar, "/") < 0 ||
        guestfs_umount_all(g) < 0) {
        log_error("cannot build disk image '%s': %s", out, gerr(g));
        goto cleanup;
    }
    u = guestfs_vfs_uuid(g, "/dev/sda");
    if (!u || !*u) {
        log_error("cannot read the filesystem UUID of '%s': %s", out, gerr(g));
        goto cleanup;
    }
    if (guestfs_shutdown(g) < 0) {
        log_error("cannot finish disk image '%s': %s", out, gerr(g));
        goto cleanup;
    }
    snprintf(uuid, uuidlen, "%s", u);
    ret = 0;
cleanup:
    free(u);
    imgdisk_close(g);
    return ret;
}

int imgdisk_overlay(const char *base, const char *out)
{
    guestfs_h *g = imgdisk_guestfs();
    int ret = -1;

    if (!g)
        return -1;
    if (guestfs_disk_create(g, out, "qcow2", -1, GUESTFS_DISK_CREATE_BACKINGFILE, base,
                            GUESTFS_DISK_CREATE_BACKINGFORMAT, "qcow2", -1) < 0)
        log_error("cannot create an overlay of '%s': %s", base, gerr(g));
    else
        ret = 0;
    imgdisk_close(g);
    return ret;
}

/* Mount the filesystems of an inspected root, shortest mount point first. */
static int mount_root(guestfs_h *g, const char *root)
{
    char **mps = guestfs_inspect_get_mountpoints(g, root);
    size_t n = 0, maxlen = 0;
    int ret = 0;

    if (!mps)
        return -1;
    while (mps[n]) {
        size_t l = strlen(mps[n]);
        maxlen = l > maxlen ? l : maxlen;
        n += 2;
    }
    /* "/" before "/boot" before "/boot/efi": parents are mounted first. */
    for (size_t len = 1; len <= maxlen && ret == 0; len++)
        for (size_t i = 0; i < n && ret == 0; i += 2)
            if (strlen(mps[i]) == len && guestfs_mount(g, mps[i + 1], mps[i]) < 0)
                ret = -1;
    for (size_t i = 0; i < n; i++)
        free(mps[i]);
    free(mps);
    return ret;
}

/* The newest file under /boot whose name starts with prefix, or NULL. */
static char *newest_boot_file(guestfs_h *g, const char *prefix)
{
    char **names = guestfs_ls(g, "/boot");
    char *best = NULL;

    if (!names)
        return NULL;
    for (size_t i = 0; names[i]; i++) {
        if (!strncmp(names[i], prefix, strlen(prefix)) &&
            (!best || strverscmp(names[i], best) > 0)) {
            free(best);
            best = strdup(names[i]);
        }
        free(names[i]);
    }
    free(names);
    return best;
}

/*
 * A fresh ed25519 host key: private into priv_path in the server's format (dropbear's
 * own, made by dropbearkey, or OpenSSH's through libssh), public half as text.
 */
static char *make_hostkey(const char *priv_path, bool dropbear)
{
    ssh_key key = NULL;
    char *b64 = NULL, *pub = NULL;

    if (dropbear) {
        char *gen[] = {"dropbearkey", "-t", "ed25519", "-f", (char *)priv_path, NULL};
        char *show[] = {"dropbearkey", "-y", "-f", (char *)priv_path, NULL};
        char *out = NULL, *line;
        if (fsutil_run(gen, NULL, true) != 0 || fsutil_run(show, &out, true) != 0 || !out) {
            log_error("cannot generate a dropbear host key (is dropbear-bin installed? run "
                      "ci/install-deps.sh)");
            free(out);
            return NULL;
        }
        line = strstr(out, "ssh-ed25519 ");
        if (line) {
            line[strcspn(line, "\n")] = '\0';
            pub = fsutil_printf("%s\n", line);
        }
        free(out);
        return pub;
    }
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
        ssh_pki_export_privkey_file(key, NULL, NULL, NULL, priv_path) != SSH_OK ||
        ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
        log_error("cannot generate an SSH host key for the image");
        goto cleanup;
    }
    pub = fsutil_printf("ssh-ed25519 %s vmsweep-guest\n", b64);
cleanup:
    ssh_string_free_char(b64);
    ssh_key_free(key);
    return pub;
}

int imgdisk_prepare(const char *base, const char *dir, const char *agent, const char *client_pub,
                    struct imgdisk_prepared *out, bool *bad_image)
{
    static const char sshd_conf[] = "# vmsweep: key-only root login with the pinned host key\n"
                                    "PermitRootLogin prohibit-password\n"
                                    "PasswordAuthentication no\n"
                                    "HostKey /etc/ssh/ssh_host_ed25519_key\n";
    guestfs_h *g = NULL;
    char *overlay = NULL, *kfile = NULL, *ifile = NULL, *src = NULL, *dst = NULL;
    char *privtmp = NULL, *pub = NULL, *pubpath = NULL, *client = NULL, *keys = NULL;
    char *uuid = NULL, **roots = NULL;
    const char *hostkey;
    bool dropbear;
    size_t clen = 0;
    int ret = -1;

    *bad_image = false;

    overlay = fsutil_printf("%s/disk.qcow2", dir);
    privtmp = fsutil_printf("%s/.hostkey", dir);
    pubpath = fsutil_printf("%s/hostkey.pub", dir);
    if (!overlay || !privtmp || !pubpath || imgdisk_overlay(base, overlay) < 0)
        goto cleanup;
    if (fsutil_read_file(client_pub, &client, &clen) < 0)
        goto cleanup;
    g = imgdisk_guestfs();
    if (!g)
        goto cleanup;
    if (guestfs_add_drive_opts(g, overlay, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2", -1) < 0 ||
        guestfs_launch(g) < 0) {
        log_error("cannot open '%s' with libguestfs: %s", base, gerr(g));
        goto cleanup;
    }
    roots = guestfs_inspect_os(g);
    if (!roots || !roots[0]) {
        log_error("no Linux installation found in '%s' (prepare needs an image with a root "
                  "filesystem and a kernel in /boot)",
                  base);
        *bad_image = true;
        goto cleanup;
    }
    if (mount_root(g, roots[0]) < 0) {
        log_error("cannot mount the filesystems of '%s': %s", base, gerr(g));
        goto cleanup;
    }
    kfile = newest_boot_file(g, "vmlinuz-");
    ifile = newest_boot_file(g, "initrd.img-");
    if (!kfile) {
        log_error("no kernel (/boot/vmlinuz-*) in '%s': install one in the image first", base);
        *bad_image = true;
        goto cleanup;
    }
    /* The agent, the client key, a host key of our own and an sshd drop-in. */
    dropbear =
        guestfs_is_dir(g, "/etc/dropbear") > 0 && guestfs_exists(g, "/etc/ssh/sshd_config") <= 0;
    hostkey =
        dropbear ? "/etc/dropbear/dropbear_ed25519_host_key" : "/etc/ssh/ssh_host_ed25519_key";
    unlink(privtmp);
    pub = make_hostkey(privtmp, dropbear);
    keys = guestfs_exists(g, "/root/.ssh/authorized_keys") > 0
               ? guestfs_cat(g, "/root/.ssh/authorized_keys")
               : strdup("");
    if (!pub || !keys)
        goto cleanup;
    {
        char *all = fsutil_printf("%s%s%s", keys,
                                  *keys && keys[strlen(keys) - 1] != '\n' ? "\n" : "", client);
        int rc = !all || guestfs_mkdir_p(g, "/usr/local/bin") < 0 ||
                 guestfs_upload(g, agent, "/usr/local/bin/vmsweep-agent") < 0 ||
                 guestfs_chmod(g, 0755, "/usr/local/bin/vmsweep-agent") < 0 ||
                 guestfs_mkdir_p(g, "/root/.ssh") < 0 || guestfs_chmod(g, 0700, "/root/.ssh") < 0 ||
                 guestfs_write(g, "/root/.ssh/authorized_keys", all, strlen(all)) < 0 ||
                 guestfs_chmod(g, 0600, "/root/.ssh/authorized_keys") < 0 ||
                 guestfs_upload(g, privtmp, hostkey) < 0 || guestfs_chmod(g, 0600, hostkey) < 0 ||
                 (!dropbear &&
                  (guestfs_mkdir_p(g, "/etc/ssh/sshd_config.d") < 0 ||
                   guestfs_write(g, "/etc/ssh/ssh_host_ed25519_key.pub", pub, strlen(pub)) < 0 ||
                   guestfs_write(g, "/etc/ssh/sshd_config.d/vmsweep.conf", sshd_conf,
                                 sizeof(sshd_conf) - 1) < 0)) ||
                 guestfs_mkdir_p(g, "/results") < 0;
        free(all);
        if (rc) {
            log_error("cannot write into the overlay of '%s': %s", base, gerr(g));
            goto cleanup;
        }
    }
    src = fsutil_printf("/boot/%s", kfile);
    dst = fsutil_printf("%s/vmlinuz", dir);
    if (!src || !dst || guestfs_download(g, src, dst) < 0) {
        log_error("cannot copy the kernel out of '%s': %s", base, gerr(g));
        goto cleanup;
    }
    if (ifile) {
        free(src);
        free(dst);
        src = fsutil_printf("/boot/%s", ifile);
        dst = fsutil_printf("%s/initrd.img", dir);
        if (!src || !dst || guestfs_download(g, src, dst) < 0) {
            log_error("cannot copy the initrd out of '%s': %s", base, gerr(g));
            goto cleanup;
        }
    }
    uuid = guestfs_vfs_uuid(g, roots[0]);
    if (guestfs_umount_all(g) < 0 || guestfs_shutdown(g) < 0) {
        log_error("cannot finish the overlay of '%s': %s", base, gerr(g));
        goto cleanup;
    }
    if (fsutil_write_atomic(pubpath, pub, strlen(pub), 0644) < 0)
        goto cleanup;
    snprintf(out->kernel_version, sizeof(out->kernel_version), "%s", kfile + strlen("vmlinuz-"));
    if (uuid && *uuid)
        snprintf(out->cmdline, sizeof(out->cmdline), "%s root=UUID=%s rw", IMGDISK_CONSOLE, uuid);
    else
        snprintf(out->cmdline, sizeof(out->cmdline), "%s root=/dev/vda rw", IMGDISK_CONSOLE);
    ret = 0;
cleanup:
    if (privtmp)
        unlink(privtmp);
    if (roots) {
        for (size_t i = 0; roots[i]; i++)
            free(roots[i]);
        free(roots);
    }
    imgdisk_close(g);
    free(overlay);
    free(kfile);
    free(ifile);
    free(src);
    free(dst);
    free(privtmp);
    free(pub);
    free(pubpath);
    free(client);
    free(keys);
    free(uuid);
    return ret;
}
