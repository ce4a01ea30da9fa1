/*
 * compareinput — see compareinput.h.  Directory entries are sorted so that the same
 * directory always gives the same tables in the same order.
 */
#include "compareinput.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "outfile.h"

static const char *const compareinput_field_names[COMPAREINPUT_FIELD_COUNT] = {
    "accelerator", "guest CPU model", "vCPUs", "memory (MiB)", "image hash", "host CPU",
};

const char *compareinput_field_name(enum compareinput_field f)
{
    return f < COMPAREINPUT_FIELD_COUNT ? compareinput_field_names[f] : "?";
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * 1 when name is printable text (what log_escape leaves as it is).  Names of files read are
 * echoed in every message about them: one with escape sequences or line breaks in it is
 * refused rather than printed.
 */
static int printable_name(const char *name, FILE *diag, const char *dir)
{
    char *shown = log_escape(name, strlen(name), false);
    int ok = shown && strcmp(shown, name) == 0;

    if (shown && !ok && diag)
        fprintf(diag,
                "the directory '%s' holds '%s', whose name is not printable text: rename or "
                "remove it\n",
                dir, shown);
    free(shown);
    return ok;
}

/* The files a listing holds, grown by doubling. */
struct file_list {
    char ***paths;
    size_t *n;
    size_t cap;
};

/* Append the .csv files of dir (and of its vcpus-* subdirectories when depth > 0). */
static int scan_dir(const char *dir, int depth, struct file_list *l, FILE *diag)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int ret = -1;

    if (!d) {
        if (diag)
            fprintf(diag, "cannot read the directory '%s': %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char *p = NULL;
        int vcpus_dir = depth > 0 && strncmp(e->d_name, "vcpus-", 6) == 0;
        if (e->d_name[0] == '.' || (!vcpus_dir && !ends_with(e->d_name, ".csv")))
            continue;
        if (!printable_name(e->d_name, diag, dir))
            goto cleanup;
        if (asprintf(&p, "%s/%s", dir, e->d_name) < 0)
            goto oom;
        if (vcpus_dir && is_dir(p)) {
            int rc = scan_dir(p, depth - 1, l, diag);
            free(p);
            if (rc < 0)
                goto cleanup;
            continue;
        }
        if (!ends_with(e->d_name, ".csv") || !is_file(p)) {
            free(p);
            continue;
        }
        if (*l->n == COMPAREINPUT_MAX_FILES) {
            if (diag)
                fprintf(diag,
                        "the directory '%s' holds more than the %d CSV files a side may have\n",
                        dir, COMPAREINPUT_MAX_FILES);
            free(p);
            goto cleanup;
        }
        if (*l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 16;
            char **grown = realloc(*l->paths, cap * sizeof(*grown));
            if (!grown) {
                free(p);
                goto oom;
            }
            *l->paths = grown;
            l->cap = cap;
        }
        (*l->paths)[(*l->n)++] = p;
    }
    ret = 0;
    goto cleanup;
oom:
    if (diag)
        fprintf(diag, "out of memory while listing '%s'\n", dir);
cleanup:
    closedir(d);
    return ret;
}

static char *dup_string(const cJSON *j)
{
    if (cJSON_IsString(j) && j->valuestring)
        return strdup(j->valuestring);
    if (cJSON_IsNumber(j)) {
        char *s = NULL;
        if (asprintf(&s, "%g", j->valuedouble) < 0)
            return NULL;
        return s;
    }
    return NULL;
}

/* The vCPU sizes of a manifest as "1,2,4": from sizes[].vcpus, else spec.vm.vcpus. */
static char *vcpu_list(const cJSON *m)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(m, "sizes"), *it;
    char buf[512] = "";
    size_t len = 0;
    int from_sizes = cJSON_IsArray(arr) && cJSON_GetArraySize(arr) > 0;

    if (!from_sizes)
        arr = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "spec"), "vm"),
            "vcpus");
    if (!cJSON_IsArray(arr))
        return NULL;
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *v = from_sizes ? cJSON_GetObjectItemCaseSensitive(it, "vcpus") : it;
        if (!cJSON_IsNumber(v))
            continue;
        len += (size_t)snprintf(buf + len, len < sizeof(buf) ? sizeof(buf) - len : 0, "%s%g",
                                len ? "," : "", v->valuedouble);
        if (len >= sizeof(buf))
            return NULL;
    }
    return len ? strdup(buf) : NULL;
}

