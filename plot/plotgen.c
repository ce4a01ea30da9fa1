/*
 * plotgen — see plotgen.h.  Strings from the data (plan names) are written as gnuplot
 * single-quoted strings, where only '' needs escaping and neither backquote command
 * substitution nor macros (@) happen; control bytes are dropped so that no string can end
 * its line and start a command (gnuplot runs shell commands: `system`, `!`, backquotes).
 * Titles are `noenhanced` so that '_' or '^' in a plan name are printed as they are.
 */
#include "plotgen.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cancel.h"
#include "fsutil.h"
#include "sizing.h"

const char *plotgen_ext(enum plotgen_format fmt)
{
    return fmt == PLOTGEN_SVG ? "svg" : "png";
}

static int has_scaling(const struct analysis *a)
{
    return a->n_scaling > 0;
}

const char *plotgen_accel_note(const struct analysis *a)
{
    if (a->accel && strcmp(a->accel, "tcg") == 0)
        return " - guest under TCG (emulated CPU: compare ratios, not absolute numbers)";
    if (a->accel && strcmp(a->accel, "kvm") == 0)
        return " - guest under KVM";
    return "";
}

size_t plotgen_outputs(const struct analysis *a, enum plotgen_format fmt,
                       const char *names[PLOTGEN_MAX_OUTPUTS])
{
    size_t n = 0;
    int svg = fmt == PLOTGEN_SVG;
    names[n++] = svg ? "qps_vs_concurrency.svg" : "qps_vs_concurrency.png";
    names[n++] = svg ? "latency_vs_concurrency.svg" : "latency_vs_concurrency.png";
    names[n++] = svg ? "qps_vs_p99.svg" : "qps_vs_p99.png";
    if (has_scaling(a))
        names[n++] = svg ? "scaling.svg" : "scaling.png";
    if (a->sizing)
        names[n++] = svg ? "capacity_vs_vcpus.svg" : "capacity_vs_vcpus.png";
    return n;
}

/* A gnuplot single-quoted string: ' doubled, control bytes (line ends) dropped. */
static void gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
    }
    fputc('\'', f);
}

static void gp_title(FILE *f, const struct analysis_group *g, const char *suffix)
{
    char buf[CSV_PLAN_MAX + 64];
    snprintf(buf, sizeof buf, "%s, %llu vCPU%s%s", g->plan, (unsigned long long)g->vcpus,
             g->vcpus == 1 ? "" : "s", suffix);
    fputs("title ", f);
    gp_str(f, buf);
    fputs(" noenhanced", f);
}

/* Order of level indexes for the Pareto frontier: p99 ascending, then qps descending. */
static int by_p99_then_qps(const void *a, const void *b, void *arg)
{
    const struct analysis_level *lv = arg;
    const struct analysis_level *x = &lv[*(const size_t *)a], *y = &lv[*(const size_t *)b];

    if (x->p99_us != y->p99_us)
        return x->p99_us < y->p99_us ? -1 : 1;
    return (x->qps < y->qps) - (x->qps > y->qps);
}

