/*
 * libFuzzer target for the manifest reader behind `vmsweep compare` (plot/compareinput.c):
 * a manifest.json is written by the harness but read back from a folder anyone may have
 * edited, so any bytes in it must be read or refused with a message, never crash, leak
 * or read out of bounds.  A fixed one-row CSV sits beside the fuzzed manifest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compareinput.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/vmsweep-fuzz-manifest-XXXXXX";
static char csv[sizeof(dir) + 16], manifest[sizeof(dir) + 16];
static FILE *devnull;

static int setup(void)
{
    static const char row[] =
        "ts,plan,vcpus,cpu_threads,io_threads,async,concurrency,duration_sec,run_idx,qps,"
        "p50_us,p90_us,p99_us,max_us,ru_maxrss,exit_code,timeout_killed,mean_us,errors,ops,"
        "little_ratio,fairness\n"
        "1700000000,cpu,2,2,0,0,1,5,0,1012.9,889,1481,2468,4936,10240,0,0,987.3,0,5064,1.000,"
        "0.95\n";
    FILE *f;

    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(csv, sizeof(csv), "%s/sweep.csv", dir);
    snprintf(manifest, sizeof(manifest), "%s/manifest.json", dir);
    f = fopen(csv, "w");
    if (f == NULL)
        return -1;
    fputs(row, f);
    fclose(f);
    devnull = fopen("/dev/null", "w");
    return devnull ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct compareinput *in = NULL;
    FILE *f;

    if (!ready) {
        if (setup() < 0)
            abort();
        ready = 1;
    }
    f = fopen(manifest, "w");
    if (f == NULL)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    if (compareinput_load(dir, devnull, &in) == 0) {
        char **diff = NULL;
        size_t n = 0;
        if (compareinput_diff(in, in, &diff, &n) == 0) {
            for (size_t i = 0; i < n; i++)
                free(diff[i]);
            free(diff);
        }
        compareinput_free(in);
    }
    return 0;
}
