/*
 * cpucheck — is the CPU model asked for the one the guest gets?
 *
 * A report that says "EPYC-Rome" must be about a guest that had EPYC-Rome's features.
 * libvirt knows, per accelerator, whether a named model is usable on this host (domain
 * capabilities) and which of the model's features the hypervisor cannot provide (the
 * model's features expanded by virConnectBaselineHypervisorCPU).  The guest's own view
 * is its /proc/cpuinfo flags.  These are pure functions over those texts, so the
 * decisions are unit-tested against recorded XML; vm.c fetches the texts.
 */
#ifndef VMSWEEP_CPUCHECK_H
#define VMSWEEP_CPUCHECK_H

#include "spec.h"

enum cpucheck_verdict {
    CPUCHECK_USABLE,
    CPUCHECK_NOT_USABLE,
    CPUCHECK_UNKNOWN, /* libvirt did not say (model not listed, or no custom mode) */
};

/* Name of a verdict: "yes", "no", "unknown" (as libvirt spells them). */
const char *cpucheck_verdict_name(enum cpucheck_verdict v);

/*
 * Whether model is usable according to domain capabilities XML (virConnectGetDomain-
 * Capabilities for one accelerator): the <model usable='...'> of the custom CPU mode.
 * "host" (host-passthrough) is usable when that mode is supported.
 */
enum cpucheck_verdict cpucheck_model_usable(const char *domcaps_xml, const char *model);

/*
 * Split the features of an expanded CPU definition (virConnectBaselineHypervisorCPU with
 * VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES) into those the hypervisor provides
 * (policy 'require') and those it cannot (policy 'disable'), libvirt names, in document
 * order.  Returns 0, or -1 on out of memory; either list may be NULL.
 */
int cpucheck_features(const char *cpu_xml, struct spec_strv *provided, struct spec_strv *missing);

/*
 * Which of the model's features (libvirt names) the guest's /proc/cpuinfo "flags" line
 * (space separated) does not show, appended to lacks.  libvirt and Linux spell some
 * features differently (sse4.1 / sse4_1, pclmuldq / pclmulqdq); features Linux never
 * shows in /proc/cpuinfo are skipped.  Returns 0, or -1 on out of memory.
 */
int cpucheck_guest_lacks(const struct spec_strv *features, const char *guest_flags,
                         struct spec_strv *lacks);

#endif