static void datablocks(FILE *f, const struct analysis *a)
{
    for (size_t i = 0; i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        fputs("# plan ", f);
        gp_str(f, g->plan);
        fprintf(f, ", %llu vCPUs\n$g%zu << EOD\n", (unsigned long long)g->vcpus, i);
        fprintf(f, "# concurrency qps qps_min qps_max p50_us p90_us p99_us p999_us max_us\n");
        for (size_t j = 0; j < g->n_levels; j++) {
            const struct analysis_level *l = &g->levels[j];
            fprintf(f, "%llu %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g\n",
                    (unsigned long long)l->concurrency, l->qps, l->qps_min, l->qps_max,
                    fmax(l->p50_us, 1), fmax(l->p90_us, 1), fmax(l->p99_us, 1),
                    isfinite(l->p999_us) ? fmax(l->p999_us, 1) : NAN,
                    isfinite(l->max_us) ? fmax(l->max_us, 1) : NAN);
        }
        fprintf(f, "EOD\n");
        /* Pareto frontier: levels not beaten by another with lower p99 and higher qps. */
        fprintf(f, "$pareto%zu << EOD\n# p99_us qps concurrency\n", i);
        {
            size_t *ord = malloc((g->n_levels ? g->n_levels : 1) * sizeof(*ord));
            size_t n = g->n_levels;
            double best = -1;
            if (ord) {
                for (size_t j = 0; j < n; j++)
                    ord[j] = j;
                qsort_r(ord, n, sizeof(*ord), by_p99_then_qps, (void *)g->levels);
                for (size_t j = 0; j < n; j++) {
                    const struct analysis_level *l = &g->levels[ord[j]];
                    if (l->qps > best) {
                        best = l->qps;
                        fprintf(f, "%.6g %.6g %llu\n", fmax(l->p99_us, 1), l->qps,
                                (unsigned long long)l->concurrency);
                    }
                }
                free(ord);
            }
        }
        fprintf(f, "EOD\n");
    }
    if (!has_scaling(a))
        return;
    for (size_t i = 0; i < a->n_groups;) {
        size_t j = i;
        double base = a->groups[i].max_qps, v0 = (double)a->groups[i].vcpus;
        while (j < a->n_groups && strcmp(a->groups[j].plan, a->groups[i].plan) == 0)
            j++;
        if (j - i >= 2) {
            fprintf(f, "$scale%zu << EOD\n# vcpus max_qps ideal\n", i);
            for (size_t k = i; k < j; k++)
                fprintf(f, "%llu %.6g %.6g\n", (unsigned long long)a->groups[k].vcpus,
                        a->groups[k].max_qps, base * (double)a->groups[k].vcpus / v0);
            fprintf(f, "EOD\n");
        }
        i = j;
    }
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/*
 * One x tic per distinct VM size, ascending, and the x range of the scaling plot.  Sorted
 * and then deduplicated: O(n log n) in the number of curves, which a CSV can make huge.
 */
static int scaling_xtics(FILE *f, const struct analysis *a)
{
    uint64_t *v = malloc((a->n_groups ? a->n_groups : 1) * sizeof(*v));

    if (!v)
        return -1;
    for (size_t i = 0; i < a->n_groups; i++)
        v[i] = a->groups[i].vcpus;
    qsort(v, a->n_groups, sizeof(*v), u64_cmp);
    fprintf(f, "set xtics (");
    for (size_t i = 0; i < a->n_groups; i++) {
        if (i == 0 || v[i] != v[i - 1])
            fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)v[i]);
    }
    fprintf(f, ")\nset xrange [0:%g]\n", a->n_groups ? (double)v[a->n_groups - 1] * 1.1 : 1.0);
    free(v);
    return 0;
}

static void xrange(FILE *f, const struct analysis *a)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        if (g->levels[0].concurrency < lo)
            lo = g->levels[0].concurrency;
        if (g->levels[g->n_levels - 1].concurrency > hi)
            hi = g->levels[g->n_levels - 1].concurrency;
    }
    if (hi <= lo)
        fprintf(f, "set xrange [%g:%g]\n", (double)lo / 2, (double)lo * 2);
    else
        fprintf(f, "set xrange [%llu:%llu]\n", (unsigned long long)lo, (unsigned long long)hi);
}

static double level_qps(const struct analysis_group *g, uint64_t n)
{
    for (size_t i = 0; i < g->n_levels; i++) {
        if (g->levels[i].concurrency == n)
            return g->levels[i].qps;
    }
    return 0;
}

/* The p99 SLO as a red dashed line: horizontal on a latency axis (vertical when the
 * latency is on x), labelled. */
static void slo_mark(FILE *f, const struct analysis *a, int latency_on_x)
{
    if (!(a->slo_p99_us > 0))
        return;
    if (latency_on_x)
        fprintf(f,
                "set arrow 1 from first %.6g, graph 0 to first %.6g, graph 1 nohead dashtype 2 "
                "linecolor rgb 'red' front\n"
                "set label 90 'p99 SLO %.6g \xc2\xb5s' at first %.6g, graph 0.95 offset 0.5,0 "
                "textcolor rgb 'red' front\n",
                a->slo_p99_us, a->slo_p99_us, a->slo_p99_us, a->slo_p99_us);
    else
        fprintf(f,
                "set arrow 1 from graph 0, first %.6g to graph 1, first %.6g nohead dashtype 2 "
                "linecolor rgb 'red' front\n"
                "set label 90 'p99 SLO %.6g \xc2\xb5s' at graph 0.02, first %.6g offset 0,0.7 "
                "textcolor rgb 'red' front\n",
                a->slo_p99_us, a->slo_p99_us, a->slo_p99_us, a->slo_p99_us);
}

