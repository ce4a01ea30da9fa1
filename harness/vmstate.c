/* vmstate — see vmstate.h. */
#include "vmstate.h"

#include "fsutil.h"
#include "log.h"
#include "paths.h"
#include "sha256.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VMSTATE_PARTIAL_AGE_S 3600 /* a .partial older than this was left by a dead run */

int vmstate_key(const char *template_xml, const char *image_sha256, const char *versions,
                char key[65])
{
    struct sha256 ctx;
    uint8_t sum[32];

    sha256_init(&ctx);
    sha256_update(&ctx, "vmsweep-state-1", 16);
    sha256_update(&ctx, template_xml, strlen(template_xml) + 1);
    sha256_update(&ctx, image_sha256, strlen(image_sha256) + 1);
    sha256_update(&ctx, versions, strlen(versions) + 1);
    if (sha256_final(&ctx, sum) < 0)
        return -1;
    sha256_to_hex(sum, key);
    return 0;
}

static char *states_dir(void)
{
    char *dir = paths_cache_sub("states");

    if (dir && fsutil_private_dir(dir) < 0) {
        free(dir);
        return NULL;
    }
    return dir;
}

static bool is_key(const char *s, size_t len)
{
    if (len != 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int vmstate_find(const char *key, struct vmstate *out)
{
    char *dir = states_dir(), *meta = NULL, *img = NULL, *data = NULL;
    cJSON *m = NULL;
    struct stat st;
    int ret = -1;

    if (dir == NULL)
        return -1;
    meta = fsutil_printf("%s/%s.json", dir, key);
    img = fsutil_printf("%s/%s.state", dir, key);
    if (!meta || !img)
        goto cleanup;
    ret = 0;
    if (lstat(meta, &st) < 0 || !S_ISREG(st.st_mode) || lstat(img, &st) < 0 || !S_ISREG(st.st_mode))
        goto cleanup;
    if (fsutil_read_file(meta, &data, NULL) < 0)
        goto cleanup;
    m = cJSON_Parse(data);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(m, "name");
    const cJSON *uuid = cJSON_GetObjectItemCaseSensitive(m, "uuid");
    if (!cJSON_IsString(name) || !cJSON_IsString(uuid)) {
        log_warn("saved state '%s' has a damaged record: not using it", meta);
        goto cleanup;
    }
    out->path = img;
    out->name = strdup(name->valuestring);
    out->uuid = strdup(uuid->valuestring);
    img = NULL;
    if (!out->name || !out->uuid) {
        vmstate_free(out);
        ret = -1;
        goto cleanup;
    }
    /* The meta file's mtime is the state's last use, for pruning. */
    utimensat(AT_FDCWD, meta, NULL, 0);
    ret = 1;
cleanup:
    cJSON_Delete(m);
    free(data);
    free(meta);
    free(img);
    free(dir);
    return ret;
}

char *vmstate_temp(const char *key)
{
    char *dir = states_dir(), *tmp = NULL;
    unsigned long long r;

    if (dir == NULL)
        return NULL;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        r = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
    tmp = fsutil_printf("%s/%s.%016llx.partial", dir, key, r);
    free(dir);
    return tmp;
}

int vmstate_commit(const char *key, const char *tmp, const char *name, const char *uuid)
{
    char *dir = states_dir(), *meta = NULL, *img = NULL, *text = NULL;
    cJSON *m = cJSON_CreateObject();
    struct stat st;
    int ret = -1;

    if (!dir || !m || stat(tmp, &st) < 0)
        goto cleanup;
    meta = fsutil_printf("%s/%s.json", dir, key);
    img = fsutil_printf("%s/%s.state", dir, key);
    if (!meta || !img)
        goto cleanup;
    cJSON_AddStringToObject(m, "name", name);
    cJSON_AddStringToObject(m, "uuid", uuid);
    cJSON_AddNumberToObject(m, "bytes", (double)st.st_size);
    cJSON_AddNumberToObject(m, "created", (double)time(NULL));
    text = cJSON_Print(m);
    if (text == NULL)
        goto cleanup;
    /* The image first, the record last: a state without its record is not used. */
    unlink(meta);
    if (rename(tmp, img) < 0) {
        log_error("cannot keep the saved state '%s': %s", img, strerror(errno));
        goto cleanup;
    }
    if (fsutil_write_atomic(meta, text, strlen(text), 0600) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    if (ret < 0)
        unlink(tmp);
    cJSON_Delete(m);
    free(text);
    free(meta);
    free(img);
    free(dir);
    if (ret == 0)
        vmstate_prune(VMSTATE_MAX_BYTES);
    return ret;
}

void vmstate_drop(const char *key)
{
    char *dir = states_dir();
    char *meta = dir ? fsutil_printf("%s/%s.json", dir, key) : NULL;
    char *img = dir ? fsutil_printf("%s/%s.state", dir, key) : NULL;

    if (meta)
        unlink(meta);
    if (img)
        unlink(img);
    free(meta);
    free(img);
    free(dir);
}

struct entry {
    char key[65];
    time_t used;
    uint64_t bytes;
};

static int by_use(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    return (x->used > y->used) - (x->used < y->used);
}

void vmstate_prune(uint64_t max_bytes)
{
    char *dir = states_dir();
    struct entry *e = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    struct dirent *d;
    DIR *dp;

    if (dir == NULL || (dp = opendir(dir)) == NULL) {
        free(dir);
        return;
    }
    while ((d = readdir(dp)) != NULL) {
        const char *nm = d->d_name, *dot = strchr(nm, '.');
        size_t klen = dot ? (size_t)(dot - nm) : strlen(nm);
        char *path;
        struct stat st;

        if (!dot || !is_key(nm, klen))
            continue;
        path = fsutil_printf("%s/%s", dir, nm);
        if (path == NULL || lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        if (strcmp(dot, ".state") == 0) {
            /* Its record's mtime says when it was last used (the image's if none). */
            struct stat ms;
            char *meta = fsutil_printf("%s/%.64s.json", dir, nm);
            if (n == cap) {
                struct entry *ne = realloc(e, (cap = cap ? cap * 2 : 16) * sizeof(*e));
                if (ne == NULL) {
                    free(meta);
                    free(path);
                    break;
                }
                e = ne;
            }
            memcpy(e[n].key, nm, 64);
            e[n].key[64] = '\0';
            e[n].used = meta && stat(meta, &ms) == 0 ? ms.st_mtime : st.st_mtime;
            e[n].bytes = (uint64_t)st.st_size;
            total += e[n].bytes;
            n++;
            free(meta);
        } else if (strlen(dot) == 25 && strcmp(dot + 17, ".partial") == 0 &&
                   time(NULL) - st.st_mtime > VMSTATE_PARTIAL_AGE_S) {
            unlink(path); /* left by a run that died while saving */
        }
        free(path);
    }
    closedir(dp);
    if (n > 1)
        qsort(e, n, sizeof(*e), by_use);
    for (size_t i = 0; i < n && total > max_bytes; i++) {
        log_info("removing saved VM state %.12s (%llu MiB) to keep the cache under %llu MiB",
                 e[i].key, (unsigned long long)(e[i].bytes >> 20),
                 (unsigned long long)(max_bytes >> 20));
        vmstate_drop(e[i].key);
        total -= e[i].bytes;
    }
    free(e);
    free(dir);
}

void vmstate_free(struct vmstate *s)
{
    if (s == NULL)
        return;
    free(s->path);
    free(s->name);
    free(s->uuid);
    s->path = s->name = s->uuid = NULL;
}
