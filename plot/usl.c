/*
 * usl — see usl.h.
 *
 * Design.  The USL is linear in its parameters after the substitution
 *     N / X = a + b (N − 1) + c N (N − 1),   a = 1/λ, b = σ/λ, c = κ/λ,
 * so a first estimate comes from ordinary least squares on y = N/X (3x3 normal
 * equations).  The bounds σ, κ >= 0 are enforced by also solving the sub-models with
 * b = 0 and/or c = 0 and keeping the best feasible one.  The linearised fit weights
 * points unevenly (errors in N/X grow with N), so it is then refined by
 * Levenberg-Marquardt on the original residuals X_i − X(N_i), with the damping scaled by
 * the diagonal of JᵀJ (λ is ~1e3, κ ~1e-4, so an unscaled step would be meaningless)
 * and an active set for the bounds σ ∈ [0, 1], κ >= 0 (see refine).  The refined fit is
 * kept only if it lowers the squared error.  Cost: O(levels) per iteration, at most
 * USL_MAX_ITERS iterations, no allocation; the optimum is reached to the relative
 * precision of the squared error (1e-14), which test_knee checks against a brute-force
 * search.  R² is computed on X.  A fit is called degenerate, and
 * said so instead of printing numbers, when the data cannot carry three parameters or
 * the solution is not finite and positive.
 */
#include "usl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Solve the k x k system a x = b (k <= 3) by Gaussian elimination with pivoting. */
static int solve(double a[3][3], double b[3], int k, double x[3])
{
    for (int c = 0; c < k; c++) {
        int piv = c;
        for (int r = c + 1; r < k; r++) {
            if (fabs(a[r][c]) > fabs(a[piv][c]))
                piv = r;
        }
        if (!(fabs(a[piv][c]) > 1e-300))
            return -1;
        if (piv != c) {
            for (int j = 0; j < k; j++) {
                double t = a[c][j];
                a[c][j] = a[piv][j];
                a[piv][j] = t;
            }
            double t = b[c];
            b[c] = b[piv];
            b[piv] = t;
        }
        for (int r = c + 1; r < k; r++) {
            double f = a[r][c] / a[c][c];
            for (int j = c; j < k; j++)
                a[r][j] -= f * a[c][j];
            b[r] -= f * b[c];
        }
    }
    for (int r = k - 1; r >= 0; r--) {
        double s = b[r];
        for (int j = r + 1; j < k; j++)
            s -= a[r][j] * x[j];
        x[r] = s / a[r][r];
        if (!isfinite(x[r]))
            return -1;
    }
    return 0;
}

double usl_eval(const struct usl_result *u, double nn)
{
    return u->lambda * nn / (1 + u->sigma * (nn - 1) + u->kappa * nn * (nn - 1));
}

static double sse(const double *n, const double *x, size_t count, const struct usl_result *u)
{
    double s = 0;
    for (size_t i = 0; i < count; i++) {
        double r = x[i] - usl_eval(u, n[i]);
        s += r * r;
    }
    return s;
}

/*
 * Linear least squares of y = N/X on the basis {1, N−1, N(N−1)} restricted to the
 * columns in use[]; returns 0 and the model when a > 0 and b, c >= 0.
 */
static int linear_fit(const double *n, const double *x, size_t count, const int use[3],
                      struct usl_result *u)
{
    double ata[3][3] = {{0}}, atb[3] = {0}, coef[3] = {0}, full[3] = {0};
    int map[3] = {0, 0, 0}, k = 0;
    for (int j = 0; j < 3; j++) {
        if (use[j])
            map[k++] = j;
    }
    for (size_t i = 0; i < count; i++) {
        double basis[3] = {1, n[i] - 1, n[i] * (n[i] - 1)}, y = n[i] / x[i];
        for (int r = 0; r < k; r++) {
            for (int c = 0; c < k; c++)
                ata[r][c] += basis[map[r]] * basis[map[c]];
            atb[r] += basis[map[r]] * y;
        }
    }
    if (solve(ata, atb, k, coef) < 0)
        return -1;
    for (int r = 0; r < k; r++)
        full[map[r]] = coef[r];
    if (!(full[0] > 0) || full[1] < 0 || full[2] < 0)
        return -1;
    u->lambda = 1 / full[0];
    u->sigma = full[1] / full[0];
    u->kappa = full[2] / full[0];
    return 0;
}

/* Is parameter p (1: sigma, 2: kappa) on a bound it is pushed against?  jtr[p] is the
 * descent direction of the squared error in p. */
static int pinned(const struct usl_result *u, int p, double jtr_p)
{
    if (p == 1)
        return (u->sigma <= 0 && jtr_p < 0) || (u->sigma >= 1 && jtr_p > 0);
    if (p == 2)
        return u->kappa <= 0 && jtr_p < 0;
    return 0;
}

/*
 * Levenberg-Marquardt with an active set: a parameter on its bound whose descent
 * direction points out of the feasible box is held there and the step is solved for the
 * others alone.  Projecting a full step instead lets the bounded parameter's pull distort
 * the others' steps every iteration, so the fit creeps along the bound (on the ray-tracer
 * data, all 200 iterations and 1.9% short of the optimum on sigma).  Stops when the
 * squared error and the parameters stop changing (converged) or at USL_MAX_ITERS.
 */