/* The qps-vs-concurrency plot; shared by the file (with_usl: the USL fits and every
 * method's knee) and the terminal chart (the throughput knee only, its label to the
 * left of the point so the chart's right edge does not cut it). */
static void qps_plot(FILE *f, const struct analysis *a, int with_usl)
{
    int labels = 0;
    fprintf(f, "set logscale x 2\nunset logscale y\nset yrange [0:*]\n");
    xrange(f, a);
    for (size_t i = 0; i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        if (!g->knee)
            continue;
        fprintf(f, "set label %d ", ++labels);
        if (a->n_groups > 1) {
            char buf[CSV_PLAN_MAX + 64];
            snprintf(buf, sizeof buf, "%s/%llu: knee N=%llu", g->plan, (unsigned long long)g->vcpus,
                     (unsigned long long)g->knee);
            gp_str(f, buf);
        } else {
            fprintf(f, "'knee N=%llu'", (unsigned long long)g->knee);
        }
        fprintf(f, " at %llu,%.6g %s point pointtype 7 pointsize 2 offset %s noenhanced\n",
                (unsigned long long)g->knee, level_qps(g, g->knee),
                with_usl ? "left" : "right front", with_usl ? "1,-1" : "-1,-1");
    }
    /* The other methods' knees, each with its own point, above the curve. */
    for (size_t i = 0; with_usl && i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        for (int m = 0; m < KNEE_NMETHODS; m++) {
            char buf[CSV_PLAN_MAX + 96];
            if (!g->knees[m])
                continue;
            if (a->n_groups > 1)
                snprintf(buf, sizeof buf, "%s/%llu: %s N=%llu", g->plan,
                         (unsigned long long)g->vcpus, knee_methods[m].marker,
                         (unsigned long long)g->knees[m]);
            else
                snprintf(buf, sizeof buf, "%s N=%llu", knee_methods[m].marker,
                         (unsigned long long)g->knees[m]);
            fprintf(f, "set label %d ", ++labels);
            gp_str(f, buf);
            fprintf(f, " at %llu,%.6g point pointtype %d pointsize 1.5 offset 1,%d noenhanced\n",
                    (unsigned long long)g->knees[m], level_qps(g, g->knees[m]),
                    knee_methods[m].pointtype, m + 1);
        }
    }
    /* The recommended operating range of each curve, shaded behind it. */
    for (size_t i = 0, obj = 0; with_usl && i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        if (!g->has_recommended)
            continue;
        fprintf(f,
                "set object %zu rect from %g, graph 0 to %g, graph 1 behind fillcolor "
                "linetype %zu fillstyle transparent solid 0.12 noborder\n",
                ++obj, (double)g->rec_low * 0.97, (double)g->rec_high * 1.03, i + 1);
        fprintf(f, "set label %d 'recommended' at %g, graph %g textcolor linetype %zu\n", ++labels,
                (double)g->rec_low, 0.97 - 0.04 * (double)obj, i + 1);
    }
    for (size_t i = 0; with_usl && i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        if (g->has_usl)
            fprintf(f, "usl%zu(x) = %.9g*x/(1 + %.9g*(x-1) + %.9g*x*(x-1))\n", i, g->usl.lambda,
                    g->usl.sigma, g->usl.kappa);
    }
    fprintf(f, "plot ");
    for (size_t i = 0; i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        fprintf(f, "%s$g%zu using 1:2 with linespoints linecolor %zu pointtype 7 ",
                i ? ", \\\n     " : "", i, i + 1);
        gp_title(f, g, "");
        /* Repetitions: the spread of each level's qps (min to max). */
        if (with_usl && g->runs > g->n_levels)
            fprintf(f,
                    ", \\\n     $g%zu using 1:2:3:4 with yerrorbars linecolor %zu pointtype 7 "
                    "pointsize 0.6 notitle",
                    i, i + 1);
        if (with_usl && g->has_usl) {
            fprintf(f, ", \\\n     usl%zu(x) with lines dashtype 2 linecolor %zu ", i, i + 1);
            gp_title(f, g, ": USL fit");
        }
    }
    fprintf(f, "\nunset label\nunset object\n");
}

/*
 * Capacity within the SLO vs vCPUs (sizing.h): per plan the measured capacities with their
 * intervals, the across-size model dashed out to the next size up (a prediction), and the
 * capacity the target needs as a horizontal line.
 */
