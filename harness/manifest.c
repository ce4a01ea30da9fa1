#include "manifest.h"

#include "fsutil.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

void manifest_timestamp(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The value of the first "key<spaces>: value" line of a /proc file, or NULL. */
static char *proc_field(const char *path, const char *key)
{
    FILE *f = fopen(path, "re");
    char line[512];
    char *val = NULL;
    size_t klen = strlen(key);

    if (!f)
        return NULL;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, klen) == 0) {
            char *p = strchr(line + klen, ':');
            if (!p)
                continue;
            p++;
            p += strspn(p, " \t");
            p[strcspn(p, "\n")] = '\0';
            val = strdup(p);
            break;
        }
    }
    fclose(f);
    return val;
}

cJSON *manifest_new(void)
{
    cJSON *m = cJSON_CreateObject(), *host;
    char ts[64], *model, *mem;
    struct utsname u;
    double load[3] = {0, 0, 0};

    if (!m)
        return NULL;
    cJSON_AddStringToObject(m, "vmsweep_version", VMSWEEP_VERSION);
    manifest_timestamp(ts, sizeof(ts));
    cJSON_AddStringToObject(m, "started", ts);
    host = cJSON_AddObjectToObject(m, "host");
    model = proc_field("/proc/cpuinfo", "model name");
    cJSON_AddStringToObject(host, "cpu_model", model ? model : "unknown");
    free(model);
    cJSON_AddNumberToObject(host, "online_cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
    mem = proc_field("/proc/meminfo", "MemTotal");
    if (mem)
        cJSON_AddNumberToObject(host, "mem_total_kb", strtod(mem, NULL));
    free(mem);
    if (uname(&u) == 0) {
        cJSON_AddStringToObject(host, "kernel", u.release);
        cJSON_AddStringToObject(host, "hostname", u.nodename);
    }
    if (getloadavg(load, 3) == 3) {
        cJSON *l = cJSON_AddArrayToObject(host, "loadavg");
        for (int i = 0; i < 3; i++)
            cJSON_AddItemToArray(l, cJSON_CreateNumber(load[i]));
    }
    return m;
}

void manifest_add_json(cJSON *obj, const char *key, const char *text)
{
    cJSON *v;

    if (!text) {
        cJSON_AddNullToObject(obj, key);
        return;
    }
    v = cJSON_Parse(text);
    if (v)
        cJSON_AddItemToObject(obj, key, v);
    else
        cJSON_AddStringToObject(obj, key, text);
}

int manifest_write(cJSON *m, const char *path)
{
    char ts[64], *text;
    int rc;

    manifest_timestamp(ts, sizeof(ts));
    cJSON_DeleteItemFromObject(m, "finished");
    cJSON_AddStringToObject(m, "finished", ts);
    text = cJSON_Print(m);
    if (!text) {
        log_error("cannot format manifest '%s': out of memory", path);
        return -1;
    }
    rc = fsutil_write_atomic(path, text, strlen(text), 0644); /* reports errors */
    free(text);
    return rc;
}
