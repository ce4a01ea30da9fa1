/* vmsweep-agent — entry point: options, then --sysinfo, --dry-run or the sweep. */
#include <stdio.h>
#include <string.h>

#ifndef VMSWEEP_VERSION
#define VMSWEEP_VERSION "unknown" /* the Makefile passes the real one */
#endif

#include "hostsync.h"
#include "opts.h"
#include "sweep.h"
#include "sysinfo.h"

int main(int argc, char **argv)
{
    struct opts o;
    int ret;

    /* Not a sweep option: the harness's first command after restoring a saved state. */
    if (argc == 4 && strcmp(argv[1], "--host-sync") == 0)
        return hostsync_main(argv[2], argv[3]);

    if (opts_parse(&o, argc, argv, sysinfo_online_cpus(), stderr) < 0) {
        opts_free(&o);
        return SWEEP_EXIT_USAGE;
    }
    switch (o.action) {
    case OPTS_HELP:
        opts_usage(stdout);
        ret = SWEEP_EXIT_OK;
        break;
    case OPTS_VERSION:
        puts("vmsweep-agent " VMSWEEP_VERSION);
        ret = SWEEP_EXIT_OK;
        break;
    case OPTS_SYSINFO:
        ret = sysinfo_print(stdout, sysinfo_clock_ns()) < 0 ? SWEEP_EXIT_FAILED : SWEEP_EXIT_OK;
        break;
    default:
        ret = o.dry_run ? SWEEP_EXIT_OK : sweep_run(&o, sysinfo_clock_ns());
        break;
    }
    opts_free(&o);
    return ret;
}
