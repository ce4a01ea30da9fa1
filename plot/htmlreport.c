/* htmlreport — see htmlreport.h. */
#include "htmlreport.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"

static void base64(FILE *f, const unsigned char *p, size_t n)
{
    static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        fputc(tb[(v >> 18) & 63], f);
        fputc(tb[(v >> 12) & 63], f);
        fputc(i + 1 < n ? tb[(v >> 6) & 63] : '=', f);
        fputc(i + 2 < n ? tb[v & 63] : '=', f);
    }
}

static void knee_cell(FILE *f, uint64_t n)
{
    if (n)
        fprintf(f, "<td>%llu</td>", (unsigned long long)n);
    else
        fputs("<td>none</td>", f);
}

int htmlreport_write(FILE *f, const struct analysis *a, const char *dir, enum plotgen_format fmt,
                     const char *const *plots, size_t n_plots, const char *note, FILE *diag)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>vmsweep report</title>\n<style>\n"
          "body{font-family:sans-serif;margin:2em;max-width:1100px}\n"
          "table{border-collapse:collapse;margin:1em 0}\n"
          "td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}\n"
          "th{background:#eee}td.l{text-align:left}\nimg{max-width:100%;border:1px solid #ddd}\n"
          ".warn{color:#a40}\n</style></head><body>\n<h1>vmsweep report</h1>\n",
          f);
    /* How the guest ran, before any number: emulated numbers must not pass for native. */
    if (a->accel && strcmp(a->accel, "tcg") == 0)
        fputs("<p class=\"warn\" id=\"accel\">Accelerator: <b>TCG</b> &mdash; the guest's CPU was "
              "emulated: compare ratios and shapes, not absolute numbers, with native "
              "hardware.</p>\n",
              f);
    else if (a->accel && strcmp(a->accel, "kvm") == 0)
        fputs("<p id=\"accel\">Accelerator: <b>KVM</b> (hardware virtualisation).</p>\n", f);
    else
        fputs("<p id=\"accel\">Accelerator: unknown (no run manifest beside the CSV).</p>\n", f);
    fputs("<h2>Knees</h2>\n<table><tr><th>plan</th><th>vCPUs</th><th>knee</th>"
          "<th>recommended</th>",
          f);
    for (int m = 0; m < KNEE_NMETHODS; m++)
        fprintf(f, "<th>%s</th>", knee_methods[m].column);
    fputs("<th>USL N*</th><th>USL &sigma;</th><th>USL &kappa;</th><th>USL R&sup2;</th>"
          "<th>max qps</th></tr>\n",
          f);
    for (size_t i = 0; i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        fputs("<tr><td class=\"l\">", f);
        outfile_xml_escape(f, g->plan);
        fprintf(f, "</td><td>%llu</td>", (unsigned long long)g->vcpus);
        knee_cell(f, g->knee);
        if (g->has_recommended)
            fprintf(f, "<td>%llu&ndash;%llu</td>", (unsigned long long)g->rec_low,
                    (unsigned long long)g->rec_high);
        else
            fputs("<td>none</td>", f);
        for (int m = 0; m < KNEE_NMETHODS; m++)
            knee_cell(f, g->knees[m]);
        if (g->has_usl) {
            if (isfinite(g->usl.n_star))
                fprintf(f, "<td>%.1f</td>", g->usl.n_star);
            else
                fputs("<td>none</td>", f);
            fprintf(f, "<td>%.4f</td><td>%.4g</td><td>%.4f</td>", g->usl.sigma, g->usl.kappa,
                    g->usl.r2);
        } else {
            fputs("<td colspan=\"4\">not fitted</td>", f);
        }
        fprintf(f, "<td>%.1f</td></tr>\n", g->max_qps);
    }
    fputs("</table>\n", f);
    if (a->slo_p99_us > 0)
        fprintf(f, "<p>Recommendations are capped by the p99 SLO of %.0f&nbsp;&micro;s.</p>\n",
                a->slo_p99_us);

    if (a->n_scaling) {
        fputs("<h2>Scaling efficiency</h2>\n<table><tr><th>plan</th><th>vCPUs</th>"
              "<th>max qps 1</th><th>max qps 2</th><th>speedup</th><th>efficiency</th></tr>\n",
              f);
        for (size_t i = 0; i < a->n_scaling; i++) {
            const struct analysis_scaling *s = &a->scaling[i];
            fputs("<tr><td class=\"l\">", f);
            outfile_xml_escape(f, s->plan);
            fprintf(f,
                    "</td><td>%llu&rarr;%llu</td><td>%.1f</td><td>%.1f</td><td>%.2f&times;</td>"
                    "<td>%.2f</td></tr>\n",
                    (unsigned long long)s->v1, (unsigned long long)s->v2, s->qps1, s->qps2,
                    s->speedup, s->efficiency);
        }
        fputs("</table>\n", f);
    }

    fputs("<h2>Plots</h2>\n", f);
    if (n_plots == 0) {
        fputs("<p class=\"warn\">No plots: ", f);
        outfile_xml_escape(f, note ? note : "they were not rendered");
        fputs("</p>\n", f);
    }
    for (size_t i = 0; i < n_plots; i++) {
        char *data = NULL;
        size_t len = 0;
        if (outfile_slurp(dir, plots[i], OUTFILE_MAX_SLURP, &data, &len, diag) < 0)
            return -1;
        fputs("<p><img alt=\"", f);
        outfile_xml_escape(f, plots[i]);
        fprintf(f, "\" src=\"data:image/%s;base64,", fmt == PLOTGEN_SVG ? "svg+xml" : "png");
        base64(f, (const unsigned char *)data, len);
        fputs("\"></p>\n", f);
        free(data);
    }

    for (size_t i = 0; i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        fputs("<h2>", f);
        outfile_xml_escape(f, g->plan);
        fprintf(f, " on %llu vCPUs</h2>\n", (unsigned long long)g->vcpus);
        fputs("<table><tr><th>concurrency</th><th>qps</th><th>min</th><th>max</th><th>CV</th>"
              "<th>p50 &micro;s</th><th>p90 &micro;s</th><th>p99 &micro;s</th><th>runs</th>"
              "<th>timeouts</th><th>outliers</th></tr>\n",
              f);
        for (size_t j = 0; j < g->n_levels; j++) {
            const struct analysis_level *l = &g->levels[j];
            fprintf(f, "<tr><td>%llu</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>",
                    (unsigned long long)l->concurrency, l->qps, l->qps_min, l->qps_max);
            if (isfinite(l->qps_cv))
                fprintf(f, "<td>%.1f%%</td>", l->qps_cv * 100);
            else
                fputs("<td>-</td>", f);
            fprintf(f,
                    "<td>%.0f</td><td>%.0f</td><td>%.0f</td><td>%zu</td><td>%zu</td>"
                    "<td>%zu</td></tr>\n",
                    l->p50_us, l->p90_us, l->p99_us, l->runs, l->timeouts, l->outliers);
        }
        fputs("</table>\n", f);
        if (g->n_warnings) {
            fputs("<ul class=\"warn\">\n", f);
            for (size_t j = 0; j < g->n_warnings; j++) {
                fputs("<li>", f);
                outfile_xml_escape(f, g->warnings[j]);
                fputs("</li>\n", f);
            }
            fputs("</ul>\n", f);
        }
    }
    fputs("</body></html>\n", f);
    fflush(f);
    return ferror(f) ? -1 : 0;
}
