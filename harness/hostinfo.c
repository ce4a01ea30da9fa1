/*
 * hostinfo — see hostinfo.h.
 *
 * Everything comes from libvirt's public API through the connection, so a remote host
 * is read the same way as a local one: virNodeGetInfo, virNodeGetFreeMemory,
 * virConnectGetHostname, the versions, and the host CPU's model from the capabilities
 * XML (found by tag like cpucheck does: <host> ... <cpu> ... <model>NAME</model>).
 */
#include "hostinfo.h"

#include "log.h"

#include <libvirt/virterror.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest whole number read back: cJSON writes 15 significant digits, so above it a
 * number would not come back exactly (999 PiB in KiB: no host is near). */
#define HOSTINFO_JSON_MAX 999999999999999.0

static const char *hostinfo_lasterr(void)
{
    const char *m = virGetLastErrorMessage();
    return m ? m : "unknown libvirt error";
}

void hostinfo_version(unsigned long v, char *buf, size_t len)
{
    snprintf(buf, len, "%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}

/* The text of the first <tag ...>TEXT</tag> in [start, end), malloc'd; NULL if none. */
static char *tag_text(const char *start, const char *end, const char *tag)
{
    char open[32], close[32];
    size_t olen;

    snprintf(open, sizeof(open), "<%s", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    olen = strlen(open);
    for (const char *p = strstr(start, open); p && p < end; p = strstr(p + olen, open)) {
        const char *gt, *stop;
        if (p[olen] != '>' && p[olen] != ' ')
            continue; /* <modelx> */
        gt = strchr(p, '>');
        if (gt == NULL || gt >= end || gt[-1] == '/')
            return NULL;
        stop = strstr(gt + 1, close);
        if (stop == NULL || stop > end)
            return NULL;
        return stop > gt + 1 ? strndup(gt + 1, (size_t)(stop - gt - 1)) : NULL;
    }
    return NULL;
}

/* The host CPU's model and vendor from a capabilities document (each NULL if absent). */
static void caps_cpu(const char *caps, char **model, char **vendor)
{
    const char *host = strstr(caps, "<host>"), *cpu, *end;

    *model = NULL;
    *vendor = NULL;
    if (host == NULL || (cpu = strstr(host, "<cpu>")) == NULL ||
        (end = strstr(cpu, "</cpu>")) == NULL)
        return;
    *model = tag_text(cpu, end, "model");
    *vendor = tag_text(cpu, end, "vendor");
}

/* hostinfo_version of v, malloc'd; NULL with *oom set when out of memory. */
static char *version_dup(unsigned long v, bool *oom)
{
    char buf[64], *s;

    hostinfo_version(v, buf, sizeof(buf));
    s = strdup(buf);
    if (s == NULL)
        *oom = true;
    return s;
}

int hostinfo_read(virConnectPtr conn, const char *uri, struct hostinfo *out)
{
    struct hostinfo h = {0};
    virNodeInfo ni;
    unsigned long long free_bytes;
    unsigned long v = 0;
    const char *type;
    char *caps = NULL;
    bool oom = false;
    int rc = -1;

    if (virNodeGetInfo(conn, &ni) < 0) {
        log_error("cannot read the node info of '%s': %s", uri, hostinfo_lasterr());
        goto cleanup;
    }
    h.hostname = virConnectGetHostname(conn);
    if (h.hostname == NULL) {
        log_error("cannot read the host name of '%s': %s", uri, hostinfo_lasterr());
        goto cleanup;
    }
    virResetLastError();
    free_bytes = virNodeGetFreeMemory(conn);
    if (free_bytes == 0 && virGetLastError() != NULL) {
        log_error("cannot read the free memory of '%s': %s", uri, hostinfo_lasterr());
        goto cleanup;
    }
    h.uri = strdup(uri);
    h.node_model = strndup(ni.model, sizeof(ni.model));
    caps = virConnectGetCapabilities(conn);
    if (caps)
        caps_cpu(caps, &h.cpu_model, &h.cpu_vendor);
    else
        log_debug("no capabilities from '%s' (%s): its CPU model is not recorded", uri,
                  hostinfo_lasterr());
    type = virConnectGetType(conn);
    if (type)
        h.hypervisor = strdup(type);
    if (virConnectGetVersion(conn, &v) == 0)
        h.hypervisor_version = version_dup(v, &oom);
    if (virConnectGetLibVersion(conn, &v) == 0)
        h.libvirt_version = version_dup(v, &oom);
    if (oom || h.uri == NULL || h.node_model == NULL || (type && h.hypervisor == NULL)) {
        log_error("out of memory reading the host of '%s'", uri);
        goto cleanup;
    }
    h.cpus = ni.cpus;
    h.mhz = ni.mhz;
    h.nodes = ni.nodes;
    h.sockets = ni.sockets;
    h.cores = ni.cores;
    h.threads = ni.threads;
    h.mem_kib = ni.memory;
    h.free_kib = free_bytes / 1024;
    *out = h;
    memset(&h, 0, sizeof(h));
    rc = 0;
cleanup:
    free(caps);
    hostinfo_free(&h);
    return rc;
}

void hostinfo_free(struct hostinfo *info)
{
    if (info == NULL)
        return;
    free(info->uri);
    free(info->hostname);
    free(info->node_model);
    free(info->cpu_model);
    free(info->cpu_vendor);
    free(info->hypervisor);
    free(info->hypervisor_version);
    free(info->libvirt_version);
    memset(info, 0, sizeof(*info));
}

static bool add_str(cJSON *o, const char *key, const char *v)
{
    return (v ? cJSON_AddStringToObject(o, key, v) : cJSON_AddNullToObject(o, key)) != NULL;
}

static bool add_num(cJSON *o, const char *key, unsigned long long v)
{
    return cJSON_AddNumberToObject(o, key, (double)v) != NULL;
}

cJSON *hostinfo_json(const struct hostinfo *info)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL || !add_str(o, "uri", info->uri) || !add_str(o, "hostname", info->hostname) ||
        !add_str(o, "node_model", info->node_model) || !add_str(o, "cpu_model", info->cpu_model) ||
        !add_str(o, "cpu_vendor", info->cpu_vendor) ||
        !add_str(o, "hypervisor", info->hypervisor) ||
        !add_str(o, "hypervisor_version", info->hypervisor_version) ||
        !add_str(o, "libvirt_version", info->libvirt_version) || !add_num(o, "cpus", info->cpus) ||
        !add_num(o, "mhz", info->mhz) || !add_num(o, "numa_nodes", info->nodes) ||
        !add_num(o, "sockets", info->sockets) || !add_num(o, "cores", info->cores) ||
        !add_num(o, "threads", info->threads) || !add_num(o, "mem_kib", info->mem_kib) ||
        !add_num(o, "free_kib", info->free_kib)) {
        log_error("out of memory writing the host '%s' as JSON", info->uri ? info->uri : "?");
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* obj's string key into *out (copied; NULL when missing or null and not required). */
static int get_str(const cJSON *obj, const char *key, bool required, char **out, char *err,
                   size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (it == NULL || cJSON_IsNull(it)) {
        if (required)
            snprintf(err, errlen, "the host has no '%s'", key);
        return required ? -1 : 0;
    }
    if (!cJSON_IsString(it)) {
        snprintf(err, errlen, "the host's '%s' is not a string", key);
        return -1;
    }
    if ((*out = strdup(it->valuestring)) == NULL) {
        snprintf(err, errlen, "out of memory reading the host's '%s'", key);
        return -1;
    }
    return 0;
}

/* obj's whole number key, 0..max, into *out (0 when missing or null and not required). */
static int get_num(const cJSON *obj, const char *key, bool required, double max,
                   unsigned long long *out, char *err, size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    double d;

    *out = 0;
    if (it == NULL || cJSON_IsNull(it)) {
        if (required)
            snprintf(err, errlen, "the host has no '%s'", key);
        return required ? -1 : 0;
    }
    d = cJSON_GetNumberValue(it);
    if (!cJSON_IsNumber(it) || !(d >= 0 && d <= max) || d != floor(d)) {
        snprintf(err, errlen, "the host's '%s' is not a whole number from 0 to %.0f", key, max);
        return -1;
    }
    *out = (unsigned long long)d;
    return 0;
}

int hostinfo_from_json(const cJSON *obj, struct hostinfo *out, char *err, size_t errlen)
{
    struct hostinfo h = {0};
    unsigned long long n[6] = {0};
    int rc = -1;

    if (!cJSON_IsObject(obj)) {
        snprintf(err, errlen, "a host is not a JSON object");
        goto cleanup;
    }
    if (get_str(obj, "uri", true, &h.uri, err, errlen) < 0 ||
        get_str(obj, "hostname", true, &h.hostname, err, errlen) < 0 ||
        get_str(obj, "node_model", false, &h.node_model, err, errlen) < 0 ||
        get_str(obj, "cpu_model", false, &h.cpu_model, err, errlen) < 0 ||
        get_str(obj, "cpu_vendor", false, &h.cpu_vendor, err, errlen) < 0 ||
        get_str(obj, "hypervisor", false, &h.hypervisor, err, errlen) < 0 ||
        get_str(obj, "hypervisor_version", false, &h.hypervisor_version, err, errlen) < 0 ||
        get_str(obj, "libvirt_version", false, &h.libvirt_version, err, errlen) < 0 ||
        get_num(obj, "cpus", true, 4294967295.0, &n[0], err, errlen) < 0 ||
        get_num(obj, "mhz", false, 4294967295.0, &n[1], err, errlen) < 0 ||
        get_num(obj, "numa_nodes", false, 4294967295.0, &n[2], err, errlen) < 0 ||
        get_num(obj, "sockets", false, 4294967295.0, &n[3], err, errlen) < 0 ||
        get_num(obj, "cores", false, 4294967295.0, &n[4], err, errlen) < 0 ||
        get_num(obj, "threads", false, 4294967295.0, &n[5], err, errlen) < 0 ||
        get_num(obj, "mem_kib", true, HOSTINFO_JSON_MAX, &h.mem_kib, err, errlen) < 0 ||
        get_num(obj, "free_kib", true, HOSTINFO_JSON_MAX, &h.free_kib, err, errlen) < 0)
        goto cleanup;
    h.cpus = (unsigned)n[0];
    h.mhz = (unsigned)n[1];
    h.nodes = (unsigned)n[2];
    h.sockets = (unsigned)n[3];
    h.cores = (unsigned)n[4];
    h.threads = (unsigned)n[5];
    *out = h;
    memset(&h, 0, sizeof(h));
    rc = 0;
cleanup:
    hostinfo_free(&h);
    return rc;
}

void hostinfo_placement_host(const struct hostinfo *info, struct placement_host *out)
{
    memset(out, 0, sizeof(*out));
    out->uri = info->uri;
    out->hostname = info->hostname;
    out->cpus = info->cpus;
    out->mem_kib = info->mem_kib;
    out->free_kib = info->free_kib;
}
