/*
 * volume — see volume.h.
 *
 * A content volume is uploaded under its final name, and a marker volume "<name>.ok"
 * (empty) is made only once every byte is there: a harness killed midway leaves a volume
 * with no marker, which the next upload of that content deletes first, so a name with its
 * marker is never a partial content.  (Uploading to a ".part" volume and cloning it would
 * write the bytes twice, and the daemon's clone of a qcow2 into its final name converts
 * it: libvirt probes an uploaded file's format.)  Runs sharing the daemon take turns on
 * one content under the lock volume "<name>.up", which the daemon makes or refuses
 * atomically: the holder deletes a partial volume, uploads and marks; the others poll
 * (lock, marker, bytes allocated) and reuse.  A lock under which nothing moves for
 * VOLUME_STALE_MS (plus a jitter of each waiter's) was held by a run that was killed: it
 * is taken over.  An upload slower than one write in that time would be taken for dead
 * and fail on its own volume (libvirt refuses to delete a volume under upload: the taker
 * reports that), never mix two contents.  One race is left: a waiter whose patience ends
 * in the milliseconds between another's takeover (delete, make) and its next look deletes
 * the new lock; the jitter makes that rare, and its worst is the failed upload above.
 *
 * A qcow2 overlay names its backing file by a path of this host; on the daemon's host that
 * layer is a volume of another path.  Each layer above the bottom therefore goes up with
 * its first cluster replaced in the stream by one naming the lower layer's volume (what
 * qemu-img rebase -u writes: qcow2_rebase_head; the file itself is only read, and no copy
 * is made), and is named by the digest of (its content, the lower volume's name, the
 * lower's format): the same chain gets the same names, so it goes up once per host.
 * Cost: each layer's bytes read twice here (digest, upload) when it is not there yet, once
 * (digest) when it is.
 */
#include "volume.h"

#include "cancel.h"
#include "domxml.h"
#include "fsutil.h"
#include "guest.h"
#include "log.h"
#include "qcow2.h"
#include "sha256.h"
#include "units.h"

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
#define VOLUME_MARK   ".ok"
#define VOLUME_LOCK   ".up"
/* How often a run waiting on another's upload looks at it. */
#define VOLUME_POLL_MS 500
/* Layers of a disk image's chain followed at most (qemu's own limit is far higher; a user's
 * prepared image has two). */
#define VOLUME_CHAIN_MAX 8
/*
 * name, capacity, owner, group: names are ours (volume_name), so need no escaping.
 * Sparse (allocation 0, or libvirt would write every byte of it first).
 */
#define VOLUME_XML                                                                                 \
    "<volume><name>%s</name><capacity unit='bytes'>%lld</capacity><allocation>0</allocation>"      \
    "<target><format type='raw'/><permissions><mode>0600</mode><owner>%lu</owner><group>%lu"       \
    "</group></permissions></target></volume>"
/* A qcow2 overlay of capacity bytes over the qcow2 volume at the (escaped) path. */
#define VOLUME_OVERLAY_XML                                                                         \
    "<volume><name>%s</name><capacity unit='bytes'>%llu</capacity><target><format "                \
    "type='qcow2'/><compat>1.1</compat><permissions><mode>0600</mode><owner>%lu</owner><group>%lu" \
    "</group></permissions></target><backingStore><path>%s</path><format type='qcow2'/>"           \
    "</backingStore></volume>"

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

/* Characters a volume name may carry from a file name; others become '_'. */
static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

/* The file name part of a volume name from p on: other characters become '_'. */
static void name_clean(char *p)
{
    for (; *p; p++)
        if (!name_char(*p))
            *p = '_';
}

int volume_name(const char *sha, const char *base, char *out, size_t len)
{
    size_t n;

    if (strlen(sha) != 64 || !is_hexn(sha, 64) || base[0] == '\0')
        return -1;
    n = (size_t)snprintf(out, len, "%s%s-%s", VOLUME_PREFIX, sha, base);
    if (n >= len || n >= VOLUME_NAME_MAX)
        return -1;
    name_clean(out + strlen(VOLUME_PREFIX) + 65);
    return 0;
}