static void refine(const double *n, const double *x, size_t count, struct usl_result *u)
{
    double damp = 1e-3, cur;
    unsigned it;

    u->sigma = fmin(fmax(u->sigma, 0), 1);
    u->kappa = fmax(u->kappa, 0);
    cur = sse(n, x, count, u);
    u->converged = 0;
    for (it = 0; it < USL_MAX_ITERS; it++) {
        double jtj[3][3] = {{0}}, jtr[3] = {0}, a[3][3], b[3], st[3] = {0, 0, 0}, step[3] = {0};
        int free_p[3] = {0, 0, 0}, k = 0;
        struct usl_result t = *u;
        double s;

        for (size_t i = 0; i < count; i++) {
            double nn = n[i], d = 1 + u->sigma * (nn - 1) + u->kappa * nn * (nn - 1);
            double f = u->lambda * nn / d;
            double g[3] = {nn / d, -f * (nn - 1) / d, -f * nn * (nn - 1) / d};
            double r = x[i] - f;
            for (int p = 0; p < 3; p++) {
                for (int q = 0; q < 3; q++)
                    jtj[p][q] += g[p] * g[q];
                jtr[p] += g[p] * r;
            }
        }
        for (int p = 0; p < 3; p++)
            if (!pinned(u, p, jtr[p]))
                free_p[k++] = p;
        for (int r = 0; r < k; r++) {
            for (int c = 0; c < k; c++)
                a[r][c] = jtj[free_p[r]][free_p[c]];
            a[r][r] += damp * (jtj[free_p[r]][free_p[r]] > 0 ? jtj[free_p[r]][free_p[r]] : 1e-12);
            b[r] = jtr[free_p[r]];
        }
        if (k == 0 || solve(a, b, k, st) < 0)
            break;
        for (int r = 0; r < k; r++)
            step[free_p[r]] = st[r];
        t.lambda += step[0];
        t.sigma = fmin(fmax(t.sigma + step[1], 0), 1);
        t.kappa = fmax(t.kappa + step[2], 0);
        s = t.lambda > 0 ? sse(n, x, count, &t) : INFINITY;
        if (isfinite(s) && s <= cur) {
            double rel = (cur - s) / (cur > 0 ? cur : 1);
            double moved = fabs(t.lambda - u->lambda) / u->lambda + fabs(t.sigma - u->sigma) +
                           fabs(t.kappa - u->kappa) * 1e3;
            *u = t;
            cur = s;
            damp = fmax(damp / 3, 1e-12);
            if (rel < 1e-14 && moved < 1e-12) {
                u->converged = 1;
                break;
            }
        } else {
            damp *= 4;
            if (damp > 1e12) {
                /* No step lowers the error, however short: a minimum. */
                u->converged = 1;
                break;
            }
        }
    }
    u->iterations = it < USL_MAX_ITERS ? it + 1 : USL_MAX_ITERS;
}

int usl_fit(const double *n, const double *x, size_t count, struct usl_result *out, char *why,
            size_t why_len)
{
    static const int subsets[4][3] = {{1, 1, 1}, {1, 1, 0}, {1, 0, 1}, {1, 0, 0}};
    struct usl_result best = {0}, u = {0};
    double best_sse = INFINITY, mean = 0, sst = 0, res;
    size_t distinct = 0;

    for (size_t i = 0; i < count; i++) {
        if (!(n[i] >= 1) || !(x[i] > 0) || !isfinite(x[i]) || !isfinite(n[i])) {
            snprintf(why, why_len,
                     "USL fit not possible: throughput must be positive at every level");
            return -1;
        }
        if (i == 0 || n[i] != n[i - 1])
            distinct++;
        mean += x[i];
    }
    if (distinct < 3) {
        snprintf(why, why_len, "USL fit not possible: it needs at least 3 concurrency levels");
        return -1;
    }
    mean /= (double)count;
    for (int s = 0; s < 4; s++) {
        double e;
        if (linear_fit(n, x, count, subsets[s], &u) < 0)
            continue;
        e = sse(n, x, count, &u);
        if (e < best_sse) {
            best_sse = e;
            best = u;
        }
    }
    if (!isfinite(best_sse)) {
        snprintf(why, why_len,
                 "USL fit degenerate: no model with contention and coherency >= 0 fits the data");
        return -1;
    }
    refine(n, x, count, &best);
    res = sse(n, x, count, &best);
    for (size_t i = 0; i < count; i++)
        sst += (x[i] - mean) * (x[i] - mean);
    if (!isfinite(best.lambda) || !(best.lambda > 0) || !isfinite(best.sigma) ||
        !isfinite(best.kappa) || !isfinite(res)) {
        snprintf(why, why_len, "USL fit degenerate: the solution is not finite");
        return -1;
    }
    best.sigma += 0.0; /* turn a -0 from the projection into +0 */
    best.kappa += 0.0;
    best.r2 = sst > 0 ? 1 - res / sst : (res == 0 ? 1 : 0);
    best.n_star =
        (best.kappa > USL_KAPPA_ZERO && best.sigma < 1) ? sqrt((1 - best.sigma) / best.kappa) : NAN;
    *out = best;
    return 0;
}