/* Read the manifest at path into in->fields. */
/* The manifest at path, parsed (at most COMPAREINPUT_MAX_MANIFEST bytes); NULL reported. */
static cJSON *load_manifest(const char *path, FILE *diag)
{
    char *data = NULL, *dir = strdup(path), *slash;
    size_t len = 0;
    cJSON *m = NULL;

    if (!dir || !(slash = strrchr(dir, '/')))
        goto cleanup;
    *slash = '\0';
    if (outfile_slurp(dir, slash + 1, COMPAREINPUT_MAX_MANIFEST, &data, &len, diag) < 0)
        goto cleanup;
    m = cJSON_ParseWithLength(data, len);
    if (!cJSON_IsObject(m)) {
        if (diag)
            fprintf(diag, "%s: not a valid JSON object; is it a vmsweep run manifest?\n", path);
        cJSON_Delete(m);
        m = NULL;
    }
cleanup:
    free(data);
    free(dir);
    return m;
}

static int read_manifest(struct compareinput *in, const char *path, FILE *diag)
{
    cJSON *m = load_manifest(path, diag);
    const cJSON *spec_vm;
    int ret = -1;

    if (!m)
        goto cleanup;
    spec_vm = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "spec"), "vm");
    in->fields[COMPAREINPUT_ACCEL] = dup_string(cJSON_GetObjectItemCaseSensitive(m, "accel"));
    in->fields[COMPAREINPUT_CPU_MODEL] =
        dup_string(cJSON_GetObjectItemCaseSensitive(spec_vm, "cpu_model"));
    in->fields[COMPAREINPUT_VCPUS] = vcpu_list(m);
    in->fields[COMPAREINPUT_MEMORY] =
        dup_string(cJSON_GetObjectItemCaseSensitive(spec_vm, "memory")
                       ? cJSON_GetObjectItemCaseSensitive(spec_vm, "memory")
                       : cJSON_GetObjectItemCaseSensitive(spec_vm, "memory_mib")); /* older runs */
    in->fields[COMPAREINPUT_IMAGE] = dup_string(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(m, "image"), "manifest_sha256"));
    in->fields[COMPAREINPUT_HOST_CPU] = dup_string(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "host"), "cpu_model"));
    if (!(in->manifest = strdup(path)))
        goto cleanup;
    ret = 0;
cleanup:
    cJSON_Delete(m);
    return ret;
}

/* The manifest that belongs to arg, or NULL (malloc'd path). */
static char *find_manifest(const char *arg, int arg_is_dir)
{
    char *dir = strdup(arg), *p = NULL, *base;
    if (!dir)
        return NULL;
    if (!arg_is_dir) {
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        else
            strcpy(dir, ".");
    }
    for (int up = 0; up < 2; up++) {
        if (asprintf(&p, "%s/manifest.json", dir) < 0) {
            p = NULL;
            break;
        }
        if (is_file(p))
            break;
        free(p);
        p = NULL;
        /* one level up only from a vcpus-N directory, and not for a directory argument */
        base = strrchr(dir, '/');
        if (arg_is_dir || !base || strncmp(base + 1, "vcpus-", 6) != 0)
            break;
        *base = '\0';
    }
    free(dir);
    return p;
}

