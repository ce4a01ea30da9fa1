/*
 * volume — see volume.h.
 *
 * An upload goes to "<name>.part" and is cloned to its final name by the daemon
 * (virStorageVolCreateXMLFrom), then the part is deleted: a harness killed midway leaves
 * only a ".part" volume, which the next upload of that content deletes first, so a final
 * name is never a partial content.  Cost: the image's bytes written twice on the host,
 * once per host and content.
 */
#include "volume.h"

#include "fsutil.h"
#include "log.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VOLUME_PREFIX "vmsweep-"
/* name, capacity, owner, group: names are ours (volume_name), so need no escaping. */
#define VOLUME_XML                                                                                 \
    "<volume><name>%s</name><capacity unit='bytes'>%lld</capacity><target><format "                \
    "type='raw'/><permissions><mode>0600</mode><owner>%lu</owner><group>%lu</group>"               \
    "</permissions></target></volume>"

static const char *volume_lasterr(void)
{
    const char *m = virGetLastErrorMessage();
    return m ? m : "unknown libvirt error";
}

static bool is_hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int volume_name(const char *sha, const char *base, char *out, size_t len)
{
    size_t n;

    if (strlen(sha) != 64 || !is_hex64(sha) || base[0] == '\0')
        return -1;
    n = (size_t)snprintf(out, len, "%s%s-%s", VOLUME_PREFIX, sha, base);
    if (n >= len || n >= VOLUME_NAME_MAX)
        return -1;
    for (char *p = out + strlen(VOLUME_PREFIX) + 65; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_'))
            *p = '_';
    return 0;
}

enum volume_action volume_decide(bool exists, unsigned long long capacity, unsigned long long size)
{
    return exists && capacity == size ? VOLUME_REUSE : VOLUME_UPLOAD;
}

/* The vmsweep pool of conn, defined, built and started when missing; NULL reported. */
static virStoragePoolPtr pool_open(virConnectPtr conn)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, VOLUME_POOL);

    if (pool == NULL) {
        const char *xml =
            "<pool type='dir'><name>" VOLUME_POOL "</name><target><path>" VOLUME_POOL_PATH
            "</path><permissions><mode>0711</mode></permissions></target></pool>";
        pool = virStoragePoolDefineXML(conn, xml, 0);
        if (pool == NULL || virStoragePoolBuild(pool, 0) < 0) {
            log_error("cannot create the storage pool '%s' (%s): %s", VOLUME_POOL, VOLUME_POOL_PATH,
                      volume_lasterr());
            goto fail;
        }
        log_info("created the storage pool '%s' at '%s'", VOLUME_POOL, VOLUME_POOL_PATH);
    }
    if (virStoragePoolIsActive(pool) != 1 && virStoragePoolCreate(pool, 0) < 0) {
        log_error("cannot start the storage pool '%s': %s", VOLUME_POOL, volume_lasterr());
        goto fail;
    }
    if (virStoragePoolRefresh(pool, 0) < 0) {
        log_error("cannot list the storage pool '%s': %s", VOLUME_POOL, volume_lasterr());
        goto fail;
    }
    return pool;
fail:
    if (pool)
        virStoragePoolFree(pool);
    return NULL;
}

int volume_pool_ready(virConnectPtr conn)
{
    virStoragePoolPtr pool = pool_open(conn);

    if (pool == NULL)
        return -1;
    virStoragePoolFree(pool);
    return 0;
}

static int send_file(virStreamPtr st, char *data, size_t n, void *opaque)
{
    int fd = *(int *)opaque;
    ssize_t got;

    (void)st;
    while ((got = read(fd, data, n)) < 0 && errno == EINTR)
        ;
    return (int)got;
}

/* Delete the volume name of pool when it is there. */
static void vol_drop(virStoragePoolPtr pool, const char *name)
{
    virStorageVolPtr v = virStorageVolLookupByName(pool, name);

    if (v) {
        virStorageVolDelete(v, 0);
        virStorageVolFree(v);
    }
}

