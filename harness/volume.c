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
#include <signal.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define VOLUME_PREFIX "vmsweep-"
/* name, capacity, owner, group: names are ours (volume_name), so need no escaping. */
#define VOLUME_XML                                                                                 \
    "<volume><name>%s</name><capacity unit='bytes'>%lld</capacity><target><format "                \
    "type='raw'/><permissions><mode>0600</mode><owner>%lu</owner><group>%lu</group>"               \
    "</permissions></target></volume>"

/* A per-run volume: sparse (allocation 0, or libvirt would write every byte of it first). */
#define VOLUME_RUN_XML                                                                             \
    "<volume><name>%s</name><capacity unit='bytes'>%lld</capacity><allocation>0</allocation>"      \
    "<target><format type='raw'/><permissions><mode>0600</mode><owner>%lu</owner><group>%lu"       \
    "</group></permissions></target></volume>"

static const char *volume_lasterr(void)
{
    const char *m = virGetLastErrorMessage();
    return m ? m : "unknown libvirt error";
}

static bool is_hexn(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int volume_name(const char *sha, const char *base, char *out, size_t len)
{
    size_t n;

    if (strlen(sha) != 64 || !is_hexn(sha, 64) || base[0] == '\0')
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

/*
 * Where the pool of conn's daemon lives: VOLUME_POOL_PATH for a system daemon; a session
 * daemon runs as its user, who cannot write there: the user's
 * $XDG_DATA_HOME/libvirt/vmsweep (~/.local/share/...), as libvirt keeps its own session
 * pools.  (A session is local: vm_connect refuses a remote one.)  Malloc'd, or NULL.
 */
static char *pool_dir(virConnectPtr conn)
{
    char *uri = virConnectGetURI(conn), *dir;
    const char *data = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

    if (uri && strstr(uri, ":///session") && ((data && *data == '/') || (home && *home == '/')))
        dir = data && *data == '/' ? fsutil_printf("%s/libvirt/vmsweep", data)
                                   : fsutil_printf("%s/.local/share/libvirt/vmsweep", home);
    else
        dir = strdup(VOLUME_POOL_PATH);
    free(uri);
    return dir;
}

/* The vmsweep pool of conn, defined, built and started when missing; NULL reported. */
static virStoragePoolPtr pool_open(virConnectPtr conn)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, VOLUME_POOL);

    if (pool == NULL) {
        char *dir = pool_dir(conn);
        char *xml = dir ? fsutil_printf("<pool type='dir'><name>" VOLUME_POOL
                                        "</name><target><path>%s</path><permissions><mode>0711"
                                        "</mode></permissions></target></pool>",
                                        dir)
                        : NULL;
        pool = xml ? virStoragePoolDefineXML(conn, xml, 0) : NULL;
        free(xml);
        if (pool == NULL || virStoragePoolBuild(pool, 0) < 0) {
            log_error("cannot create the storage pool '%s' (%s): %s", VOLUME_POOL, dir ? dir : "?",
                      volume_lasterr());
            free(dir);
            goto fail;
        }
        log_info("created the storage pool '%s' at '%s'", VOLUME_POOL, dir);
        free(dir);
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

/* Characters a volume name may carry from a file name; others become '_'. */
static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

void volume_host_tag(char tag[VOLUME_TAG_LEN + 1])
{
    char *id = NULL, sha[65], host[256] = "";
    int lvl = log_get_level();

    log_set_level(LOG_QUIET); /* no machine-id: the host name serves */
    if (fsutil_read_file("/etc/machine-id", &id, NULL) < 0 || id[0] == '\0') {
        free(id);
        gethostname(host, sizeof(host) - 1);
        id = strdup(host);
    }
    log_set_level(lvl);
    for (size_t n = id ? strlen(id) : 0; n > 0 && (id[n - 1] == '\n' || id[n - 1] == ' '); n--)
        id[n - 1] = '\0';
    if (id == NULL || sha256_hex(id, strlen(id), sha) < 0)
        snprintf(sha, sizeof(sha), "%08lx", (unsigned long)gethostid());
    memcpy(tag, sha, VOLUME_TAG_LEN);
    tag[VOLUME_TAG_LEN] = '\0';
    free(id);
}

int volume_run_name(const char *tag, long pid, const char *rand, const char *base, char *out,
                    size_t len)
{
    size_t n;

    if (strlen(tag) != VOLUME_TAG_LEN || !is_hexn(tag, VOLUME_TAG_LEN) || pid <= 0 ||
        strlen(rand) != 6 || base[0] == '\0')
        return -1;
    for (const char *p = rand; *p; p++)
        if (!name_char(*p) || *p == '-' || *p == '.' || *p == '_')
            return -1;
    n = (size_t)snprintf(out, len, "%s%s-%ld-%s-%s", VOLUME_RUN_PREFIX, tag, pid, rand, base);
    if (n >= len || n >= VOLUME_NAME_MAX)
        return -1;
    for (char *p = out + n - strlen(base); *p; p++)
        if (!name_char(*p))
            *p = '_';
    return 0;
}

bool volume_run_parse(const char *name, const char *tag, long *pid)
{
    size_t plen = strlen(VOLUME_RUN_PREFIX);
    const char *p = name + plen;
    char *end;
    long v;

    if (strncmp(name, VOLUME_RUN_PREFIX, plen) != 0 || strlen(tag) != VOLUME_TAG_LEN ||
        strncmp(p, tag, VOLUME_TAG_LEN) != 0 || p[VOLUME_TAG_LEN] != '-')
        return false;
    p += VOLUME_TAG_LEN + 1;
    if (*p < '1' || *p > '9')
        return false;
    errno = 0;
    v = strtol(p, &end, 10);
    if (errno || v <= 0 || *end != '-')
        return false;
    p = end + 1;
    for (int i = 0; i < 6; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= '0' && p[i] <= '9')))
            return false;
    if (p[6] != '-' || p[7] == '\0')
        return false;
    *pid = v;
    return true;
}

