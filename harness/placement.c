/*
 * placement — see placement.h.
 *
 * Policy.  A host's capacity is what the harness read when it connected: online CPUs and
 * free memory.  A size asks for guaranteed CPUs (vCPUs x cap; a whole CPU per vCPU when
 * uncapped) and memory (guest RAM plus PLACEMENT_QEMU_OVERHEAD_KIB).  It goes to the live
 * host with the most guaranteed CPUs left after placing it: load is spread, so each host
 * stays as quiet as it can and the interference check (host_interference, cpu_share) has
 * the least to report; ties go to the most free memory left, then to the lowest index, so
 * the same hosts and sizes always give the same placement.  CPUs may be oversubscribed only
 * when asked (--oversubscribe-host): a capped guest then gets less than its cap when its
 * neighbours are busy, which the interference check shows.  Memory is never overcommitted,
 * even then: a host that swaps measures its disk, and one that runs out kills a QEMU.
 * CPUs are counted in thousandths (caps are whole percents), so placing and releasing
 * leaves exactly zero, and "waits" (fits when others finish) and "never" (fits on no host
 * even empty) are decided without rounding.
 *
 * Failure.  A failed host is never chosen again; the sizes running there go back to the
 * queue with that host in their tried mask (belt and braces: a size never goes back to a
 * host it was on when that host failed), and are given up after PLACEMENT_MAX_ATTEMPTS.
 *
 * Cost.  A pick scans the hosts once: O(hosts); placement_next scans the pending sizes
 * and picks for each until one fits: O(sizes x hosts) at worst, microseconds for tens of
 * hosts and hundreds of sizes, against minutes per size.  Memory: one struct per host
 * (~80 bytes plus its URI and hostname) and one per size (~48 bytes).
 */
#include "placement.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct placement_need placement_need(unsigned vcpus, unsigned cap_pct,
                                     unsigned long long memory_mib)
{
    struct placement_need n;
    unsigned pct = cap_pct == 0 || cap_pct > 100 ? 100 : cap_pct;

    n.vcpus = vcpus;
    n.mcpus = (unsigned long long)vcpus * pct * (PLACEMENT_MCPU / 100);
    n.kib = memory_mib * 1024 + PLACEMENT_QEMU_OVERHEAD_KIB;
    return n;
}

struct placement *placement_new(void)
{
    struct placement *p = calloc(1, sizeof(*p));

    if (p == NULL)
        log_error("out of memory for the placement ledger");
    return p;
}

void placement_free(struct placement *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nhosts; i++) {
        free(p->hosts[i].uri);
        free(p->hosts[i].hostname);
    }
    free(p->hosts);
    free(p->items);
    free(p);
}

int placement_add_host(struct placement *p, const struct placement_host *h)
{
    struct placement_host *hosts, n = {0};

    if (h->uri == NULL || h->uri[0] == '\0') {
        log_error("a placement host needs a libvirt URI");
        return -1;
    }
    if (p->nhosts >= PLACEMENT_MAX_HOSTS) {
        log_error("at most %d hosts can share one run: '%s' is one too many", PLACEMENT_MAX_HOSTS,
                  h->uri);
        return -1;
    }
    n.uri = strdup(h->uri);
    n.hostname = h->hostname ? strdup(h->hostname) : NULL;
    hosts = realloc(p->hosts, (p->nhosts + 1) * sizeof(*hosts));
    if (n.uri == NULL || (h->hostname && n.hostname == NULL) || hosts == NULL) {
        log_error("out of memory adding the host '%s' to the placement ledger", h->uri);
        free(n.uri);
        free(n.hostname);
        if (hosts)
            p->hosts = hosts;
        return -1;
    }
    n.cpus = h->cpus;
    n.mem_kib = h->mem_kib;
    n.free_kib = h->free_kib;
    p->hosts = hosts;
    p->hosts[p->nhosts] = n;
    return (int)p->nhosts++;
}

static bool mem_fits(const struct placement_host *h, unsigned long long used,
                     const struct placement_need *need)
{
    return used <= h->free_kib && need->kib <= h->free_kib - used;
}

static bool cpu_fits(const struct placement_host *h, unsigned long long used,
                     const struct placement_need *need, bool oversubscribe)
{
    unsigned long long cap = (unsigned long long)h->cpus * PLACEMENT_MCPU;

    return oversubscribe || (used <= cap && need->mcpus <= cap - used);
}

static bool skipped(const struct placement_host *h, size_t i, uint64_t avoid)
{
    return h->failed || (avoid >> i & 1) != 0;
}