enum volume_action volume_decide(bool exists, bool marked, unsigned long long physical,
                                 unsigned long long size)
{
    return exists && marked && (size == 0 || physical == size) ? VOLUME_REUSE : VOLUME_UPLOAD;
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
        char *dir = pool_dir(conn), *edir = dir ? domxml_escape(dir) : NULL;
        char *xml = edir ? fsutil_printf("<pool type='dir'><name>" VOLUME_POOL
                                         "</name><target><path>%s</path><permissions><mode>0711"
                                         "</mode></permissions></target></pool>",
                                         edir)
                         : NULL;
        pool = xml ? virStoragePoolDefineXML(conn, xml, 0) : NULL;
        free(xml);
        free(edir);
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
    /* Volumes made through libvirt are known to it without a refresh; one finds what
     * changed behind its back.  A pool with an upload running refuses to refresh ("has
     * asynchronous jobs running": sizes of one run, or two runs, on one host): it is
     * used as libvirt knows it. */
    if (virStoragePoolRefresh(pool, 0) < 0)
        log_debug("the storage pool '%s' was not refreshed: %s", VOLUME_POOL, volume_lasterr());
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

/*
 * What an upload sends: the file open at fd, size bytes, whose first head_len bytes come
 * from head instead when head is not NULL (a layer's rewritten header cluster).  pos is
 * where the stream is; reads are positioned, so the fd's offset does not matter.
 */
struct volume_src {
    int fd;
    off_t size, pos;
    const unsigned char *head;
    size_t head_len;
    const char *path; /* for the progress lines */
    uint64_t next_ms; /* when to say how far it is (0: not yet started) */
};

/* A progress line every VOLUME_PROGRESS_MS while an upload runs (a first upload of a disk
 * image to a remote host can take minutes). */
#define VOLUME_PROGRESS_MS 5000

static void src_progress(struct volume_src *u)
{
    uint64_t now = guest_now_ms();
    char done[16], all[16];

    if (u->next_ms == 0) {
        u->next_ms = now + VOLUME_PROGRESS_MS;
    } else if (now >= u->next_ms && u->size > 0) {
        units_fmt_size((uint64_t)u->pos, done, sizeof(done));
        units_fmt_size((uint64_t)u->size, all, sizeof(all));
        log_info("uploading '%s': %s of %s (%d%%)", u->path, done, all,
                 (int)((double)u->pos * 100 / (double)u->size));
        u->next_ms = now + VOLUME_PROGRESS_MS;
    }
}

static int send_file(virStreamPtr st, char *data, size_t n, void *opaque)
{
    struct volume_src *u = opaque;
    ssize_t got;

    (void)st;
    src_progress(u);
    if (u->head && u->pos < (off_t)u->head_len) {
        size_t k = u->head_len - (size_t)u->pos;
        if (k > n)
            k = n;
        memcpy(data, u->head + u->pos, k);
        u->pos += (off_t)k;
        return (int)k;
    }
    while ((got = pread(u->fd, data, n, u->pos)) < 0 && errno == EINTR)
        ;
    if (got > 0)
        u->pos += got;
    return (int)got;
}

/* Where the data and holes of the source lie (libvirt's sparse-stream contract). */
static int hole_at(virStreamPtr st, int *in_data, long long *length, void *opaque)
{
    struct volume_src *u = opaque;
    off_t next;

    (void)st;
    if (u->head && u->pos < (off_t)u->head_len) {
        *in_data = 1;
        *length = (long long)u->head_len - u->pos;
        return 0;
    }
    next = lseek(u->fd, u->pos, SEEK_DATA);
    if (next < 0 && errno == ENXIO) {
        /* A hole up to the end, or the end itself. */
        *in_data = 0;
        *length = u->size - u->pos;
    } else if (next < 0) {
        return -1;
    } else if (next > u->pos) {
        *in_data = 0;
        *length = next - u->pos;
    } else {
        off_t hole = lseek(u->fd, u->pos, SEEK_HOLE);
        if (hole < 0)
            return -1;
        *in_data = 1;
        *length = hole - u->pos;
    }
    return 0;
}

static int skip_hole(virStreamPtr st, long long length, void *opaque)
{
    struct volume_src *u = opaque;

    (void)st;
    u->pos += (off_t)length;
    return 0;
}

/*
 * Upload src (read from path; holes are not sent) as the new volume name of pool,
 * readable by uid:gid only.  The volume, or NULL (reported; nothing left of it).
 */
static virStorageVolPtr upload(virStoragePoolPtr pool, const char *path, struct volume_src *src,
                               const char *name, uid_t uid, gid_t gid)
{
    char *xml = fsutil_printf(VOLUME_XML, name, (long long)src->size, (unsigned long)uid,
                              (unsigned long)gid);
    virStorageVolPtr v = xml ? virStorageVolCreateXML(pool, xml, 0) : NULL;
    virStreamPtr st = v ? virStreamNew(virStoragePoolGetConnect(pool), 0) : NULL;

    free(xml);
    if (!st ||
        virStorageVolUpload(v, st, 0, (unsigned long long)src->size,
                            VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) < 0 ||
        virStreamSparseSendAll(st, send_file, hole_at, skip_hole, src) < 0 ||
        virStreamFinish(st) < 0) {
        log_error("cannot upload '%s' as the volume '%s' of the storage pool '%s': %s", path, name,
                  VOLUME_POOL, volume_lasterr());
        if (st)
            virStreamAbort(st);
        if (v) {
            virStorageVolDelete(v, 0);
            virStorageVolFree(v);
            v = NULL;
        }
    }
    if (st)
        virStreamFree(st);
    return v;
}

/*
 * Open path for an upload into *src (fd, size; no head).  nofollow: path is in a folder
 * others may write (a link there is refused).  0, or -1 (reported).
 */
static int src_open(const char *path, bool nofollow, struct volume_src *src)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));

    if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        log_error("cannot read '%s' to upload: %s", path, fd < 0 ? strerror(errno) : "not a file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    memset(src, 0, sizeof(*src));
    src->fd = fd;
    src->size = sb.st_size;
    src->path = path;
    return 0;
}