/* Upload the file open at fd (size bytes) as volume name; the volume, or NULL reported. */
static virStorageVolPtr upload(virStoragePoolPtr pool, const char *path, int fd, off_t size,
                               const char *name, uid_t uid, gid_t gid)
{
    char part[VOLUME_NAME_MAX + 8];
    char *xml = NULL, *pxml = NULL;
    virStorageVolPtr pv = NULL, v = NULL;
    virStreamPtr st = NULL;

    snprintf(part, sizeof(part), "%s.part", name);
    vol_drop(pool, part);
    xml = fsutil_printf(VOLUME_XML, name, (long long)size, (unsigned long)uid, (unsigned long)gid);
    pxml = fsutil_printf(VOLUME_XML, part, (long long)size, (unsigned long)uid, (unsigned long)gid);
    if (!xml || !pxml)
        goto cleanup;
    pv = virStorageVolCreateXML(pool, pxml, 0);
    st = pv ? virStreamNew(virStoragePoolGetConnect(pool), 0) : NULL;
    if (!st || virStorageVolUpload(pv, st, 0, (unsigned long long)size, 0) < 0 ||
        virStreamSendAll(st, send_file, &fd) < 0 || virStreamFinish(st) < 0) {
        log_error("cannot upload '%s' to the storage pool '%s': %s", path, VOLUME_POOL,
                  volume_lasterr());
        if (st)
            virStreamAbort(st);
        goto cleanup;
    }
    v = virStorageVolCreateXMLFrom(pool, xml, pv, 0);
    if (v == NULL)
        log_error("cannot make the volume '%s' in the storage pool '%s': %s", name, VOLUME_POOL,
                  volume_lasterr());
cleanup:
    if (st)
        virStreamFree(st);
    if (pv) {
        virStorageVolDelete(pv, 0);
        virStorageVolFree(pv);
    }
    free(xml);
    free(pxml);
    return v;
}

int volume_put(virConnectPtr conn, const char *path, uid_t uid, gid_t gid, char **vol_path,
               bool *uploaded)
{
    const char *base = strrchr(path, '/');
    char sha[65], name[VOLUME_NAME_MAX];
    virStoragePoolPtr pool = NULL;
    virStorageVolPtr v = NULL;
    virStorageVolInfo info;
    struct stat sb;
    bool sent = false;
    char *vp = NULL;
    int fd = -1, ret = -1;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        log_error("cannot read '%s' to upload: %s", path, fd < 0 ? strerror(errno) : "not a file");
        goto cleanup;
    }
    if (sha256_file(path, sha) < 0)
        goto cleanup;
    if (volume_name(sha, base ? base + 1 : path, name, sizeof(name)) < 0) {
        log_error("no volume name for '%s'", path);
        goto cleanup;
    }
    if ((pool = pool_open(conn)) == NULL)
        goto cleanup;
    v = virStorageVolLookupByName(pool, name);
    /* Two statements: the order in which a call's arguments are evaluated is unspecified. */
    bool exists = v && virStorageVolGetInfo(v, &info) == 0;
    if (volume_decide(exists, exists ? info.capacity : 0, (unsigned long long)sb.st_size) ==
        VOLUME_UPLOAD) {
        if (v) {
            virStorageVolDelete(v, 0);
            virStorageVolFree(v);
        }
        v = upload(pool, path, fd, sb.st_size, name, uid, gid);
        if (v == NULL)
            goto cleanup;
        sent = true;
        log_info("uploaded '%s' to the storage pool '%s' as '%s'", path, VOLUME_POOL, name);
    } else {
        log_debug("reusing the volume '%s' for '%s'", name, path);
    }
    vp = virStorageVolGetPath(v);
    if (vp == NULL) {
        log_error("cannot find the path of the volume '%s': %s", name, volume_lasterr());
        goto cleanup;
    }
    *vol_path = vp;
    *uploaded = sent;
    ret = 0;
cleanup:
    if (v)
        virStorageVolFree(v);
    if (pool)
        virStoragePoolFree(pool);
    if (fd >= 0)
        close(fd);
    return ret;
}