static void capacity_plot(FILE *f, const struct sizing *s, const char *ext)
{
    uint64_t top = 1;
    int first = 1;

    for (size_t i = 0; i < s->n_plans; i++) {
        const struct sizing_plan *p = &s->plans[i];
        fprintf(f, "$cap%zu << EOD\n# vcpus capacity lo hi\n", i);
        for (size_t k = 0; k < p->n_sizes; k++) {
            const struct sizing_size *z = &p->sizes[k];
            fprintf(f, "%llu %.6g %.6g %.6g\n", (unsigned long long)z->vcpus, z->capacity,
                    z->capacity_lo, z->capacity_hi);
            top = z->vcpus > top ? z->vcpus : top;
        }
        fprintf(f, "EOD\n");
        if (p->fit != SIZING_FIT_NONE) {
            uint64_t end = p->predicted_vcpus > p->next_vcpus ? p->predicted_vcpus : p->next_vcpus;
            fprintf(f, "$model%zu << EOD\n# vcpus predicted\n", i);
            for (uint64_t v = 1; v <= end; v = v < 8 ? v + 1 : v + (end + 31) / 32)
                fprintf(f, "%llu %.6g\n", (unsigned long long)v, usl_eval(&p->model, (double)v));
            fprintf(f, "%llu %.6g\nEOD\n", (unsigned long long)end,
                    usl_eval(&p->model, (double)end));
            top = end > top ? end : top;
        }
    }
    fprintf(f, "\n# Capacity within the SLO vs vCPUs; the model across sizes dashed (a "
               "prediction).\n");
    fprintf(f, "set output outprefix.'capacity_vs_vcpus.%s'\n", ext);
    fprintf(f,
            "set title 'Capacity within the SLO by VM size'.accel.where\nset xlabel 'vCPUs'\n"
            "set ylabel 'qps within the SLO'\nunset logscale\nset yrange [0:*]\n"
            "set xrange [0:%g]\nset xtics autofreq\n",
            (double)top * 1.1);
    fprintf(f, "plot ");
    for (size_t i = 0; i < s->n_plans; i++) {
        char buf[CSV_PLAN_MAX + 48];
        fprintf(f, "%s$cap%zu using 1:2:3:4 with yerrorlines linecolor %zu pointtype 7 title ",
                first ? "" : ", \\\n     ", i, i + 1);
        gp_str(f, s->plans[i].plan);
        fprintf(f, " noenhanced");
        if (s->plans[i].fit != SIZING_FIT_NONE) {
            fprintf(f, ", \\\n     $model%zu using 1:2 with lines dashtype 2 linecolor %zu title ",
                    i, i + 1);
            snprintf(buf, sizeof buf, "%s: %s across sizes (prediction)", s->plans[i].plan,
                     sizing_fit_name(s->plans[i].fit));
            gp_str(f, buf);
            fprintf(f, " noenhanced");
        }
        first = 0;
    }
    if (s->need_qps > 0)
        fprintf(f,
                ", \\\n     %.6g with lines dashtype 3 linecolor rgb 'black' title "
                "'needed: target + %.0f%% headroom'",
                s->need_qps, s->opts.headroom * 100);
    fprintf(f, "\nset xtics autofreq\n");
}

