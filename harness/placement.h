/*
 * placement — which libvirt host runs which VM size (issue 16, docs/SCALING.md
 * "Placement" and "Failure").  Pure logic, no libvirt: a ledger of hosts (their CPUs and
 * free memory as read at the start, see hostinfo) and of what has been placed on each,
 * and on top of it a queue of sizes with their retries.
 *
 * Not thread safe: the caller (one worker thread per host) holds one mutex around every
 * call on a ledger.
 */
#ifndef VMSWEEP_PLACEMENT_H
#define VMSWEEP_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hosts in one ledger: a size's tried hosts are a 64-bit mask. */
#define PLACEMENT_MAX_HOSTS 64
/* Hosts a size is started on before it is given up (each failure is another host's). */
#define PLACEMENT_MAX_ATTEMPTS 3
/*
 * Memory a guest costs its host beyond its RAM: QEMU's own heap, device models, vCPU
 * thread stacks, page tables and libvirt's share.  An estimate, not measured here: a
 * small KVM guest's QEMU is commonly 100-200 MiB resident above its RAM.  Under TCG the
 * translation cache (up to 1 GiB by default since QEMU 5.0, touched as it fills) can go
 * beyond it on long runs.
 */
#define PLACEMENT_QEMU_OVERHEAD_KIB (256ULL * 1024)
/* One CPU in the ledger's unit: CPUs are counted in thousandths, exactly. */
#define PLACEMENT_MCPU 1000ULL

/* A host of the ledger: its capacity as read at the start, and what is placed on it. */
struct placement_host {
    char *uri;                     /* owned by the ledger */
    char *hostname;                /* owned by the ledger; may be NULL */
    unsigned cpus;                 /* online CPUs (virNodeGetInfo) */
    unsigned long long mem_kib;    /* total memory (virNodeGetInfo) */
    unsigned long long free_kib;   /* free memory at the start (virNodeGetFreeMemory) */
    bool failed;                   /* never used again */
    unsigned long long used_mcpus; /* guaranteed CPUs placed here, in PLACEMENT_MCPU */
    unsigned long long used_kib;   /* memory placed here */
    unsigned running;              /* sizes placed here and not yet released */
};

/* What one VM size needs from a host. */
struct placement_need {
    unsigned vcpus;           /* for sentences */
    unsigned long long mcpus; /* guaranteed CPUs: vCPUs x cap, in PLACEMENT_MCPU */
    unsigned long long kib;   /* guest RAM + PLACEMENT_QEMU_OVERHEAD_KIB */
};

enum placement_result {
    PLACEMENT_OK = 0,  /* placed: *host says where */
    PLACEMENT_WAIT,    /* fits on a live host once sizes running there are released */
    PLACEMENT_NEVER,   /* fits on no live host even when it is empty (at plan time: exit 2) */
    PLACEMENT_NO_HOST, /* every host has failed */
    PLACEMENT_DONE,    /* placement_next: no size is waiting to be placed */
};

/* A size's state in the queue (placement_add). */
enum placement_state {
    PLACEMENT_PENDING,  /* waits to be placed (again, after its host failed) */
    PLACEMENT_RUNNING,  /* placed on .host */
    PLACEMENT_FINISHED, /* released by placement_finish */
    PLACEMENT_GIVEN_UP, /* PLACEMENT_MAX_ATTEMPTS hosts failed under it, or it fits nowhere */
};

struct placement_item {
    struct placement_need need;
    enum placement_state state;
    size_t host;       /* where it runs or ran last (valid once attempts > 0) */
    unsigned attempts; /* hosts it was started on */
    uint64_t tried;    /* bit i: it was on host i when host i failed: never again there */
};

/* The ledger: hosts and the queue of sizes.  Fields are read-only for callers. */
struct placement {
    struct placement_host *hosts;
    size_t nhosts;
    struct placement_item *items;
    size_t nitems;
};

/*
 * The need of a size of vcpus vCPUs capped at cap_pct % of a host CPU each (0: uncapped,
 * a whole CPU per vCPU) with memory_mib MiB of guest RAM (plus the QEMU overhead).
 */
struct placement_need placement_need(unsigned vcpus, unsigned cap_pct,
                                     unsigned long long memory_mib);