/*
 * Is the content volume name of pool there whole (volume_decide) for a source of size
 * bytes?  *v gets it (or NULL), *m its marker (or NULL), both to be freed.
 */
static enum volume_action observe(virStoragePoolPtr pool, const char *name, const char *mark,
                                  off_t size, virStorageVolPtr *v, virStorageVolPtr *m)
{
    virStorageVolInfo info;

    *v = virStorageVolLookupByName(pool, name);
    *m = virStorageVolLookupByName(pool, mark);
    /* Separate statements: the order in which a call's arguments are evaluated is
     * unspecified.  With GET_PHYSICAL, allocation is the file's size on the host. */
    bool exists = *v && virStorageVolGetInfoFlags(*v, &info, VIR_STORAGE_VOL_GET_PHYSICAL) == 0;
    return volume_decide(exists, *m != NULL, exists ? info.allocation : 0,
                         (unsigned long long)size);
}

static void vol_drop(virStorageVolPtr *v, bool delete)
{
    if (*v) {
        if (delete)
            virStorageVolDelete(*v, 0);
        virStorageVolFree(*v);
        *v = NULL;
    }
}

/*
 * Take the upload lock of a content volume: the volume lock made in pool (of a capacity of
 * our own: volume.h), which fails when it is there.  1 taken, 0 another run holds it, -1
 * (reported).
 */
static int lock_take(virStoragePoolPtr pool, const char *lock, uid_t uid, gid_t gid)
{
    unsigned long long id =
        1 + (((unsigned long long)getpid() << 20) ^ guest_now_ms()) % (1u << 30);
    char *xml =
        fsutil_printf(VOLUME_XML, lock, (long long)id, (unsigned long)uid, (unsigned long)gid);
    virStorageVolPtr l = xml ? virStorageVolCreateXML(pool, xml, 0) : NULL;

    free(xml);
    if (l) {
        virStorageVolFree(l);
        return 1;
    }
    /* "Already exists" is the common answer; a lock found by name says it however the
     * daemon words it. */
    l = virStorageVolLookupByName(pool, lock);
    if (l) {
        virStorageVolFree(l);
        return 0;
    }
    log_error("cannot make the upload lock '%s' in the storage pool '%s': %s", lock, VOLUME_POOL,
              volume_lasterr());
    return -1;
}