enum placement_result placement_pick(struct placement *p, const struct placement_need *need,
                                     bool oversubscribe, uint64_t avoid, size_t *host)
{
    bool live = false, fits_empty = false, found = false;
    long long best_cpus = 0;
    unsigned long long best_kib = 0;
    size_t best = 0;

    for (size_t i = 0; i < p->nhosts; i++) {
        const struct placement_host *h = &p->hosts[i];
        long long cpus_left;
        unsigned long long kib_left;

        if (skipped(h, i, avoid))
            continue;
        live = true;
        if (!cpu_fits(h, 0, need, oversubscribe) || !mem_fits(h, 0, need))
            continue;
        fits_empty = true;
        if (!cpu_fits(h, h->used_mcpus, need, oversubscribe) || !mem_fits(h, h->used_kib, need))
            continue;
        cpus_left = (long long)h->cpus * (long long)PLACEMENT_MCPU - (long long)h->used_mcpus -
                    (long long)need->mcpus;
        kib_left = h->free_kib - h->used_kib - need->kib;
        if (!found || cpus_left > best_cpus || (cpus_left == best_cpus && kib_left > best_kib)) {
            found = true;
            best = i;
            best_cpus = cpus_left;
            best_kib = kib_left;
        }
    }
    if (!live)
        return PLACEMENT_NO_HOST;
    if (!fits_empty)
        return PLACEMENT_NEVER;
    if (!found)
        return PLACEMENT_WAIT;
    p->hosts[best].used_mcpus += need->mcpus;
    p->hosts[best].used_kib += need->kib;
    p->hosts[best].running++;
    *host = best;
    return PLACEMENT_OK;
}

void placement_release(struct placement *p, size_t host, const struct placement_need *need)
{
    struct placement_host *h;

    if (host >= p->nhosts)
        return;
    h = &p->hosts[host];
    h->used_mcpus = h->used_mcpus > need->mcpus ? h->used_mcpus - need->mcpus : 0;
    h->used_kib = h->used_kib > need->kib ? h->used_kib - need->kib : 0;
    if (h->running > 0)
        h->running--;
}

size_t placement_fail(struct placement *p, size_t host)
{
    size_t requeued = 0;

    if (host >= p->nhosts)
        return 0;
    p->hosts[host].failed = true;
    for (size_t i = 0; i < p->nitems; i++) {
        struct placement_item *it = &p->items[i];

        if (it->state != PLACEMENT_RUNNING || it->host != host)
            continue;
        placement_release(p, host, &it->need);
        it->tried |= (uint64_t)1 << host;
        if (it->attempts < PLACEMENT_MAX_ATTEMPTS) {
            it->state = PLACEMENT_PENDING;
            requeued++;
        } else {
            it->state = PLACEMENT_GIVEN_UP;
        }
    }
    return requeued;
}

bool placement_retry_ok(const struct placement *p, unsigned attempts, uint64_t tried)
{
    if (attempts >= PLACEMENT_MAX_ATTEMPTS)
        return false;
    for (size_t i = 0; i < p->nhosts; i++)
        if (!skipped(&p->hosts[i], i, tried))
            return true;
    return false;
}

/* "4" or "1.50" CPUs. */
static void fmt_cpus(unsigned long long mcpus, char *buf, size_t len)
{
    if (mcpus % PLACEMENT_MCPU == 0)
        snprintf(buf, len, "%llu", mcpus / PLACEMENT_MCPU);
    else
        snprintf(buf, len, "%.2f", (double)mcpus / (double)PLACEMENT_MCPU);
}

/* "1.2 GiB" or "300 MiB". */
static void fmt_kib(unsigned long long kib, char *buf, size_t len)
{
    if (kib >= 1024ULL * 1024)
        snprintf(buf, len, "%.1f GiB", (double)kib / (1024.0 * 1024.0));
    else
        snprintf(buf, len, "%llu MiB", kib / 1024);
}

/* "'name' (uri)", or "uri" without a hostname. */
static void fmt_host(const struct placement_host *h, char *buf, size_t len)
{
    if (h->hostname && h->hostname[0])
        snprintf(buf, len, "'%s' (%s)", h->hostname, h->uri);
    else
        snprintf(buf, len, "'%s'", h->uri);
}

