#include "analyse.h"

#include "log.h"
#include "plotcmd.h"

#include <stdio.h>

int analyse_run(const char *const *csvs, size_t n, const char *outdir, uint64_t slo_p99_us)
{
    struct plot_opts o = {
        .output_dir = outdir,
        .format = PLOTGEN_PNG,
        .slo_p99_us = (double)slo_p99_us,
        .quiet = log_get_level() == LOG_QUIET,
    };

    if (plotcmd_analyse(csvs, n, &o, stdout) != 0) {
        log_error("the analysis of '%s' failed; the CSVs are kept", outdir);
        return -1;
    }
    return 0;
}