int plotgen_script(FILE *f, const struct analysis *a, enum plotgen_format fmt)
{
    int svg = fmt == PLOTGEN_SVG;
    const char *ext = plotgen_ext(fmt);

    fprintf(f,
            "# vmsweep plots, generated by `vmsweep plot`.  Edit and re-run from this\n"
            "# directory with: gnuplot %s\n",
            PLOTGEN_SCRIPT);
    fprintf(f, "if (!exists(\"outprefix\")) outprefix = ''\n");
    if (svg)
        fprintf(f, "set terminal svg size %d,%d dynamic font 'sans,11'\n", PLOTGEN_WIDTH,
                PLOTGEN_HEIGHT);
    else
        fprintf(f, "set terminal pngcairo size %d,%d font 'sans,10'\n", PLOTGEN_WIDTH,
                PLOTGEN_HEIGHT);
    fprintf(f, "set encoding utf8\nset grid\nset key top left box opaque\nset samples 400\n");
    /* Every title says how the guest ran: emulated numbers must not pass for native. */
    fprintf(f, "accel = '%s'\n", plotgen_accel_note(a));
    /* ... and on what: the guest's CPU model and the host (from the run's manifest). */
    fputs("where = ", f);
    {
        char buf[512] = "";
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(a->manifest, "spec");
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(spec, "vm"), "cpu_model");
        const cJSON *host = cJSON_GetObjectItemCaseSensitive(a->manifest, "host");
        const cJSON *hn = cJSON_GetObjectItemCaseSensitive(host, "hostname");
        const cJSON *hc = cJSON_GetObjectItemCaseSensitive(host, "cpu_model");
        if (cJSON_IsString(model) && cJSON_IsString(hn))
            snprintf(buf, sizeof buf, "%s guest on host %s%s%s%s", model->valuestring,
                     hn->valuestring, cJSON_IsString(hc) ? " (" : "",
                     cJSON_IsString(hc) ? hc->valuestring : "", cJSON_IsString(hc) ? ")" : "");
        if (buf[0])
            fputs("\"\\n\".", f); /* a second title line */
        gp_str(f, buf);
    }
    fputs("\n\n", f);
    datablocks(f, a);

    fprintf(f, "\n# Throughput vs concurrency: knee marked, USL fit dashed.\n");
    fprintf(f, "set output outprefix.'qps_vs_concurrency.%s'\n", ext);
    fprintf(f,
            "set title 'Throughput vs concurrency'.accel.where\nset xlabel 'concurrency (log2)'\n"
            "set ylabel 'qps'\n");
    qps_plot(f, a, 1);

    fprintf(f, "\n# Latency percentiles vs concurrency.\n");
    fprintf(f, "set output outprefix.'latency_vs_concurrency.%s'\n", ext);
    fprintf(f, "set title 'Latency vs concurrency'.accel.where\nset xlabel 'concurrency (log2)'\n"
               "set ylabel 'latency (\xc2\xb5s, log)'\nset logscale x 2\nset logscale y\n"
               "set yrange [*:*]\n");
    xrange(f, a);
    slo_mark(f, a, 0);
    /* The latency knee of each curve, on its p99 line. */
    for (size_t i = 0, lab = 0; i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        uint64_t n = g->knees[KNEE_LATENCY];
        char buf[CSV_PLAN_MAX + 64];
        if (!n)
            continue;
        for (size_t j = 0; j < g->n_levels; j++) {
            if (g->levels[j].concurrency != n)
                continue;
            if (a->n_groups > 1)
                snprintf(buf, sizeof buf, "%s/%llu: %s N=%llu", g->plan,
                         (unsigned long long)g->vcpus, knee_methods[KNEE_LATENCY].marker,
                         (unsigned long long)n);
            else
                snprintf(buf, sizeof buf, "%s N=%llu", knee_methods[KNEE_LATENCY].marker,
                         (unsigned long long)n);
            fprintf(f, "set label %zu ", ++lab);
            gp_str(f, buf);
            fprintf(f, " at %llu,%.6g point pointtype %d pointsize 1.5 offset 1,1 noenhanced\n",
                    (unsigned long long)n, fmax(g->levels[j].p99_us, 1),
                    knee_methods[KNEE_LATENCY].pointtype);
        }
    }
    fprintf(f, "plot ");
    for (size_t i = 0; i < a->n_groups; i++) {
        static const char *pct[5] = {"p50", "p90", "p99", "p99.9", "max"};
        int shown[5] = {1, 1, 1, 0, 0}, first = 1;
        /* p99.9 and max when the CSV has them (the mean and p99 can hide a long tail). */
        for (size_t j = 0; j < a->groups[i].n_levels; j++) {
            shown[3] |= isfinite(a->groups[i].levels[j].p999_us);
            shown[4] |= isfinite(a->groups[i].levels[j].max_us);
        }
        for (int p = 0; p < 5; p++) {
            char suffix[16];
            if (!shown[p])
                continue;
            snprintf(suffix, sizeof suffix, ": %s", pct[p]);
            fprintf(f,
                    "%s$g%zu using 1:%d with linespoints linecolor %zu dashtype %d pointtype %d ",
                    i || !first ? ", \\\n     " : "", i, 5 + p, i + 1, p + 1, 5 + 2 * p);
            first = 0;
            gp_title(f, &a->groups[i], suffix);
        }
    }
    fprintf(f, "\nunset label\nunset arrow\n");

    fprintf(f, "\n# Throughput vs tail latency; the line is the Pareto frontier.\n");
    fprintf(f, "set output outprefix.'qps_vs_p99.%s'\n", ext);
    fprintf(f, "set title 'Throughput vs p99 latency (Pareto frontier)'.accel.where\n"
               "set xlabel 'p99 latency (\xc2\xb5s, log)'\nset ylabel 'qps'\nunset logscale\n"
               "set logscale x\nset xrange [*:*]\nset yrange [0:*]\n");
    slo_mark(f, a, 1);
    fprintf(f, "plot ");
    for (size_t i = 0; i < a->n_groups; i++) {
        fprintf(f, "%s$g%zu using 7:2 with points linecolor %zu pointtype 7 ",
                i ? ", \\\n     " : "", i, i + 1);
        gp_title(f, &a->groups[i], "");
        fprintf(f, ", \\\n     $pareto%zu using 1:2 with steps linecolor %zu notitle", i, i + 1);
        /* Which concurrency each frontier point is. */
        fprintf(f,
                ", \\\n     $pareto%zu using 1:2:(sprintf('N=%%d', $3)) with labels offset 0,0.8 "
                "textcolor linetype %zu notitle",
                i, i + 1);
    }
    fprintf(f, "\nunset arrow\nunset label\n");

    if (has_scaling(a)) {
        int first = 1;
        fprintf(f, "\n# Maximum throughput vs vCPUs, with ideal linear scaling dashed.\n");
        fprintf(f, "set output outprefix.'scaling.%s'\n", ext);
        fprintf(f, "set title 'Scaling with VM size'.accel.where\nset xlabel 'vCPUs'\nset ylabel "
                   "'max qps'\n"
                   "unset logscale\nset yrange [0:*]\n");
        if (scaling_xtics(f, a) < 0)
            return -1;
        fprintf(f, "plot ");
        for (size_t i = 0; i < a->n_groups;) {
            size_t j = i;
            char buf[CSV_PLAN_MAX + 32];
            while (j < a->n_groups && strcmp(a->groups[j].plan, a->groups[i].plan) == 0)
                j++;
            if (j - i >= 2) {
                fprintf(f,
                        "%s$scale%zu using 1:2 with linespoints linecolor %zu pointtype 7 title ",
                        first ? "" : ", \\\n     ", i, i + 1);
                gp_str(f, a->groups[i].plan);
                fprintf(f,
                        " noenhanced, \\\n     $scale%zu using 1:3 with lines dashtype 2 "
                        "linecolor %zu title ",
                        i, i + 1);
                snprintf(buf, sizeof buf, "%s: ideal", a->groups[i].plan);
                gp_str(f, buf);
                fprintf(f, " noenhanced");
                first = 0;
            }
            i = j;
        }
        fprintf(f, "\nset xtics autofreq\n");
    }
    if (a->sizing)
        capacity_plot(f, a->sizing, ext);
    fprintf(f, "set output\n");
    fflush(f);
    return ferror(f) ? -1 : 0;
}