/* Where the data and holes of the file at fd lie (libvirt's sparse-stream contract). */
static int hole_at(virStreamPtr st, int *in_data, long long *length, void *opaque)
{
    int fd = *(int *)opaque;
    off_t cur = lseek(fd, 0, SEEK_CUR), next;

    (void)st;
    if (cur < 0)
        return -1;
    next = lseek(fd, cur, SEEK_DATA);
    if (next < 0 && errno == ENXIO) {
        /* A hole up to the end, or the end itself. */
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0)
            return -1;
        *in_data = 0;
        *length = end - cur;
    } else if (next < 0) {
        return -1;
    } else if (next > cur) {
        *in_data = 0;
        *length = next - cur;
    } else {
        off_t hole = lseek(fd, cur, SEEK_HOLE);
        if (hole < 0)
            return -1;
        *in_data = 1;
        *length = hole - cur;
    }
    return lseek(fd, cur, SEEK_SET) < 0 ? -1 : 0;
}

static int skip_hole(virStreamPtr st, long long length, void *opaque)
{
    (void)st;
    return lseek(*(int *)opaque, (off_t)length, SEEK_CUR) < 0 ? -1 : 0;
}

int volume_run_put(virConnectPtr conn, const char *path, const char *name, uid_t uid, gid_t gid,
                   char **vol_path)
{
    virStoragePoolPtr pool = NULL;
    virStorageVolPtr v = NULL;
    virStreamPtr st = NULL;
    struct stat sb;
    char *xml = NULL, *vp = NULL;
    int fd, ret = -1;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        log_error("cannot read '%s' to upload: %s", path, fd < 0 ? strerror(errno) : "not a file");
        goto cleanup;
    }
    if ((pool = pool_open(conn)) == NULL)
        goto cleanup;
    xml = fsutil_printf(VOLUME_RUN_XML, name, (long long)sb.st_size, (unsigned long)uid,
                        (unsigned long)gid);
    if (xml == NULL)
        goto cleanup;
    v = virStorageVolCreateXML(pool, xml, 0);
    st = v ? virStreamNew(conn, 0) : NULL;
    if (!st ||
        virStorageVolUpload(v, st, 0, (unsigned long long)sb.st_size,
                            VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) < 0 ||
        virStreamSparseSendAll(st, send_file, hole_at, skip_hole, &fd) < 0 ||
        virStreamFinish(st) < 0) {
        log_error("cannot upload '%s' as the volume '%s' of the storage pool '%s': %s", path, name,
                  VOLUME_POOL, volume_lasterr());
        if (st)
            virStreamAbort(st);
        goto cleanup;
    }
    vp = virStorageVolGetPath(v);
    if (vp == NULL) {
        log_error("cannot find the path of the volume '%s': %s", name, volume_lasterr());
        goto cleanup;
    }
    log_debug("uploaded '%s' as the volume '%s'", path, vp);
    *vol_path = vp;
    ret = 0;
