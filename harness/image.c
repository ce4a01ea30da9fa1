/*
 * image — see image.h.
 *
 * The tiny image is assembled by images/build-tiny.sh (shell is the right tool for
 * copying files into a cpio archive); this module drives it, writes the manifest, and
 * publishes the folder by renaming a complete temporary folder into place, so an
 * interrupted build never leaves a half image under the real name.
 */
#include "image.h"

#include "fsutil.h"
#include "imgdisk.h"
#include "keys.h"
#include "log.h"
#include "paths.h"
#include "qcow2.h"
#include "sha256.h"
#include "units.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Size of the root disk of `image build --disk` (sparse qcow2: only used blocks count). */
#define IMAGE_DISK_MIB 512

static const char *const image_files[] = {"vmlinuz",    "vmlinux",     "initrd.img",
                                          "disk.qcow2", "hostkey.pub", NULL};

static bool name_ok(const char *name)
{
    if (!fsutil_safe_name(name) || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++) {
        if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            return false;
    }
    return true;
}

/* "SHA256:..." fingerprint of an OpenSSH public key file, malloc'ed; NULL on error. */
static char *key_fingerprint(const char *pub_path)
{
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    char *fp = NULL, *ret = NULL;

    if (ssh_pki_import_pubkey_file(pub_path, &key) != SSH_OK) {
        log_error("cannot read SSH public key '%s'", pub_path);
        goto cleanup;
    }
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0)
        goto cleanup;
    fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
    if (fp)
        ret = strdup(fp);
cleanup:
    ssh_string_free_char(fp);
    ssh_clean_pubkey_hash(&hash);
    ssh_key_free(key);
    return ret;
}

/* Read "a=b" lines of packages.txt into a JSON object. */
static cJSON *packages_json(const char *path)
{
    char *data = NULL;
    cJSON *obj = cJSON_CreateObject();

    /* Prepared images have no package list: their packages are the user's. */
    if (obj == NULL || !fsutil_exists(path) || fsutil_read_file(path, &data, NULL) < 0) {
        free(data);
        return obj;
    }
    for (char *save = NULL, *line = strtok_r(data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        cJSON_AddStringToObject(obj, line, eq + 1);
    }
    free(data);
    return obj;
}

static char *trimmed_file(const char *path)
{
    char *data = NULL;
    if (fsutil_read_file(path, &data, NULL) < 0)
        return NULL;
    data[strcspn(data, "\r\n")] = '\0';
    return data;
}

/*
 * sha256 over the recipe: every regular file in <data>/images (sorted by name, each
 * name then its bytes) and the kernel command line.  An image built from another recipe
 * is rebuilt by `image build` even though its name and client key match.
 */
static int recipe_sha256(const char *data, char hex[65])
{
    char *dir = fsutil_printf("%s/images", data);
    struct dirent **names = NULL;
    struct sha256 ctx;
    uint8_t sum[32];
    int n, ret = -1;

    if (dir == NULL)
        return -1;
    n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        log_error("cannot read the image recipe folder '%s': %s", dir, strerror(errno));
        free(dir);
        return -1;
    }
    sha256_init(&ctx);
    for (int i = 0; i < n; i++) {
        char *path =
            names[i]->d_name[0] == '.' ? NULL : fsutil_printf("%s/%s", dir, names[i]->d_name);
        char *text = NULL;
        size_t len = 0;
        struct stat st;
        if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
            fsutil_read_file(path, &text, &len) == 0) {
            sha256_update(&ctx, names[i]->d_name, strlen(names[i]->d_name) + 1);
            sha256_update(&ctx, text, len);
        }
        free(text);
        free(path);
        free(names[i]);
    }
    free(names);
    sha256_update(&ctx, IMAGE_CMDLINE, sizeof(IMAGE_CMDLINE));
    if (sha256_final(&ctx, sum) == 0) {
        sha256_to_hex(sum, hex);
        ret = 0;
    }
    free(dir);
    return ret;
}

