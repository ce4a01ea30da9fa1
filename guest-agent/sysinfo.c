/* sysinfo — see sysinfo.h.  Everything is read from /proc and /sys; missing files give
 * empty strings or zeros rather than failures, since containers hide some of them. */
#include "sysinfo.h"

#include "row.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define SYSINFO_MAX_NODES 64
#define SYSINFO_BATCH     20000

unsigned sysinfo_online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

double sysinfo_clock_ns(void)
{
    double best = 0;
    struct timespec ts, t0, t1;

    for (int b = 0; b < 5; b++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < SYSINFO_BATCH; i++)
            clock_gettime(CLOCK_MONOTONIC, &ts);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
                    SYSINFO_BATCH;
        if (b == 0 || ns < best)
            best = ns;
    }
    return best;
}

/* The first line of path without its newline, or "" (buf of len bytes). */
static char *read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");

    buf[0] = 0;
    if (f) {
        if (!fgets(buf, (int)len, f))
            buf[0] = 0;
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = 0;
    return buf;
}

/* The value after "key" and ':' in a /proc-style file, or "". */
static char *read_key(const char *path, const char *key, char *buf, size_t len)
{
    char line[4096]; /* /proc/cpuinfo's flags line is ~1 KiB on current x86 CPUs */
    FILE *f = fopen(path, "r");
    size_t k = strlen(key);

    buf[0] = 0;
    if (!f)
        return buf;
    while (fgets(line, sizeof(line), f)) {
        const char *v;
        if (strncmp(line, key, k) != 0)
            continue;
        v = line + k;
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v != ':')
            continue;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        snprintf(buf, len, "%s", v);
        buf[strcspn(buf, "\n")] = 0;
        break;
    }
    fclose(f);
    return buf;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/*
 * Arm's /proc/cpuinfo has no model name: the MIDR's implementer and part number say what
 * the core is ("Neoverse-N1 (MIDR implementer 0x41 part 0xd0c)"), the part named when it
 * is one of the server and common cores.
 */
static void arm_model(char *buf, size_t len)
{
    static const struct {
        unsigned long part;
        const char *name;
    } arm_parts[] = {
        {0xd03, "Cortex-A53"},  {0xd07, "Cortex-A57"},  {0xd08, "Cortex-A72"},
        {0xd0b, "Cortex-A76"},  {0xd0c, "Neoverse-N1"}, {0xd40, "Neoverse-V1"},
        {0xd49, "Neoverse-N2"}, {0xd4f, "Neoverse-V2"},
    };
    char impl[32], part[32];
    const char *name = "";
    unsigned long p;

    read_key("/proc/cpuinfo", "CPU implementer", impl, sizeof(impl));
    read_key("/proc/cpuinfo", "CPU part", part, sizeof(part));
    if (!impl[0] || !part[0]) {
        buf[0] = '\0';
        return;
    }
    p = strtoul(part, NULL, 16);
    for (size_t i = 0; i < sizeof(arm_parts) / sizeof(arm_parts[0]); i++)
        if (!strcmp(impl, "0x41") && arm_parts[i].part == p)
            name = arm_parts[i].name;
    snprintf(buf, len, "%s%s(MIDR implementer %s part %s)", name, *name ? " " : "", impl, part);
}

int sysinfo_print(FILE *f, double clock_ns)
{
    char buf[256], path[128];
    struct utsname u;
    int nodes[SYSINFO_MAX_NODES] = {0}, nn = 0;
    unsigned cpus = sysinfo_online_cpus();
    DIR *d = opendir("/sys/devices/system/node");

    fputs("{\"cpu_model\":", f);
    if (!read_key("/proc/cpuinfo", "model name", buf, sizeof(buf))[0])
        arm_model(buf, sizeof(buf));
    row_json_str(f, buf);
    fprintf(f, ",\"online_cpus\":%u,\"numa_nodes\":[", cpus);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && nn < SYSINFO_MAX_NODES) {
            char *end;
            long id;
            if (strncmp(e->d_name, "node", 4) != 0)
                continue;
            id = strtol(e->d_name + 4, &end, 10);
            if (end != e->d_name + 4 && !*end && id >= 0 && id < 100000)
                nodes[nn++] = (int)id;
        }
        closedir(d);
    }
    qsort(nodes, (size_t)nn, sizeof(nodes[0]), cmp_int);
    for (int i = 0; i < nn; i++) {
        char mem[64];
        snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", nodes[i]);
        fprintf(f, "%s{\"id\":%d,\"cpus\":", i ? "," : "", nodes[i]);
        row_json_str(f, read_line(path, buf, sizeof(buf)));
        snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", nodes[i]);
        snprintf(buf, sizeof(buf), "Node %d MemTotal", nodes[i]);
        read_key(path, buf, mem, sizeof(mem));
        fprintf(f, ",\"mem_kb\":%llu}", strtoull(mem, NULL, 10));
    }
    if (nn == 0) { /* no NUMA in sysfs: one node holding everything */
        read_key("/proc/meminfo", "MemTotal", buf, sizeof(buf));
        fprintf(f, "{\"id\":0,\"cpus\":\"0-%u\",\"mem_kb\":%llu}", cpus - 1,
                strtoull(buf, NULL, 10));
    }
    fputs("],\"kernel\":", f);
    row_json_str(f, uname(&u) == 0 ? u.release : "");
    fputs(",\"arch\":", f);
    row_json_str(f, uname(&u) == 0 ? u.machine : "");
    {
        /* The CPU features the guest sees ("flags" on x86, "Features" on Arm), so the
         * harness can say which of the asked model's features it lacks. */
        char flags[4096];
        read_key("/proc/cpuinfo", "flags", flags, sizeof(flags));
        if (!flags[0])
            read_key("/proc/cpuinfo", "Features", flags, sizeof(flags));
        fputs(",\"cpu_flags\":", f);
        row_json_str(f, flags);
    }
    fputs(",\"clocksource\":", f);
    row_json_str(f, read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                              buf, sizeof(buf)));
    read_key("/proc/meminfo", "MemTotal", buf, sizeof(buf));
    fprintf(f, ",\"clock_ns\":%.1f,\"mem_total_kb\":%llu}\n", clock_ns, strtoull(buf, NULL, 10));
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
