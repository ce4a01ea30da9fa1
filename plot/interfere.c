/* interfere — see interfere.h. */
#include "interfere.h"

#include <math.h>

double interfere_vm_share(double busy_cpus, double cap_cpus, double got_cpus)
{
    double demand;

    if (!isfinite(busy_cpus) || !isfinite(cap_cpus) || !isfinite(got_cpus) || cap_cpus <= 0 ||
        got_cpus < 0)
        return NAN;
    demand = fmin(busy_cpus, cap_cpus);
    if (demand < INTERFERE_MIN_DEMAND)
        return NAN;
    return fmin(1, got_cpus / demand);
}

double interfere_local_share(double busy_cpus, double other_cpus, double wait_cpus,
                             double online_cpus, double allowed_cpus)
{
    double got, demand;

    if (!isfinite(busy_cpus) || !isfinite(other_cpus) || !(online_cpus > 0) || !(allowed_cpus > 0))
        return NAN;
    got = fmax(busy_cpus - other_cpus, 0);
    if (isfinite(wait_cpus) && wait_cpus >= 0) {
        demand = fmin(allowed_cpus, got + wait_cpus);
    } else {
        if (busy_cpus < INTERFERE_SATURATED * online_cpus)
            return 1; /* spare CPU: nobody was kept waiting for it */
        demand = fmin(allowed_cpus, got + other_cpus);
    }
    if (demand < INTERFERE_MIN_DEMAND)
        return NAN;
    return fmin(1, got / demand);
}

bool interfere_spoiled(double share)
{
    return isfinite(share) && share < INTERFERE_MIN_SHARE;
}