void volume_wait_start(struct volume_waiter *w, const struct volume_seen *first, uint64_t now_ms,
                       uint64_t patience_ms)
{
    w->last = *first;
    w->changed_ms = now_ms;
    w->patience_ms = patience_ms;
}

enum volume_wait volume_wait_next(struct volume_waiter *w, const struct volume_seen *now,
                                  uint64_t now_ms)
{
    if (!now->locked || now->marked)
        return VOLUME_WAIT_DECIDE;
    if (now->lock_id != w->last.lock_id || now->allocated != w->last.allocated || !w->last.locked ||
        w->last.marked) {
        w->last = *now;
        w->changed_ms = now_ms;
    }
    return now_ms - w->changed_ms >= w->patience_ms ? VOLUME_WAIT_TAKE : VOLUME_WAIT_ON;
}

/* What is seen now of the upload of name (its lock, marker, bytes on disk). */
static void seen_read(virStoragePoolPtr pool, const char *name, const char *mark, const char *lock,
                      struct volume_seen *s)
{
    virStorageVolPtr v = virStorageVolLookupByName(pool, name);
    virStorageVolPtr m = virStorageVolLookupByName(pool, mark);
    virStorageVolPtr l = virStorageVolLookupByName(pool, lock);
    virStorageVolInfo info;

    memset(s, 0, sizeof(*s));
    s->locked = l != NULL;
    s->marked = m != NULL;
    if (l && virStorageVolGetInfo(l, &info) == 0)
        s->lock_id = info.capacity;
    /* Without GET_PHYSICAL: the bytes allocated, which grow as an upload writes. */
    if (v && virStorageVolGetInfo(v, &info) == 0)
        s->allocated = info.allocation;
    vol_drop(&v, false);
    vol_drop(&m, false);
    vol_drop(&l, false);
}

/*
 * Another run (of this host or another sharing the daemon) holds the upload lock of name:
 * wait until it lets go (its upload done or failed: 0, decide again), or until nothing has
 * moved for our patience (its run was killed with the lock held: the lock is deleted, 0).
 * -1 when interrupted (reported).
 */
static int wait_other(virStoragePoolPtr pool, const char *path, const char *name, const char *mark,
                      const char *lock)
{
    struct volume_waiter w;
    struct volume_seen now;
    uint64_t t = guest_now_ms(), next_log = t;

    seen_read(pool, name, mark, lock, &now);
    volume_wait_start(&w, &now, t,
                      VOLUME_STALE_MS + ((uint64_t)getpid() * 7919u + t) % VOLUME_JITTER_MS);
    for (;;) {
        if (cancel_requested()) {
            log_error("interrupted while waiting for another upload of '%s'", path);
            return -1;
        }
        seen_read(pool, name, mark, lock, &now);
        t = guest_now_ms();
        switch (volume_wait_next(&w, &now, t)) {
        case VOLUME_WAIT_DECIDE:
            return 0;
        case VOLUME_WAIT_TAKE: {
            virStorageVolPtr l = virStorageVolLookupByName(pool, lock);
            log_warn("the upload of '%s' to the storage pool '%s' has not moved for %.0f s: the "
                     "run that held its lock '%s' is gone; taking it over",
                     path, VOLUME_POOL, (double)w.patience_ms / 1000, lock);
            vol_drop(&l, true);
            return 0;
        }
        case VOLUME_WAIT_ON:
            break;
        }
        if (t >= next_log) {
            char sz[16];
            units_fmt_size(now.allocated, sz, sizeof(sz));
            log_info("waiting for another upload of '%s' to the storage pool '%s' (%s there)", path,
                     VOLUME_POOL, sz);
            next_log = t + VOLUME_PROGRESS_MS;
        }
        usleep(VOLUME_POLL_MS * 1000);
    }
}

