/*
 * interfere — did a run get the CPU it called for?  A busy host starves a guest without
 * the guest noticing: its clock goes on while its vCPU threads wait, so throughput drops
 * and latency grows and the curve's knee moves.  The guest's own account says how busy it
 * thought it was; the host's says how much CPU time it gave the vCPU threads.  Their
 * ratio is the run's cpu_share (a CSV column, written by the harness).
 *
 * In a VM (interfere_vm_share):
 *   demand = min(busy_cpus, cap_cpus)   busy_cpus: the guest's busy share of its ticks x
 *                                       its vCPUs (a starved guest loses ticks, so the
 *                                       share, not the seconds, is kept); cap_cpus: the
 *                                       vCPUs x their CPU cap, at most the host's CPUs
 *   share  = min(1, got_cpus / demand)  got_cpus: vCPU threads' CPU time / wall time
 * unknown (NAN) when demand < INTERFERE_MIN_DEMAND: an idle guest asks too little for the
 * ratio to mean anything (a tick is 10 ms; QEMU's own timer work is of that order).
 *
 * On the host (vmsweep local, interfere_local_share), the run's own workers say what they
 * called for: the time they were runnable but waiting for a CPU (wait_cpus, from
 * schedstat) on top of the CPU they got (got = busy - others):
 *   share = got / min(allowed, got + wait_cpus)
 * so a run that wants 1 CPU of 2 beside a process using the other is not starved, while
 * 3 runnable threads on 2 CPUs get 2/3.  A workload without per-worker threads (event
 * loops, commands) has no wait_cpus: then a machine that was saturated (busy >=
 * INTERFERE_SATURATED x its CPUs) is taken to have kept from the run what the others used,
 * share = got / min(allowed, got + others), which errs towards flagging.
 *
 * A run is spoiled when its share is below INTERFERE_MIN_SHARE: the analysis leaves it
 * out, the harness may run its level again (--rerun-interfered), and the outputs say so.
 */
#ifndef VMSWEEP_INTERFERE_H
#define VMSWEEP_INTERFERE_H

#include <stdbool.h>

#define INTERFERE_MIN_SHARE  0.9  /* below: the run was starved by its host */
#define INTERFERE_MIN_DEMAND 0.25 /* CPUs: below, a run's share is not judged */
#define INTERFERE_SATURATED  0.9  /* local: a machine this busy had no CPU to spare */

/* The share of its CPU demand a VM's run got (see above); NAN when it cannot be judged
 * (an argument unknown or not positive, or too little demand). */
double interfere_vm_share(double busy_cpus, double cap_cpus, double got_cpus);

/* The same for a run on the host: busy_cpus and other_cpus of the machine's online_cpus,
 * wait_cpus of its workers (NAN: unknown), allowed_cpus the CPUs the run may use; NAN
 * when it cannot be judged. */
double interfere_local_share(double busy_cpus, double other_cpus, double wait_cpus,
                             double online_cpus, double allowed_cpus);

/* Was a run with this share spoiled?  An unknown share (NAN) is not. */
bool interfere_spoiled(double share);

#endif