const char *image_default_name(enum domxml_arch arch, char *buf, size_t len)
{
    if (arch == DOMXML_X86_64 || arch >= DOMXML_NARCH)
        snprintf(buf, len, "%s", IMAGE_DEFAULT);
    else
        snprintf(buf, len, "%s-%s", IMAGE_DEFAULT, domxml_arch_names[arch]);
    return buf;
}

static int write_manifest(const char *dir, const char *name, enum image_kind kind,
                          enum domxml_arch arch, const char *client_pub, const char *cmdline,
                          const char *recipe)
{
    cJSON *m = cJSON_CreateObject(), *files = NULL;
    char *path = NULL, *text = NULL, *kver = NULL, *fp = NULL, *cfp = NULL;
    char stamp[32];
    time_t now = time(NULL);
    int ret = -1;

    if (m == NULL)
        goto cleanup;
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    path = fsutil_printf("%s/kernel.txt", dir);
    kver = path ? trimmed_file(path) : NULL;
    free(path);
    path = fsutil_printf("%s/hostkey.pub", dir);
    fp = path ? key_fingerprint(path) : NULL;
    cfp = key_fingerprint(client_pub);
    if (kver == NULL || fp == NULL || cfp == NULL)
        goto cleanup;

    cJSON_AddNumberToObject(m, "format", 1);
    cJSON_AddStringToObject(m, "name", name);
    cJSON_AddStringToObject(m, "kind", kind == IMAGE_DISK ? "disk" : "initrd");
    cJSON_AddStringToObject(m, "arch", domxml_arch_names[arch]);
    cJSON_AddStringToObject(m, "kernel_version", kver);
    cJSON_AddStringToObject(m, "build_time", stamp);
    cJSON_AddStringToObject(m, "vmsweep_version", VMSWEEP_VERSION);
    cJSON_AddStringToObject(m, "hostkey_fingerprint", fp);
    cJSON_AddStringToObject(m, "client_key_fingerprint", cfp);
    cJSON_AddStringToObject(m, "cmdline", cmdline);
    if (recipe)
        cJSON_AddStringToObject(m, "recipe_sha256", recipe);
    free(path);
    path = fsutil_printf("%s/vmlinux", dir);
    cJSON_AddStringToObject(m, "kernel_boot", path && fsutil_exists(path) ? "pvh" : "bzimage");
    free(path);
    path = fsutil_printf("%s/packages.txt", dir);
    cJSON_AddItemToObject(m, "packages", packages_json(path));
    files = cJSON_AddObjectToObject(m, "files");
    for (int i = 0; image_files[i]; i++) {
        char hex[65];
        struct stat st;
        free(path);
        path = fsutil_printf("%s/%s", dir, image_files[i]);
        if (path == NULL || stat(path, &st) < 0)
            continue;
        if (sha256_file(path, hex) < 0)
            goto cleanup;
        cJSON *f = cJSON_AddObjectToObject(files, image_files[i]);
        cJSON_AddStringToObject(f, "sha256", hex);
        cJSON_AddNumberToObject(f, "bytes", (double)st.st_size);
    }
    text = cJSON_Print(m);
    free(path);
    path = fsutil_printf("%s/manifest.json", dir);
    if (text == NULL || path == NULL)
        goto cleanup;
    size_t len = strlen(text);
    text[len] = '\n';
    ret = fsutil_write_atomic(path, text, len + 1, 0644);
cleanup:
    free(path);
    free(text);
    free(kver);
    free(fp);
    free(cfp);
    cJSON_Delete(m);
    return ret;
}

