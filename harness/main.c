/*
 * vmsweep — where does my program saturate, and how does that change with the size of
 * the machine?  Entry point: dispatch to the subcommands.
 */
#include "comparecmd.h"
#include "docgen.h"
#include "openmetrics.h"
#include "doctor.h"
#include "fsutil.h"
#include "image.h"
#include "log.h"
#include "paths.h"
#include "plotcmd.h"
#include "cmdline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char main_usage[] =
    "usage: vmsweep COMMAND [options]   (vmsweep COMMAND --help for details)\n"
    "\n"
    "Commands:\n"
    "  run [SPEC]      sweep concurrency in capped QEMU VMs of one or more sizes\n"
    "  local [SPEC]    the same sweep on this host, without a VM\n"
    "  plot CSV...     knee analysis and plots of sweep CSVs\n"
    "  compare B C     CI perf gate: regression, improvement, no change or inconclusive\n"
    "  image ...       build, list, inspect guest images\n"
    "  doctor          check this machine and say what to fix\n"
    "  version         print the version\n"
    "  export --openmetrics DIR...  write DIR/metrics.prom for runs analysed before\n"
    "  gen-docs DIR    write the man pages and shell completions (for packagers)\n"
    "\n"
    "Exit codes: 0 ok, 1 run failed, 2 usage or input error, 3 regression (compare).\n";

/*
 * libvirt prints its own warnings (taint notices, QMP events) on stderr and reads where
 * to log only from the environment, once, early: send them to a file in the cache by
 * re-executing ourselves with LIBVIRT_LOG_OUTPUTS set.  Errors still reach the user once,
 * through vmsweep's own messages.
 */
static void main_quiet_libvirt(char **argv)
{
    char *cache, *outputs;

    if (getenv("LIBVIRT_LOG_OUTPUTS"))
        return;
    cache = paths_cache_dir();
    if (cache && fsutil_mkdir_p(cache, 0700) == 0) {
        outputs = fsutil_printf("3:file:%s/libvirt.log", cache);
        if (outputs && setenv("LIBVIRT_LOG_OUTPUTS", outputs, 1) == 0)
            execv("/proc/self/exe", argv);
        free(outputs);
    }
    free(cache);
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    if (!cmd) {
        fputs(main_usage, stderr);
        return 2;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(main_usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        puts("vmsweep " VMSWEEP_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "run") || !strcmp(cmd, "doctor"))
        main_quiet_libvirt(argv);
    if (!strcmp(cmd, "run"))
        return cmdline_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "local"))
        return cmdline_local(argc - 1, argv + 1);
    if (!strcmp(cmd, "compare"))
        return comparecmd_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "plot"))
        return plotcmd_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "image"))
        return image_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "doctor"))
        return doctor_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "export"))
        return openmetrics_export_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "gen-docs"))
        return docgen_main(argc - 1, argv + 1);
    log_error("unknown command '%s' (see vmsweep --help)", cmd);
    return 2;
}