/*
 * The content volume name of pool for the file at path (its first cluster replaced by
 * head when not NULL), uploaded unless there whole (volume_decide): *vol_path its path on
 * the host (malloc'd), *sent whether bytes went up.  Runs sharing the daemon take turns
 * under the volume "<name>.up": one uploads, the others wait and reuse.  0, or -1
 * (reported).
 */
static int put_content(virStoragePoolPtr pool, const char *path, const unsigned char *head,
                       size_t head_len, const char *name, uid_t uid, gid_t gid, char **vol_path,
                       bool *sent)
{
    char mark[VOLUME_NAME_MAX + sizeof(VOLUME_MARK)], lock[VOLUME_NAME_MAX + sizeof(VOLUME_LOCK)];
    virStorageVolPtr v = NULL, m = NULL;
    struct volume_src src = {.fd = -1};
    char *vp = NULL, *mxml = NULL;
    bool locked = false, up = false;
    int ret = -1;

    snprintf(mark, sizeof(mark), "%s" VOLUME_MARK, name);
    snprintf(lock, sizeof(lock), "%s" VOLUME_LOCK, name);
    if (src_open(path, false, &src) < 0)
        goto cleanup;
    src.head = head;
    src.head_len = head_len;
    while (observe(pool, name, mark, src.size, &v, &m) == VOLUME_UPLOAD) {
        vol_drop(&v, false);
        vol_drop(&m, false);
        int got = lock_take(pool, lock, uid, gid);
        if (got < 0)
            goto cleanup;
        if (got == 0) {
            if (wait_other(pool, path, name, mark, lock) < 0)
                goto cleanup;
            continue;
        }
        locked = true;
        /* Whoever held the lock before may have finished just before it was taken. */
        if (observe(pool, name, mark, src.size, &v, &m) == VOLUME_REUSE)
            break;
        /* What is there is a partial upload of a run that was killed: gone first. */
        vol_drop(&m, true);
        vol_drop(&v, true);
        char sz[16];
        uint64_t t0 = guest_now_ms();
        units_fmt_size((uint64_t)src.size, sz, sizeof(sz));
        log_info("uploading '%s' (%s) to the storage pool '%s'", path, sz, VOLUME_POOL);
        v = upload(pool, path, &src, name, uid, gid);
        if (v == NULL)
            goto cleanup;
        mxml = fsutil_printf(VOLUME_XML, mark, 0LL, (unsigned long)uid, (unsigned long)gid);
        m = mxml ? virStorageVolCreateXML(pool, mxml, 0) : NULL;
        if (m == NULL) {
            log_error("cannot mark the volume '%s' complete in the storage pool '%s': %s", name,
                      VOLUME_POOL, volume_lasterr());
            vol_drop(&v, true);
            goto cleanup;
        }
        up = true;
        log_info("uploaded '%s' to the storage pool '%s' as '%s' in %.1f s", path, VOLUME_POOL,
                 name, (double)(guest_now_ms() - t0) / 1000);
        break;
    }
    if (!up)
        log_debug("reusing the volume '%s' for '%s'", name, path);
    vp = virStorageVolGetPath(v);
    if (vp == NULL) {
        log_error("cannot find the path of the volume '%s': %s", name, volume_lasterr());
        goto cleanup;
    }
    *vol_path = vp;
    if (up)
        *sent = true;
    ret = 0;
cleanup:
    if (locked) {
        virStorageVolPtr l = virStorageVolLookupByName(pool, lock);
        vol_drop(&l, true);
    }
    vol_drop(&v, false);
    vol_drop(&m, false);
    if (src.fd >= 0)
        close(src.fd);
    free(mxml);
    return ret;
}

/*
 * Put the file at path into pool as a content volume, and a qcow2 image's backing chain
 * below it first (depth: layers above this one).  *name gets the volume's name (its
 * VOLUME_NAME_MAX bytes), *fmt the format ("qcow2" or "raw"), *vol_path its path.
 */