static void explain(const struct placement *p, const struct placement_need *need,
                    bool oversubscribe, char *why, size_t len)
{
    const struct placement_host *most_cpus = NULL, *most_kib = NULL;
    char cpus[32], kib[32], host_cpus[320], host_kib[320], kib_have[32];

    for (size_t i = 0; i < p->nhosts; i++) {
        const struct placement_host *h = &p->hosts[i];
        if (h->failed)
            continue;
        if (most_cpus == NULL || h->cpus > most_cpus->cpus)
            most_cpus = h;
        if (most_kib == NULL || h->free_kib > most_kib->free_kib)
            most_kib = h;
    }
    fmt_cpus(need->mcpus, cpus, sizeof(cpus));
    fmt_kib(need->kib, kib, sizeof(kib));
    if (most_cpus == NULL || most_kib == NULL) {
        snprintf(why, len, "no host is left to run the size of %u vCPUs on", need->vcpus);
        return;
    }
    fmt_host(most_cpus, host_cpus, sizeof(host_cpus));
    fmt_host(most_kib, host_kib, sizeof(host_kib));
    fmt_kib(most_kib->free_kib, kib_have, sizeof(kib_have));
    if (oversubscribe)
        snprintf(why, len,
                 "the size of %u vCPUs needs %s of memory (its RAM plus %llu MiB for QEMU), and "
                 "no host has that free: the most is %s on %s (memory is never overcommitted, "
                 "even with --oversubscribe-host)",
                 need->vcpus, kib, PLACEMENT_QEMU_OVERHEAD_KIB / 1024, kib_have, host_kib);
    else
        snprintf(why, len,
                 "the size of %u vCPUs needs %s guaranteed CPUs and %s of memory (its RAM plus "
                 "%llu MiB for QEMU), and no host has both: the most CPUs are %u on %s, the "
                 "most free memory %s on %s (--oversubscribe-host lets a host take more "
                 "guaranteed CPUs than it has, never more memory)",
                 need->vcpus, cpus, kib, PLACEMENT_QEMU_OVERHEAD_KIB / 1024, most_cpus->cpus,
                 host_cpus, kib_have, host_kib);
}

int placement_plan_check(const struct placement *p, const struct placement_need *needs, size_t n,
                         bool oversubscribe, char *why, size_t len)
{
    for (size_t k = 0; k < n; k++) {
        bool fits = false;

        for (size_t i = 0; i < p->nhosts && !fits; i++) {
            const struct placement_host *h = &p->hosts[i];
            fits =
                !h->failed && cpu_fits(h, 0, &needs[k], oversubscribe) && mem_fits(h, 0, &needs[k]);
        }
        if (!fits) {
            explain(p, &needs[k], oversubscribe, why, len);
            return -1;
        }
    }
    return 0;
}

int placement_add(struct placement *p, const struct placement_need *need)
{
    struct placement_item *items;

    if (p->nitems >= (size_t)INT32_MAX) {
        log_error("too many sizes to place (%zu)", p->nitems);
        return -1;
    }
    items = realloc(p->items, (p->nitems + 1) * sizeof(*items));
    if (items == NULL) {
        log_error("out of memory queueing a size of %u vCPUs", need->vcpus);
        return -1;
    }
    p->items = items;
    memset(&items[p->nitems], 0, sizeof(items[0]));
    items[p->nitems].need = *need;
    items[p->nitems].state = PLACEMENT_PENDING;
    return (int)p->nitems++;
}

enum placement_result placement_next(struct placement *p, bool oversubscribe, size_t *item,
                                     size_t *host)
{
    bool pending = false;

    for (size_t i = 0; i < p->nitems; i++) {
        struct placement_item *it = &p->items[i];
        enum placement_result r;
        size_t h = 0;

        if (it->state != PLACEMENT_PENDING)
            continue;
        pending = true;
        r = placement_pick(p, &it->need, oversubscribe, it->tried, &h);
        switch (r) {
        case PLACEMENT_OK:
            it->state = PLACEMENT_RUNNING;
            it->host = h;
            it->attempts++;
            *item = i;
            *host = h;
            return PLACEMENT_OK;
        case PLACEMENT_NEVER:
            it->state = PLACEMENT_GIVEN_UP;
            *item = i;
            return PLACEMENT_NEVER;
        case PLACEMENT_NO_HOST:
            if (!placement_retry_ok(p, 0, 0))
                return PLACEMENT_NO_HOST;
            /* Live hosts remain, but it failed on every one of them. */
            it->state = PLACEMENT_GIVEN_UP;
            *item = i;
            return PLACEMENT_NEVER;
        case PLACEMENT_WAIT:
        case PLACEMENT_DONE:
            break;
        }
    }
    return pending ? PLACEMENT_WAIT : PLACEMENT_DONE;
}

void placement_finish(struct placement *p, size_t item)
{
    struct placement_item *it;

    if (item >= p->nitems || p->items[item].state != PLACEMENT_RUNNING)
        return;
    it = &p->items[item];
    placement_release(p, it->host, &it->need);
    it->state = PLACEMENT_FINISHED;
}

void placement_keep(struct placement *p, size_t item)
{
    /* Its host's failure released what it held: nothing to give back. */
    if (item < p->nitems && p->items[item].state == PLACEMENT_PENDING &&
        p->items[item].attempts > 0)
        p->items[item].state = PLACEMENT_FINISHED;
}

const char *placement_result_name(enum placement_result r)
{
    switch (r) {
    case PLACEMENT_OK:
        return "ok";
    case PLACEMENT_WAIT:
        return "wait";
    case PLACEMENT_NEVER:
        return "never";
    case PLACEMENT_NO_HOST:
        return "no host";
    case PLACEMENT_DONE:
        return "done";
    }
    return "?";
}
