/*
 * usl — fit Gunther's Universal Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)) to
 * throughput X measured at concurrency N, by least squares with σ ∈ [0, 1], κ >= 0.
 */
#ifndef VMSWEEP_USL_H
#define VMSWEEP_USL_H

#include <stddef.h>

#define USL_MIN_LEVELS 6    /* fewer levels than this: the analysis does not fit */
#define USL_KAPPA_ZERO 1e-7 /* κ below this is "no coherency cost": N* is undefined */
#define USL_MAX_ITERS  200  /* Levenberg-Marquardt iterations at most */

/* A fitted model.  n_star is NAN when κ ≈ 0 or σ >= 1 (no peak inside the model). */
struct usl_result {
    double sigma;        /* contention */
    double kappa;        /* coherency */
    double lambda;       /* throughput of one client without contention */
    double n_star;       /* concurrency of peak throughput, sqrt((1 − σ) / κ) */
    double r2;           /* coefficient of determination on X */
    int converged;       /* 1: the refinement stopped at a minimum, 0: at USL_MAX_ITERS */
    unsigned iterations; /* Levenberg-Marquardt iterations used */
};

/*
 * Fit the USL to count points (n[i], x[i]), n >= 1, x > 0.  On success returns 0 and
 * fills *out.  When the fit is degenerate (fewer than 3 distinct N, non-positive or
 * non-finite data, a model that cannot describe the data) returns -1 and writes a
 * sentence saying why to why (why_len bytes); *out is untouched.
 */
int usl_fit(const double *n, const double *x, size_t count, struct usl_result *out, char *why,
            size_t why_len);

/* The model's throughput at concurrency nn. */
double usl_eval(const struct usl_result *u, double nn);

#endif