static int put_layer(virStoragePoolPtr pool, const char *path, int depth, uid_t uid, gid_t gid,
                     char *name, const char **fmt, char **vol_path, bool *sent)
{
    const char *base = strrchr(path, '/');
    struct qcow2_info qi;
    unsigned char *head = NULL, *nhead = NULL;
    char sha[65], lname[VOLUME_NAME_MAX], key[65], err[160];
    char *lower = NULL, *lvp = NULL, *keytext = NULL;
    const char *lfmt = NULL;
    bool q = qcow2_is(path);
    int ret = -1;

    base = base ? base + 1 : path;
    if (sha256_file(path, sha) < 0)
        return -1;
    if (q && qcow2_read(path, &qi, &head) < 0)
        return -1;
    if (!q || qi.backing[0] == '\0') {
        if (volume_name(sha, base, name, VOLUME_NAME_MAX) < 0) {
            log_error("no volume name for '%s'", path);
            goto cleanup;
        }
        *fmt = q ? "qcow2" : "raw";
        ret = put_content(pool, path, NULL, 0, name, uid, gid, vol_path, sent);
        goto cleanup;
    }
    if (depth >= VOLUME_CHAIN_MAX) {
        log_error("'%s': its chain of backing files is more than %d deep", path, VOLUME_CHAIN_MAX);
        goto cleanup;
    }
    lower = qcow2_backing_path(path, &qi);
    if (lower == NULL || put_layer(pool, lower, depth + 1, uid, gid, lname, &lfmt, &lvp, sent) < 0)
        goto cleanup;
    if (qi.backing_fmt[0] && strcmp(qi.backing_fmt, lfmt) != 0) {
        log_error("'%s' says its backing file '%s' is %s, but it is %s", path, lower,
                  qi.backing_fmt, lfmt);
        goto cleanup;
    }
    /* This layer as it goes up: its header names the lower layer's volume. */
    keytext = fsutil_printf("%s\n%s\n%s\n", sha, lname, lfmt);
    nhead = malloc(qi.cluster);
    if (keytext == NULL || nhead == NULL) {
        log_error("out of memory");
        goto cleanup;
    }
    if (qcow2_rebase_head(head, &qi, lvp, lfmt, nhead, err, sizeof(err)) < 0) {
        log_error("cannot point '%s' at the volume of its backing file: %s", path, err);
        goto cleanup;
    }
    if (sha256_hex(keytext, strlen(keytext), key) < 0 ||
        volume_name(key, base, name, VOLUME_NAME_MAX) < 0) {
        log_error("no volume name for '%s'", path);
        goto cleanup;
    }
    *fmt = "qcow2";
    ret = put_content(pool, path, nhead, qi.cluster, name, uid, gid, vol_path, sent);
cleanup:
    free(head);
    free(nhead);
    free(lower);
    free(lvp);
    free(keytext);
    return ret;
}

int volume_put(virConnectPtr conn, const char *path, uid_t uid, gid_t gid, char **vol_path,
               bool *uploaded)
{
    char name[VOLUME_NAME_MAX];
    virStoragePoolPtr pool = pool_open(conn);
    const char *fmt;
    bool sent = false;
    int ret;

    if (pool == NULL)
        return -1;
    ret = put_layer(pool, path, 0, uid, gid, name, &fmt, vol_path, &sent);
    virStoragePoolFree(pool);
    if (ret == 0)
        *uploaded = sent;
    return ret;
}