int compareinput_load(const char *arg, FILE *diag, struct compareinput **out)
{
    struct compareinput *in = calloc(1, sizeof(*in));
    char *mpath = NULL;
    int dir;

    if (!in || !(in->arg = strdup(arg))) {
        if (diag)
            fprintf(diag, "out of memory while reading '%s'\n", arg);
        goto fail;
    }
    {
        struct stat st;
        if (stat(arg, &st) != 0) {
            if (diag)
                fprintf(diag, "cannot read '%s': %s\n", arg, strerror(errno));
            goto fail;
        }
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
            if (diag)
                fprintf(diag, "'%s' is neither a CSV file nor a run directory\n", arg);
            goto fail;
        }
    }
    dir = is_dir(arg);
    if (dir) {
        struct file_list l = {&in->paths, &in->n, 0};
        if (scan_dir(arg, 1, &l, diag) < 0)
            goto fail;
        if (in->n == 0) {
            if (diag)
                fprintf(diag,
                        "the directory '%s' holds no CSV file (looked in it and in its "
                        "vcpus-* directories)\n",
                        arg);
            goto fail;
        }
        qsort(in->paths, in->n, sizeof(*in->paths), str_cmp);
    } else {
        in->paths = malloc(sizeof(*in->paths));
        if (!in->paths || !(in->paths[0] = strdup(arg)))
            goto fail;
        in->n = 1;
    }
    in->tables = calloc(in->n, sizeof(*in->tables));
    if (!in->tables)
        goto fail;
    for (size_t i = 0; i < in->n; i++) {
        if (csv_read(in->paths[i], diag, &in->tables[i]) < 0)
            goto fail;
    }
    mpath = find_manifest(arg, dir);
    if (mpath && read_manifest(in, mpath, diag) < 0)
        goto fail;
    free(mpath);
    *out = in;
    return 0;
fail:
    free(mpath);
    compareinput_free(in);
    return -1;
}

int compareinput_diff(const struct compareinput *base, const struct compareinput *cur, char ***out,
                      size_t *n)
{
    char **lines = NULL;
    size_t k = 0;

    for (int f = 0; f < COMPAREINPUT_FIELD_COUNT; f++) {
        const char *a = base->fields[f], *b = cur->fields[f];
        char *s = NULL, **grown, *ea, *eb;
        int rc;
        if (!a || !b || strcmp(a, b) == 0)
            continue;
        grown = realloc(lines, (k + 1) * sizeof(*grown));
        if (!grown)
            goto oom;
        lines = grown;
        ea = log_escape(a, strlen(a), false);
        eb = log_escape(b, strlen(b), false);
        rc = ea && eb ? asprintf(&s, "%s differs: BASE '%s', CURRENT '%s'",
                                 compareinput_field_names[f], ea, eb)
                      : -1;
        free(ea);
        free(eb);
        if (rc < 0)
            goto oom;
        lines[k++] = s;
    }
    *out = lines;
    *n = k;
    return 0;
oom:
    for (size_t i = 0; i < k; i++)
        free(lines[i]);
    free(lines);
    return -1;
}

void compareinput_free(struct compareinput *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n; i++) {
        if (in->paths)
            free(in->paths[i]);
        if (in->tables)
            csv_free(in->tables[i]);
    }
    free(in->paths);
    free(in->tables);
    for (int f = 0; f < COMPAREINPUT_FIELD_COUNT; f++)
        free(in->fields[f]);
    free(in->manifest);
    free(in->arg);
    free(in);
}

cJSON *compareinput_csv_manifest(const char *csv)
{
    char *mpath = find_manifest(csv, 0);
    cJSON *m = mpath ? load_manifest(mpath, NULL) : NULL;

    free(mpath);
    return m;
}

char *compareinput_csv_host(const char *csv)
{
    cJSON *m = compareinput_csv_manifest(csv), *size;
    char *dir = strdup(csv), *ret = NULL;
    char *slash = dir ? strrchr(dir, '/') : NULL;
    const char *sub;

    if (!m || !slash)
        goto cleanup;
    *slash = '\0';
    sub = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    cJSON_ArrayForEach(size, cJSON_GetObjectItemCaseSensitive(m, "sizes"))
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(size, "dir");
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(size, "host");
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(h, "cpu_model");
        if (!cJSON_IsString(model))
            model = cJSON_GetObjectItemCaseSensitive(h, "node_model");
        if (cJSON_IsString(d) && !strcmp(d->valuestring, sub) && cJSON_IsString(model)) {
            ret = strdup(model->valuestring);
            break;
        }
    }
cleanup:
    free(dir);
    cJSON_Delete(m);
    return ret;
}

char *compareinput_csv_fact(const char *csv, enum compareinput_field f)
{
    struct compareinput *in = calloc(1, sizeof(*in));
    char *mpath = in ? find_manifest(csv, 0) : NULL, *ret = NULL;

    if (mpath && read_manifest(in, mpath, NULL) == 0) {
        ret = in->fields[f];
        in->fields[f] = NULL;
    }
    compareinput_free(in);
    free(mpath);
    return ret;
}