cleanup:
    if (ret < 0 && v)
        virStorageVolDelete(v, 0);
    if (st)
        virStreamFree(st);
    if (v)
        virStorageVolFree(v);
    if (pool)
        virStoragePoolFree(pool);
    if (fd >= 0)
        close(fd);
    free(xml);
    return ret;
}

/* The local end of a download: the file, and how far it may grow. */
struct volume_sink {
    int fd;
    unsigned long long at, max;
};

static int recv_data(virStreamPtr st, const char *data, size_t n, void *opaque)
{
    struct volume_sink *k = opaque;

    (void)st;
    if (k->at + n > k->max) {
        errno = EFBIG;
        return -1;
    }
    if (fsutil_write_all(k->fd, data, n) < 0)
        return -1;
    k->at += n;
    return (int)n;
}

static int recv_hole(virStreamPtr st, long long length, void *opaque)
{
    struct volume_sink *k = opaque;

    (void)st;
    if (length < 0 || k->at + (unsigned long long)length > k->max) {
        errno = EFBIG;
        return -1;
    }
    if (lseek(k->fd, (off_t)length, SEEK_CUR) < 0)
        return -1;
    k->at += (unsigned long long)length;
    return 0;
}

int volume_get(virConnectPtr conn, const char *vol_path, const char *dest,
               unsigned long long max_bytes)
{
    struct volume_sink k = {.fd = -1, .max = max_bytes};
    virStorageVolPtr v = virStorageVolLookupByPath(conn, vol_path);
    virStreamPtr st = NULL;
    int ret = -1;

    if (v == NULL) {
        log_error("cannot find the volume '%s' to download: %s", vol_path, volume_lasterr());
        return -1;
    }
    k.fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (k.fd < 0) {
        log_error("cannot create '%s' for the download of '%s': %s", dest, vol_path,
                  strerror(errno));
        goto cleanup;
    }
    st = virStreamNew(conn, 0);
    if (!st || virStorageVolDownload(v, st, 0, 0, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM) < 0 ||
        virStreamSparseRecvAll(st, recv_data, recv_hole, &k) < 0 || virStreamFinish(st) < 0) {
        log_error("cannot download the volume '%s' into '%s': %s", vol_path, dest,
                  errno == EFBIG ? "larger than the results disk" : volume_lasterr());
        if (st)
            virStreamAbort(st);
        goto cleanup;
    }
    /* A hole at the end is only a seek: the file gets its full size here. */
    if (ftruncate(k.fd, (off_t)k.at) < 0 || fsync(k.fd) < 0) {
        log_error("cannot write '%s': %s", dest, strerror(errno));
        goto cleanup;
    }
    log_debug("downloaded the volume '%s' into '%s' (%llu bytes)", vol_path, dest, k.at);
    ret = 0;
cleanup:
    if (k.fd >= 0) {
        close(k.fd);
        if (ret < 0)
            unlink(dest);
    }
    if (st)
        virStreamFree(st);
    virStorageVolFree(v);
    return ret;
}

int volume_drop(virConnectPtr conn, const char *vol_path)
{
    virStorageVolPtr v = virStorageVolLookupByPath(conn, vol_path);
    int ret = 0;

    if (v == NULL || virStorageVolDelete(v, 0) < 0) {
        log_warn("cannot delete the volume '%s' on the libvirt host: %s", vol_path,
                 volume_lasterr());
        ret = -1;
    }
    if (v)
        virStorageVolFree(v);
    return ret;
}

int volume_reap(virConnectPtr conn, const char *tag)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, VOLUME_POOL);
    virStorageVolPtr *vols = NULL;
    int n, gone = 0;

    if (pool == NULL || virStoragePoolIsActive(pool) != 1 || virStoragePoolRefresh(pool, 0) < 0 ||
        (n = virStoragePoolListAllVolumes(pool, &vols, 0)) < 0) {
        if (pool)
            virStoragePoolFree(pool);
        return 0; /* no pool yet: nothing of ours there */
    }
    for (int i = 0; i < n; i++) {
        const char *name = virStorageVolGetName(vols[i]);
        long pid;
        if (name && volume_run_parse(name, tag, &pid) && pid != (long)getpid() &&
            kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
            if (virStorageVolDelete(vols[i], 0) == 0) {
                log_debug("deleted the volume '%s' of a vmsweep that is gone", name);
                gone++;
            } else {
                log_warn("cannot delete the volume '%s' of a vmsweep that is gone: %s", name,
                         volume_lasterr());
            }
        }
        virStorageVolFree(vols[i]);
    }
    free(vols);
    virStoragePoolFree(pool);
    return gone;
}