/* An empty ledger (free with placement_free), or NULL when out of memory (reported). */
struct placement *placement_new(void);

/* Frees the ledger, its hosts' strings and its queue; NULL is fine. */
void placement_free(struct placement *p);

/*
 * Adds a host with h's uri, hostname (copied; hostname may be NULL), cpus, mem_kib and
 * free_kib; the rest of h is ignored (a new host has nothing placed and has not failed).
 * Returns its index, or -1 (reported: no URI, more than PLACEMENT_MAX_HOSTS, out of memory).
 */
int placement_add_host(struct placement *p, const struct placement_host *h);

/*
 * Chooses a host for need and places it there (the host's used CPUs and memory grow): the
 * live host with the most guaranteed CPUs left after placing it (load spread, so each host
 * stays as quiet as it can), ties to the most free memory left, then the lowest index.
 * A host holds it when its used + needed CPUs are at most its CPUs (not checked when
 * oversubscribe: --oversubscribe-host) and its used + needed memory at most its free memory
 * at the start (always checked: memory is never overcommitted).  hosts in avoid (bit i:
 * host i) are not considered.  PLACEMENT_OK with *host set, or PLACEMENT_WAIT /
 * PLACEMENT_NEVER / PLACEMENT_NO_HOST (considering live hosts outside avoid only).
 */
enum placement_result placement_pick(struct placement *p, const struct placement_need *need,
                                     bool oversubscribe, uint64_t avoid, size_t *host);

/* Gives back what need took on host (a size placed there has finished). */
void placement_release(struct placement *p, size_t host, const struct placement_need *need);

/*
 * Marks host failed: it is never chosen again.  Every queued size running there is
 * released and goes back to PLACEMENT_PENDING with the host in its tried mask, or to
 * PLACEMENT_GIVEN_UP after PLACEMENT_MAX_ATTEMPTS.  Returns how many went back to pending.
 */
size_t placement_fail(struct placement *p, size_t host);

/*
 * May a size started attempts times, on the hosts in tried, be started again: fewer than
 * PLACEMENT_MAX_ATTEMPTS attempts and a live host outside tried?
 */
bool placement_retry_ok(const struct placement *p, unsigned attempts, uint64_t tried);

/*
 * Before the run: can every need[i] fit on some live host when nothing else runs there?
 * 0, or -1 with a sentence in why (len bytes) naming the first size that cannot and what
 * the largest hosts offer.  Nothing is placed; nothing is logged (the caller reports why).
 */
int placement_plan_check(const struct placement *p, const struct placement_need *needs, size_t n,
                         bool oversubscribe, char *why, size_t len);

/* Queues a size (state PLACEMENT_PENDING).  Its index (queue order), or -1 (reported). */
int placement_add(struct placement *p, const struct placement_need *need);

/*
 * The next size to start: the first pending size in queue order that can be placed now
 * (a smaller one behind a waiting big one may go first: the queue only shrinks, so the
 * big one starts at the latest when everything else has finished), placed with
 * placement_pick avoiding its tried hosts; PLACEMENT_OK with *item and *host set, the item
 * PLACEMENT_RUNNING and its attempts counted.  Otherwise PLACEMENT_WAIT (pending sizes
 * will fit once running ones finish), PLACEMENT_NEVER with *item set (that size fits on
 * no live host it has not failed on: it is PLACEMENT_GIVEN_UP, call again for the rest),
 * PLACEMENT_NO_HOST (sizes pending, every host failed) or PLACEMENT_DONE (none pending).
 */
enum placement_result placement_next(struct placement *p, bool oversubscribe, size_t *item,
                                     size_t *host);

/* The size item, PLACEMENT_RUNNING, has finished: PLACEMENT_FINISHED, its host released. */
void placement_finish(struct placement *p, size_t item);

/*
 * The size item was requeued when its host failed (PLACEMENT_PENDING), yet its run there
 * finished after all (the failure was another size's VM that would not start): it is not
 * to run again (PLACEMENT_FINISHED).  Anything else is left as it is.
 */
void placement_keep(struct placement *p, size_t item);

/* A short name of r ("ok", "wait", "never", "no host", "done") for messages. */
const char *placement_result_name(enum placement_result r);

#endif