/* Swap the finished folder tmp in as dir; an old image goes only after the rename worked. */
static int image_publish(const char *tmp, const char *dir, const char *name)
{
    char *old = fsutil_printf("%s.old.%ld", tmp, (long)getpid());
    int ret = -1;

    if (!old)
        return -1;
    if (fsutil_exists(dir) && rename(dir, old) < 0) {
        log_error("cannot replace image folder '%s': %s", dir, strerror(errno));
        goto cleanup;
    }
    if (rename(tmp, dir) < 0) {
        log_error("cannot publish image folder '%s': %s", dir, strerror(errno));
        rename(old, dir);
        goto cleanup;
    }
    fsutil_rm_rf(old);
    log_info("image '%s' ready in '%s'", name, dir);
    ret = 0;
cleanup:
    free(old);
    return ret;
}

/* Does the image at dir exist (with a disk when one is wanted), made for this client key
 * from this recipe? */
static bool image_current(const char *dir, const char *client_pub, bool disk, bool no_pvh,
                          const char *recipe)
{
    char *path = fsutil_printf("%s/manifest.json", dir), *data = NULL, *cfp = NULL;
    cJSON *m = NULL;
    bool ok = false;

    if (path == NULL || !fsutil_exists(path))
        goto cleanup;
    if (fsutil_read_file(path, &data, NULL) < 0)
        goto cleanup;
    m = cJSON_Parse(data);
    cfp = key_fingerprint(client_pub);
    const cJSON *have = cJSON_GetObjectItemCaseSensitive(m, "client_key_fingerprint");
    ok = cfp && cJSON_IsString(have) && strcmp(have->valuestring, cfp) == 0;
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(m, "recipe_sha256");
    ok = ok && cJSON_IsString(rec) && strcmp(rec->valuestring, recipe) == 0;
    if (ok && no_pvh) {
        const cJSON *boot = cJSON_GetObjectItemCaseSensitive(m, "kernel_boot");
        ok = cJSON_IsString(boot) && strcmp(boot->valuestring, "bzimage") == 0;
    }
    if (ok && disk) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(m, "kind");
        ok = cJSON_IsString(kind) && strcmp(kind->valuestring, "disk") == 0;
    }
cleanup:
    cJSON_Delete(m);
    free(data);
    free(path);
    free(cfp);
    return ok;
}