int plotgen_terminal_script(FILE *f, const struct analysis *a)
{
    fprintf(f,
            "set terminal dumb size 79,24\nset key bottom right\nset title 'qps vs concurrency'\n"
            "set xlabel 'concurrency (log2)'\n");
    datablocks(f, a);
    qps_plot(f, a, 0);
    fflush(f);
    return ferror(f) ? -1 : 0;
}

int plotgen_have_gnuplot(void)
{
    const char *path = getenv("PATH");
    char *copy, *save = NULL, *dir;
    int found = 0;
    if (!path)
        path = "/usr/bin:/bin";
    copy = strdup(path);
    if (!copy)
        return 0;
    for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *p = NULL;
        struct stat st;
        if (asprintf(&p, "%s/gnuplot", *dir ? dir : ".") < 0)
            break;
        found = stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
        free(p);
    }
    free(copy);
    return found;
}

static unsigned plotgen_timeout_ms = PLOTGEN_TIMEOUT_MS;

void plotgen_set_timeout_ms(unsigned ms)
{
    plotgen_timeout_ms = ms ? ms : PLOTGEN_TIMEOUT_MS;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int plotgen_run(const char *dir, const char *script, const char *outprefix, FILE *capture,
                FILE *diag)
{
    struct fsutil_atomic log = {.fd = -1, .dirfd = -1};
    int pfd[2] = {-1, -1}, status = 0, ret = -1, logfd = -1;
    char *eopt = NULL, *logpath = NULL;
    size_t eopt_len = 0;
    const char *stopped = NULL;
    uint64_t deadline = now_ms() + plotgen_timeout_ms;
    pid_t pid = -1;

    /* The prefix is a gnuplot string like any other: quoted, so it cannot add commands. */
    if (outprefix) {
        FILE *e = open_memstream(&eopt, &eopt_len);
        if (!e)
            goto oom;
        fputs("outprefix=", e);
        gp_str(e, outprefix);
        if (fclose(e) != 0)
            goto oom;
    }
    /* gnuplot's warnings (e.g. "empty x range" on a flat curve) are noise on the user's
     * terminal: they go to gnuplot.log next to the script, written as every output is
     * (fsutil_atomic_begin: a new file with a random name, O_EXCL and O_NOFOLLOW, renamed
     * over the name), so a link planted at gnuplot.log is replaced, never followed. */
    if (outprefix) {
        if (asprintf(&logpath, "%s/gnuplot.log", dir) < 0) {
            logpath = NULL;
            goto oom;
        }
        if (fsutil_atomic_begin(&log, logpath, 0644) < 0)
            goto cleanup; /* reported */
        logfd = log.fd;
    }
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        if (diag)
            fprintf(diag, "vmsweep plot: cannot create a pipe: %s\n", strerror(errno));
        goto cleanup;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        if (diag)
            fprintf(diag, "vmsweep plot: cannot start gnuplot: %s\n", strerror(errno));
        goto cleanup;
    }
    if (pid == 0) {
        /* Its own process group: a deadline kills gnuplot and anything it started. */
        setpgid(0, 0);
        if (dup2(pfd[1], STDOUT_FILENO) < 0 || chdir(dir) < 0)
            _exit(126);
        int errfd = logfd >= 0 ? logfd : open("/dev/null", O_WRONLY);
        if (errfd >= 0)
            dup2(errfd, STDERR_FILENO);
        if (eopt)
            execlp("gnuplot", "gnuplot", "-e", eopt, script, (char *)NULL);
        else
            execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    close(pfd[1]);
    pfd[1] = -1;
    for (;;) {
        struct pollfd pf = {.fd = pfd[0], .events = POLLIN};
        char buf[4096];
        ssize_t r;
        int rc;

        if (cancel_requested()) {
            stopped = "interrupted";
            break;
        }
        if (now_ms() >= deadline) {
            stopped = "deadline";
            break;
        }
        rc = poll(&pf, 1, 200);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        r = read(pfd[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (capture)
            fwrite(buf, 1, (size_t)r, capture);
    }
    /* Output closed (or a stop): wait for the exit, within the same deadline. */
    while (!stopped) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            if (diag)
                fprintf(diag, "vmsweep plot: cannot wait for gnuplot: %s\n", strerror(errno));
            pid = -1;
            goto cleanup;
        }
        if (cancel_requested())
            stopped = "interrupted";
        else if (now_ms() >= deadline)
            stopped = "deadline";
        else
            poll(NULL, 0, 50);
    }
    if (stopped) {
        kill(-pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        pid = -1;
        if (diag) {
            if (strcmp(stopped, "deadline") == 0)
                fprintf(diag, "vmsweep plot: gnuplot did not finish '%s/%s' within %g s: stopped\n",
                        dir, script, plotgen_timeout_ms / 1000.0);
            else
                fprintf(diag, "vmsweep plot: interrupted: gnuplot stopped\n");
        }
        goto cleanup;
    }
    pid = -1;
    /* The log is kept also when gnuplot failed: it says why.  Failing to keep it is not
     * worth failing the plots for (fsutil has reported it). */
    if (logfd >= 0)
        fsutil_atomic_commit(&log);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (diag)
            fprintf(diag,
                    "vmsweep plot: gnuplot failed on '%s/%s' (%s %d; see gnuplot.log there)\n", dir,
                    script, WIFEXITED(status) ? "exit status" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        goto cleanup;
    }
    ret = 0;
    goto cleanup;
oom:
    if (diag)
        fprintf(diag, "vmsweep plot: out of memory while starting gnuplot\n");
cleanup:
    if (pid > 0) {
        kill(-pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    fsutil_atomic_end(&log);
    free(logpath);
    free(eopt);
    return ret;
}
