/*
 * hostinfo — a libvirt host's identity and capacity, read through an open connection
 * (issue 16): for the manifest (which host ran a size) and for placement (its CPUs and
 * free memory).  What hostinfo_json writes, hostinfo_from_json reads back.
 */
#ifndef VMSWEEP_HOSTINFO_H
#define VMSWEEP_HOSTINFO_H

#include <cjson/cJSON.h>
#include <libvirt/libvirt.h>

#include "placement.h"

struct hostinfo {
    char *uri;        /* the URI it was read through */
    char *hostname;   /* virConnectGetHostname */
    char *node_model; /* virNodeGetInfo's model: on Linux the machine, e.g. "x86_64" */
    char *cpu_model;  /* the host CPU's <model> in the capabilities, or NULL when not given */
    char *cpu_vendor; /* its <vendor>, or NULL */
    char *hypervisor; /* virConnectGetType, e.g. "QEMU" */
    char *hypervisor_version; /* "major.minor.micro" (virConnectGetVersion), or NULL */
    char *libvirt_version;    /* "major.minor.micro" (virConnectGetLibVersion), or NULL */
    unsigned cpus;            /* online CPUs */
    unsigned mhz, nodes, sockets, cores, threads; /* virNodeGetInfo (sockets per node) */
    unsigned long long mem_kib;                   /* total memory */
    unsigned long long free_kib;                  /* free memory when read (virNodeGetFreeMemory) */
};

/*
 * Reads conn's host into *out (uri is copied into it).  0, or -1 (reported, naming uri)
 * when the node info, hostname or free memory cannot be read; the CPU model, vendor and
 * versions are optional (NULL when libvirt does not say).  *out is set only on success;
 * free it with hostinfo_free.
 */
int hostinfo_read(virConnectPtr conn, const char *uri, struct hostinfo *out);

/* Frees what info holds and zeroes it; NULL is fine. */
void hostinfo_free(struct hostinfo *info);

/*
 * info as a JSON object for the manifest: uri, hostname, node_model, cpu_model,
 * cpu_vendor, hypervisor, hypervisor_version, libvirt_version (null when unknown), cpus,
 * mhz, numa_nodes, sockets, cores, threads, mem_kib, free_kib.  The caller owns it; NULL
 * when out of memory (reported).
 */
cJSON *hostinfo_json(const struct hostinfo *info);

/*
 * Reads an object written by hostinfo_json into *out (freed with hostinfo_free).  uri,
 * hostname, cpus, mem_kib and free_kib are required, the rest may be missing or null;
 * numbers must be whole and in range, strings strings.  0, or -1 with a sentence in err
 * (errlen bytes) naming the key; *out is set only on success.  Nothing is logged.
 */
int hostinfo_from_json(const cJSON *obj, struct hostinfo *out, char *err, size_t errlen);

/*
 * The placement ledger's view of info: uri, hostname, cpus, mem_kib, free_kib, nothing
 * placed.  out's strings point into info (borrowed): placement_add_host copies them.
 */
void hostinfo_placement_host(const struct hostinfo *info, struct placement_host *out);

/* "major.minor.micro" of a libvirt version number (major x 1000000 + minor x 1000 + micro). */
void hostinfo_version(unsigned long v, char *buf, size_t len);

#endif