int image_build(const struct image_build_opts *opts)
{
    char defname[64];
    const char *name =
        opts->name ? opts->name : image_default_name(opts->arch, defname, sizeof(defname));
    const char *base_cmdline = opts->arch == DOMXML_AARCH64 ? IMAGE_CMDLINE_AARCH64 : IMAGE_CMDLINE;
    struct keys keys = {0};
    char *images = NULL, *dir = NULL, *tmp = NULL, *data = NULL, *script = NULL;
    char *tarpath = NULL, *cmdline = NULL, *debs = NULL, recipe[65];
    int ret = 1, rc;

    if (!name_ok(name)) {
        log_error("invalid image name '%s': use letters, digits, '.', '-' and '_'", name);
        return 2;
    }
    if (keys_ensure(&keys) < 0)
        goto cleanup;
    images = paths_cache_sub("images");
    data = paths_data_dir();
    if (images == NULL || data == NULL)
        goto cleanup;
    dir = fsutil_printf("%s/%s", images, name);
    tmp = fsutil_printf("%s/.%s.build.%ld", images, name, (long)getpid());
    script = fsutil_printf("%s/images/build-tiny.sh", data);
    if (dir == NULL || tmp == NULL || script == NULL || recipe_sha256(data, recipe) < 0)
        goto cleanup;
    if (!opts->force && image_current(dir, keys.pub_path, opts->disk, opts->no_pvh, recipe)) {
        log_info("image '%s' is up to date in '%s' (use --force to rebuild)", name, dir);
        ret = 0;
        goto cleanup;
    }
    log_info("building image '%s'%s ...", name, opts->disk ? " with a qcow2 disk" : "");
    char *argv[] = {script, tmp, keys.pub_path, (char *)opts->kernel_version, NULL};
    tarpath = opts->disk ? fsutil_printf("%s/rootfs.tar", tmp) : NULL;
    if (tarpath)
        setenv("VMSWEEP_ROOTFS_TAR", tarpath, 1); /* the recipe also writes the root tree */
    if (log_get_level() == LOG_QUIET)
        setenv("VMSWEEP_QUIET", "1", 1); /* the recipe's errors still reach stderr */
    if (opts->no_pvh)
        setenv("VMSWEEP_NO_PVH", "1", 1);
    if (opts->arch != DOMXML_X86_64) {
        /* A foreign image is made from that arch's packages, downloaded once into the
         * cache (or VMSWEEP_DEB_CACHE) and reused while apt has the same versions. */
        if (!getenv("VMSWEEP_DEB_CACHE")) {
            if (!(debs = paths_cache_sub("debs")))
                goto cleanup;
            setenv("VMSWEEP_DEB_CACHE", debs, 1);
        }
        setenv("VMSWEEP_IMAGE_ARCH", domxml_arch_names[opts->arch], 1);
    }
    rc = fsutil_run(argv, NULL, false);
    unsetenv("VMSWEEP_ROOTFS_TAR");
    unsetenv("VMSWEEP_QUIET");
    unsetenv("VMSWEEP_NO_PVH");
    unsetenv("VMSWEEP_IMAGE_ARCH");
    if (debs)
        unsetenv("VMSWEEP_DEB_CACHE");
    if (rc != 0) {
        ret = rc == 2 ? 2 : 1;
        goto cleanup;
    }
    if (opts->disk) {
        char uuid[64];
        char *disk = fsutil_printf("%s/disk.qcow2", tmp);
        rc = tarpath && disk ? imgdisk_build_root(tarpath, disk, IMAGE_DISK_MIB, uuid, sizeof(uuid))
                             : -1;
        if (tarpath)
            unlink(tarpath);
        free(disk);
        if (rc < 0)
            goto cleanup;
        cmdline = fsutil_printf("%s root=UUID=%s rw", base_cmdline, uuid);
    } else {
        cmdline = strdup(base_cmdline);
    }
    if (!cmdline ||
        write_manifest(tmp, name, opts->disk ? IMAGE_DISK : IMAGE_INITRD, opts->arch, keys.pub_path,
                       cmdline, recipe) < 0 ||
        image_publish(tmp, dir, name) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    if (tmp)
        fsutil_rm_rf(tmp);
    keys_free(&keys);
    free(images);
    free(dir);
    free(tmp);
    free(data);
    free(script);
    free(tarpath);
    free(cmdline);
    free(debs);
    return ret;
}

static char *file_in(const char *dir, const char *name)
{
    char *p = fsutil_printf("%s/%s", dir, name);
    if (p && !fsutil_exists(p)) {
        free(p);
        p = NULL;
    }
    return p;
}

int image_resolve(const char *name_or_path, struct image *out)
{
    struct image img = {0};
    char *images = NULL, *mpath = NULL, *data = NULL;
    cJSON *m = NULL;
    int ret = -1;

    if (strchr(name_or_path, '/')) {
        img.dir = strdup(name_or_path);
    } else {
        if (!name_ok(name_or_path)) {
            log_error("invalid image name '%s'", name_or_path);
            goto cleanup;
        }
        images = paths_cache_sub("images");
        if (images == NULL)
            goto cleanup;
        img.dir = fsutil_printf("%s/%s", images, name_or_path);
    }
    if (img.dir == NULL)
        goto cleanup;
    mpath = fsutil_printf("%s/manifest.json", img.dir);
    if (mpath == NULL)
        goto cleanup;
    if (!fsutil_exists(mpath)) {
        log_error("image '%s' not found (no '%s'): run 'vmsweep image build%s%s' or "
                  "'vmsweep image list'",
                  name_or_path, mpath, strchr(name_or_path, '/') ? "" : " --name ",
                  strchr(name_or_path, '/') ? "" : name_or_path);
        goto cleanup;
    }
    if (fsutil_read_file(mpath, &data, NULL) < 0)
        goto cleanup;
    if (sha256_hex(data, strlen(data), img.manifest_sha256) < 0)
        goto cleanup;
    m = cJSON_Parse(data);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(m, "name");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(m, "kind");
    const cJSON *kver = cJSON_GetObjectItemCaseSensitive(m, "kernel_version");
    if (!cJSON_IsString(name) || !cJSON_IsString(kind)) {
        log_error("image manifest '%s' is damaged: rebuild the image with 'vmsweep image "
                  "build --force'",
                  mpath);
        goto cleanup;
    }
    img.name = strdup(name->valuestring);
    img.kind = strcmp(kind->valuestring, "disk") == 0 ? IMAGE_DISK : IMAGE_INITRD;
    img.kernel_version = cJSON_IsString(kver) ? strdup(kver->valuestring) : NULL;
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(m, "cmdline");
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(m, "arch");
    img.arch = DOMXML_X86_64; /* images from before aarch64 say nothing */
    for (int i = 0; cJSON_IsString(arch) && i < DOMXML_NARCH; i++)
        if (!strcmp(arch->valuestring, domxml_arch_names[i]))
            img.arch = (enum domxml_arch)i;
    img.cmdline_extra = strdup(cJSON_IsString(cl) ? cl->valuestring : IMAGE_CMDLINE);
    /* The uncompressed kernel boots through its PVH entry, skipping the bzImage's
     * self-decompression (seconds under TCG); images without it boot vmlinuz. */
    img.kernel = file_in(img.dir, "vmlinux");
    img.pvh = img.kernel != NULL;
    if (img.kernel == NULL)
        img.kernel = file_in(img.dir, "vmlinuz");
    img.initrd = file_in(img.dir, "initrd.img");
    img.disk = file_in(img.dir, "disk.qcow2");
    img.hostkey = file_in(img.dir, "hostkey.pub");
    if (img.hostkey == NULL || (img.kind == IMAGE_INITRD && (!img.kernel || !img.initrd)) ||
        (img.kind == IMAGE_DISK && (!img.disk || !img.kernel))) {
        log_error("image '%s' in '%s' is incomplete: rebuild it with 'vmsweep image build "
                  "--force'",
                  name_or_path, img.dir);
        goto cleanup;
    }
    *out = img;
    memset(&img, 0, sizeof(img));
    ret = 0;
cleanup:
    image_free(&img);
    cJSON_Delete(m);
    free(images);
    free(mpath);
    free(data);
    return ret;
}

void image_free(struct image *img)
{
    if (img == NULL)
        return;
    free(img->name);
    free(img->dir);
    free(img->kernel);
    free(img->initrd);
    free(img->disk);
    free(img->hostkey);
    free(img->kernel_version);
    free(img->cmdline_extra);
    memset(img, 0, sizeof(*img));
}

static int image_list(void)
{
    char *images = paths_cache_sub("images");
    DIR *d = NULL;
    struct dirent *e;
    int n = 0;

    if (images == NULL)
        return 1;
    d = opendir(images);
    if (d == NULL) {
        log_error("cannot read '%s': %s", images, strerror(errno));
        free(images);
        return 1;
    }
    printf("%-16s %-7s %-20s %-9s %s\n", "NAME", "KIND", "KERNEL", "SIZE", "BUILT");
    while ((e = readdir(d)) != NULL) {
        struct image img = {0};
        if (e->d_name[0] == '.')
            continue;
        char *dir = fsutil_printf("%s/%s", images, e->d_name);
        log_quiet(true); /* a broken folder is listed as such, not as an error */
        int rc = dir ? image_resolve(dir, &img) : -1;
        log_quiet(false);
        if (rc < 0) {
            printf("%-16s %-7s (incomplete: rebuild with 'vmsweep image build --force')\n",
                   e->d_name, "?");
            free(dir);
            continue;
        }
        uint64_t total = 0;
        for (int i = 0; image_files[i]; i++) {
            struct stat st;
            char *p = fsutil_printf("%s/%s", dir, image_files[i]);
            if (p && stat(p, &st) == 0)
                total += (uint64_t)st.st_size;
            free(p);
        }
        char size[32], built[32] = "?";
        units_fmt_size(total, size, sizeof(size));
        char *mp = fsutil_printf("%s/manifest.json", dir), *data = NULL;
        if (mp && fsutil_read_file(mp, &data, NULL) == 0) {
            cJSON *m = cJSON_Parse(data);
            const cJSON *bt = cJSON_GetObjectItemCaseSensitive(m, "build_time");
            if (cJSON_IsString(bt))
                snprintf(built, sizeof(built), "%s", bt->valuestring);
            cJSON_Delete(m);
        }
        printf("%-16s %-7s %-20s %-9s %s\n", img.name, img.kind == IMAGE_DISK ? "disk" : "initrd",
               img.kernel_version ? img.kernel_version : "?", size, built);
        n++;
        free(mp);
        free(data);
        free(dir);
        image_free(&img);
    }
    closedir(d);
    if (n == 0)
        log_info("no images yet: run 'vmsweep image build'");
    free(images);
    return 0;
}

static int image_inspect(const char *name)
{
    struct image img = {0};
    char *mp = NULL, *data = NULL;
    int ret = 2;

    if (image_resolve(name, &img) < 0)
        goto cleanup;
    ret = 1;
    mp = fsutil_printf("%s/manifest.json", img.dir);
    if (mp == NULL || fsutil_read_file(mp, &data, NULL) < 0)
        goto cleanup;
    fputs(data, stdout);
    ret = 0;
cleanup:
    free(mp);
    free(data);
    image_free(&img);
    return ret;
}

/* `vmsweep image prepare PATH.qcow2 [--name NAME]`: see imgdisk_prepare. */
static int image_prepare(const char *path, const char *name_opt)
{
    struct keys keys = {0};
    struct imgdisk_prepared prep;
    char *base = NULL, *images = NULL, *dir = NULL, *tmp = NULL, *agent = NULL, *name = NULL;
    char *kfile = NULL;
    bool bad_image = false;
    int ret = 1;

    if (!fsutil_exists(path)) {
        log_error("cannot prepare '%s': no such file", path);
        return 2;
    }
    if (!qcow2_is(path)) {
        log_error("'%s' is not a qcow2 image (convert it first: qemu-img convert -O qcow2 IN "
                  "OUT.qcow2)",
                  path);
        return 2;
    }
    if (name_opt) {
        name = strdup(name_opt);
    } else {
        const char *b = strrchr(path, '/');
        name = strdup(b ? b + 1 : path);
        if (name && strlen(name) > 6 && !strcmp(name + strlen(name) - 6, ".qcow2"))
            name[strlen(name) - 6] = '\0';
    }
    if (!name || !name_ok(name)) {
        log_error("invalid image name '%s': use letters, digits, '.', '-' and '_' (--name)",
                  name ? name : "");
        ret = 2;
        goto cleanup;
    }
    base = realpath(path, NULL);
    agent = paths_agent(NULL);
    images = paths_cache_sub("images");
    if (!base || !agent || !images || keys_ensure(&keys) < 0)
        goto cleanup;
    dir = fsutil_printf("%s/%s", images, name);
    tmp = fsutil_printf("%s/.%s.build.%ld", images, name, (long)getpid());
    if (!dir || !tmp || fsutil_mkdir_p(tmp, 0755) < 0)
        goto cleanup;
    log_info("preparing '%s' as image '%s' (the base image is not modified) ...", base, name);
    if (imgdisk_prepare(base, tmp, agent, keys.pub_path, &prep, &bad_image) < 0) {
        ret = bad_image ? 2 : 1;
        goto cleanup;
    }
    kfile = fsutil_printf("%s/kernel.txt", tmp);
    if (!kfile ||
        fsutil_write_atomic(kfile, prep.kernel_version, strlen(prep.kernel_version), 0644) < 0 ||
        write_manifest(tmp, name, IMAGE_DISK, DOMXML_X86_64, keys.pub_path, prep.cmdline, NULL) <
            0 ||
        image_publish(tmp, dir, name) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    if (tmp)
        fsutil_rm_rf(tmp);
    keys_free(&keys);
    free(base);
    free(images);
    free(dir);
    free(tmp);
    free(agent);
    free(name);
    free(kfile);
    return ret;
}

static void image_usage(FILE *f)
{
    fputs("usage: vmsweep image build [--arch x86_64|aarch64] [--name NAME] [--kernel VERSION]\n"
          "                           [--disk] [--no-pvh] [--force] [-q|-v]\n"
          "       vmsweep image list\n"
          "       vmsweep image inspect NAME\n"
          "       vmsweep image prepare PATH.qcow2 [--name NAME]\n"
          "\n"
          "Guest images live in $XDG_CACHE_HOME/vmsweep/images (default ~/.cache/vmsweep).\n"
          "  build    build the default 'tiny' guest (Debian kernel + busybox initramfs with\n"
          "           dropbear) from installed packages; --disk also makes a qcow2 disk;\n"
          "           --no-pvh boots the compressed kernel (slower; for comparison);\n"
          "           --arch aarch64 builds 'tiny-aarch64' from Debian's arm64 packages\n"
          "           (downloaded, never installed: ci/install-deps.sh enables them)\n"
          "  list     show the images\n"
          "  inspect  print an image's manifest (JSON)\n"
          "  prepare  inject the agent, SSH keys and a pinned host key into a copy (overlay)\n"
          "           of an existing Linux qcow2 image\n",
          f);
}

int image_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"name", required_argument, NULL, 'n'},   {"arch", required_argument, NULL, 'a'},
        {"kernel", required_argument, NULL, 'k'}, {"disk", no_argument, NULL, 'd'},
        {"force", no_argument, NULL, 'f'},        {"no-pvh", no_argument, NULL, 'P'},
        {"quiet", no_argument, NULL, 'q'},        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct image_build_opts bo = {0};
    const char *sub;
    int c;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        image_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    sub = argv[1];
    argc--;
    argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:k:dfqvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            bo.name = optarg;
            break;
        case 'a': {
            int i = 0;
            while (i < DOMXML_NARCH && strcmp(optarg, domxml_arch_names[i]) != 0)
                i++;
            if (i == DOMXML_NARCH) {
                log_error("invalid --arch '%s': expected x86_64 or aarch64", optarg);
                return 2;
            }
            bo.arch = (enum domxml_arch)i;
            break;
        }
        case 'k':
            bo.kernel_version = optarg;
            break;
        case 'd':
            bo.disk = true;
            break;
        case 'f':
            bo.force = true;
            break;
        case 'P':
            bo.no_pvh = true;
            break;
        case 'q':
            log_set_level(LOG_QUIET);
            break;
        case 'v':
            log_set_level(LOG_DEBUG);
            break;
        case 'h':
            image_usage(stdout);
            return 0;
        default:
            image_usage(stderr);
            return 2;
        }
    }
    if (strcmp(sub, "build") == 0) {
        if (optind != argc) {
            log_error("unexpected argument '%s' for 'image build'", argv[optind]);
            return 2;
        }
        return image_build(&bo);
    }
    if (strcmp(sub, "list") == 0)
        return image_list();
    if (strcmp(sub, "inspect") == 0) {
        if (optind != argc - 1) {
            log_error("'image inspect' takes one image name");
            return 2;
        }
        return image_inspect(argv[optind]);
    }
    if (strcmp(sub, "prepare") == 0) {
        if (optind != argc - 1) {
            log_error("'image prepare' takes one qcow2 image path");
            return 2;
        }
        return image_prepare(argv[optind], bo.name);
    }
    log_error("unknown image command '%s' (build, list, inspect, prepare)", sub);
    return 2;
}