int volume_overlay(virConnectPtr conn, const char *base_path, const char *name, uid_t uid,
                   gid_t gid, char **vol_path)
{
    virStorageVolPtr b = virStorageVolLookupByPath(conn, base_path), v = NULL;
    virStoragePoolPtr pool = NULL;
    virStorageVolInfo info;
    char *bxml = NULL, *ebase = NULL, *xml = NULL, *vp = NULL;
    const char *fmt;
    int ret = -1;

    /* The daemon probed the base's format on upload: a qcow2's capacity is its virtual
     * size, which the overlay takes. */
    if (b == NULL || virStorageVolGetInfo(b, &info) < 0 ||
        (bxml = virStorageVolGetXMLDesc(b, 0)) == NULL) {
        log_error("cannot read the volume '%s': %s", base_path, volume_lasterr());
        goto cleanup;
    }
    fmt = strstr(bxml, "<format type=");
    if (fmt == NULL || strncmp(fmt, "<format type='qcow2'/>", 22) != 0) {
        log_error("the libvirt host does not see the volume '%s' as a qcow2 image", base_path);
        goto cleanup;
    }
    if ((pool = pool_open(conn)) == NULL)
        goto cleanup;
    ebase = domxml_escape(base_path);
    xml = ebase ? fsutil_printf(VOLUME_OVERLAY_XML, name, info.capacity, (unsigned long)uid,
                                (unsigned long)gid, ebase)
                : NULL;
    v = xml ? virStorageVolCreateXML(pool, xml, 0) : NULL;
    if (v == NULL || (vp = virStorageVolGetPath(v)) == NULL) {
        log_error("cannot make the overlay volume '%s' of '%s' in the storage pool '%s': %s", name,
                  base_path, VOLUME_POOL, volume_lasterr());
        if (v)
            virStorageVolDelete(v, 0);
        goto cleanup;
    }
    log_debug("made the overlay volume '%s' of '%s'", vp, base_path);
    *vol_path = vp;
    ret = 0;
cleanup:
    if (v)
        virStorageVolFree(v);
    if (b)
        virStorageVolFree(b);
    if (pool)
        virStoragePoolFree(pool);
    free(bxml);
    free(ebase);
    free(xml);
    return ret;
}

void volume_host_tag(char tag[VOLUME_TAG_LEN + 1])
{
    char id[256] = "", sha[65];
    FILE *f = fopen("/etc/machine-id", "re");
    size_t n;

    /* Read quietly (hosts are connected from several threads: no log level games); no
     * machine-id: the host name serves. */
    if (f == NULL || fgets(id, sizeof(id), f) == NULL)
        id[0] = '\0';
    if (f)
        fclose(f);
    if (id[0] == '\0' || id[0] == '\n')
        gethostname(id, sizeof(id) - 1);
    for (n = strlen(id); n > 0 && (id[n - 1] == '\n' || id[n - 1] == ' '); n--)
        id[n - 1] = '\0';
    if (sha256_hex(id, strlen(id), sha) < 0)
        snprintf(sha, sizeof(sha), "%08lx", (unsigned long)gethostid());
    memcpy(tag, sha, VOLUME_TAG_LEN);
    tag[VOLUME_TAG_LEN] = '\0';
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
    name_clean(out + n - strlen(base));
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

int volume_run_put(virConnectPtr conn, const char *path, const char *name, uid_t uid, gid_t gid,
                   char **vol_path)
{
    virStoragePoolPtr pool = NULL;
    virStorageVolPtr v = NULL;
    struct volume_src src = {.fd = -1};
    char *vp = NULL;
    int ret = -1;

    if (src_open(path, true, &src) < 0 || (pool = pool_open(conn)) == NULL ||
        (v = upload(pool, path, &src, name, uid, gid)) == NULL)
        goto cleanup;
    vp = virStorageVolGetPath(v);
    if (vp == NULL) {
        log_error("cannot find the path of the volume '%s': %s", name, volume_lasterr());
        virStorageVolDelete(v, 0);
        goto cleanup;
    }
    log_debug("uploaded '%s' as the volume '%s'", path, vp);
    *vol_path = vp;
    ret = 0;
cleanup:
    if (v)
        virStorageVolFree(v);
    if (pool)
        virStoragePoolFree(pool);
    if (src.fd >= 0)
        close(src.fd);
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

    /* A refresh finds volumes a killed run left only if libvirt lost track of them (a
     * daemon restarted meanwhile); refused while an upload runs, it is not needed then. */
    if (pool && virStoragePoolIsActive(pool) == 1 && virStoragePoolRefresh(pool, 0) < 0)
        log_debug("the storage pool '%s' was not refreshed: %s", VOLUME_POOL, volume_lasterr());
    if (pool == NULL || virStoragePoolIsActive(pool) != 1 ||
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
