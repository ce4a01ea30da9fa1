/* htmlreport — see htmlreport.h. */
#include "htmlreport.h"
#include "sizing.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

#define HTMLREPORT_MAX_FILES 200 /* links listed at most (a run dir has tens) */

/* The string at key of o, or NULL. */
static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* One row of the context table: th, then the escaped parts (NULLs skipped). */
static void ctx_row(FILE *f, const char *th, const char *a, const char *b, const char *c)
{
    if (!a && !b && !c)
        return;
    fprintf(f, "<tr><th>%s</th><td class=\"l\">", th);
    outfile_xml_escape(f, a ? a : "");
    outfile_xml_escape(f, b ? b : "");
    outfile_xml_escape(f, c ? c : "");
    fputs("</td></tr>\n", f);
}

/* A file name as a relative link: percent-encoded, then XML-escaped. */
static void file_link(FILE *f, const char *rel)
{
    fputs("<li><a href=\"", f);
    for (const unsigned char *p = (const unsigned char *)rel; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-_./", *p))
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
    fputs("\">", f);
    outfile_xml_escape(f, rel);
    fputs("</a></li>\n", f);
}

/* Every regular file of dir and of its subfolders one level down, as links. */
static void file_list(FILE *f, const char *dir)
{
    struct dirent **top = NULL;
    int n = scandir(dir, &top, NULL, alphasort);
    size_t shown = 0;

    fputs("<h2>Files</h2>\n<ul class=\"files\">\n", f);
    for (int i = 0; i < n; i++) {
        char *path = NULL;
        struct stat st;
        if (top[i]->d_name[0] != '.' && asprintf(&path, "%s/%s", dir, top[i]->d_name) >= 0 &&
            lstat(path, &st) == 0) {
            if (S_ISREG(st.st_mode) && shown++ < HTMLREPORT_MAX_FILES) {
                file_link(f, top[i]->d_name);
            } else if (S_ISDIR(st.st_mode)) {
                struct dirent **sub = NULL;
                int m = scandir(path, &sub, NULL, alphasort);
                for (int j = 0; j < m; j++) {
                    char *rel = NULL, *sp = NULL;
                    if (sub[j]->d_name[0] != '.' &&
                        asprintf(&rel, "%s/%s", top[i]->d_name, sub[j]->d_name) >= 0 &&
                        asprintf(&sp, "%s/%s", dir, rel) >= 0 && lstat(sp, &st) == 0 &&
                        S_ISREG(st.st_mode) && shown++ < HTMLREPORT_MAX_FILES)
                        file_link(f, rel);
                    free(rel);
                    free(sp);
                    free(sub[j]);
                }
                free(sub);
            }
        }
        free(path);
        free(top[i]);
    }
    free(top);
    if (shown > HTMLREPORT_MAX_FILES)
        fprintf(f, "<li>... and %zu more</li>\n", shown - HTMLREPORT_MAX_FILES);
    fputs("</ul>\n", f);
}

/* What ran where and when, and the verdicts, from the run's manifest. */
static void run_context(FILE *f, const cJSON *m)
{
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(m, "host");
    const cJSON *image = cJSON_GetObjectItemCaseSensitive(m, "image");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(m, "spec");
    const cJSON *vm = cJSON_GetObjectItemCaseSensitive(spec, "vm");
    const cJSON *slo = cJSON_GetObjectItemCaseSensitive(m, "slo_checks");
    const cJSON *ab = cJSON_GetObjectItemCaseSensitive(m, "ab_verdicts");
    const cJSON *it;
    char buf[256], sha[16] = "";

    fputs("<h2>Run</h2>\n<table class=\"ctx\">\n", f);
    ctx_row(f, "started", jstr(m, "started"), jstr(m, "finished") ? " \u2192 " : NULL,
            jstr(m, "finished"));
    ctx_row(f, "host", jstr(host, "hostname"), jstr(host, "cpu_model") ? ": " : NULL,
            jstr(host, "cpu_model"));
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(host, "online_cpus"))) {
        const cJSON *load = cJSON_GetObjectItemCaseSensitive(host, "loadavg");
        const cJSON *mem = cJSON_GetObjectItemCaseSensitive(host, "mem_total_kb");
        int n = snprintf(buf, sizeof buf, "%d CPUs",
                         cJSON_GetObjectItemCaseSensitive(host, "online_cpus")->valueint);
        if (cJSON_IsNumber(mem) && n > 0 && (size_t)n < sizeof buf)
            n += snprintf(buf + n, sizeof buf - (size_t)n, ", %.1f GiB",
                          mem->valuedouble / 1048576.0);
        /* The load when the run started: a busy host makes numbers lie. */
        if (cJSON_GetArraySize(load) == 3 && n > 0 && (size_t)n < sizeof buf)
            snprintf(buf + n, sizeof buf - (size_t)n, ", load %.2f %.2f %.2f",
                     cJSON_GetArrayItem(load, 0)->valuedouble,
                     cJSON_GetArrayItem(load, 1)->valuedouble,
                     cJSON_GetArrayItem(load, 2)->valuedouble);
        ctx_row(f, "host CPUs", buf, NULL, NULL);
    }
    ctx_row(f, "accelerator", jstr(m, "accel"), jstr(m, "accel_reason") ? " \u2014 " : NULL,
            jstr(m, "accel_reason"));
    ctx_row(f, "guest CPU model", jstr(vm, "cpu_model"), NULL, NULL);
    if (jstr(image, "manifest_sha256"))
        snprintf(sha, sizeof sha, "%.12s", jstr(image, "manifest_sha256"));
    ctx_row(f, "image", jstr(image, "name"), sha[0] ? ", manifest sha256 " : NULL,
            sha[0] ? sha : NULL);
    ctx_row(f, "vmsweep", jstr(m, "vmsweep_version"), NULL, NULL);
    ctx_row(f, "QEMU, libvirt", jstr(m, "hypervisor_version"),
            jstr(m, "libvirt_version") ? ", " : NULL, jstr(m, "libvirt_version"));
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m, "exit_code"))) {
        snprintf(buf, sizeof buf, "%d", cJSON_GetObjectItemCaseSensitive(m, "exit_code")->valueint);
        ctx_row(f, "exit code", buf, NULL, NULL);
    }
    fputs("</table>\n", f);
    if (cJSON_IsArray(slo)) {
        int met = 0, bad = 0;
        cJSON_ArrayForEach(it, slo)
        {
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "violated")))
                bad++;
            else
                met++;
        }
        fprintf(f, "<p id=\"slo\"%s>SLO gates: %d check(s) met, %d violated.</p>\n",
                bad ? " class=\"warn\"" : "", met, bad);
        if (bad) {
            fputs("<ul class=\"warn\">\n", f);
            cJSON_ArrayForEach(it, slo)
            {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "value");
                const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "concurrency");
                if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "violated")))
                    continue;
                fputs("<li>", f);
                outfile_xml_escape(f, jstr(it, "gate") ? jstr(it, "gate") : "?");
                fputs(" violated by ", f);
                outfile_xml_escape(f, jstr(it, "plan") ? jstr(it, "plan") : "?");
                fprintf(f, " at concurrency %.0f: %.6g</li>\n",
                        cJSON_IsNumber(c) ? c->valuedouble : 0,
                        cJSON_IsNumber(v) ? v->valuedouble : 0);
            }
            fputs("</ul>\n", f);
        }
    }
    if (cJSON_IsArray(ab)) {
        fputs("<p id=\"ab\">A/B verdicts:</p>\n<ul>\n", f);
        cJSON_ArrayForEach(it, ab)
        {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(it, "compare_exit");
            int x = cJSON_IsNumber(e) ? e->valueint : -1;
            fputs("<li>", f);
            outfile_xml_escape(f, jstr(it, "dir") ? jstr(it, "dir") : "?");
            fprintf(f, ": %s (compare exit %d)</li>\n",
                    x == 0   ? "no regression"
                    : x == 3 ? "regression"
                    : x == 4 ? "inconclusive"
                             : "no verdict",
                    x);
        }
        fputs("</ul>\n", f);
    }
    if (cJSON_IsObject(spec)) {
        char *text = cJSON_Print(spec);
        fputs("<details><summary>The resolved spec (vmsweep run --replay DIR runs it "
              "again)</summary>\n<pre>",
              f);
        outfile_xml_escape(f, text ? text : "");
        fputs("</pre></details>\n", f);
        free(text);
    }
}

/* Right-sizing (sizing.h): the answer per plan, then each size's capacity within the SLO. */
static void sizing_table(FILE *f, const struct sizing *s)
{
    fputs("<h2>Right-sizing</h2>\n", f);
    for (size_t i = 0; i < s->n_plans; i++) {
        fputs("<p class=\"answer\">", f);
        outfile_xml_escape(f, s->plans[i].answer);
        fputs("</p>\n", f);
    }
    fputs("<table><tr><th>plan</th><th>vCPUs</th><th>capacity within the SLO (qps)</th>"
          "<th>interval</th><th>at N</th><th>how</th><th>limited by</th><th>verdict</th>",
          f);
    if (s->costed)
        fputs("<th>cost</th><th>cost per 1k qps</th>", f);
    fputs("</tr>\n", f);
    for (size_t i = 0; i < s->n_plans; i++)
        for (size_t k = 0; k < s->plans[i].n_sizes; k++) {
            const struct sizing_size *z = &s->plans[i].sizes[k];
            fputs("<tr><td class=\"l\">", f);
            outfile_xml_escape(f, s->plans[i].plan);
            fprintf(f,
                    "</td><td>%llu</td><td>%.1f</td><td>%.1f&ndash;%.1f</td><td>%.1f</td>"
                    "<td>%s</td><td>%s</td><td>%s</td>",
                    (unsigned long long)z->vcpus, z->capacity, z->capacity_lo, z->capacity_hi,
                    z->at, sizing_how_name(z->how), z->limit ? z->limit : "-",
                    z->verdict == SIZING_NO_TARGET ? "-" : sizing_verdict_name(z->verdict));
            if (s->costed)
                fprintf(f, "<td>%.4g</td><td>%.4g</td>", z->cost, z->cost_per_kqps);
            fputs("</tr>\n", f);
        }
    fputs("</table>\n<p>Capacity: the highest median qps with p99 within the SLO and errors "
          "within the budget, interpolated only between measured levels "
          "(docs/analysis.md, Right-sizing). Sizes beyond those swept are predictions.</p>\n",
          f);
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
          ".warn{color:#a40}\ntable.ctx th{text-align:left}\n"
          "@media print{body{margin:0;max-width:none}a{color:inherit}img{max-width:100%}}\n"
          "</style></head><body>\n<h1>vmsweep report</h1>\n",
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
    if (a->manifest)
        run_context(f, a->manifest);
    fputs("<h2>Knees</h2>\n<table><tr><th>plan</th><th>vCPUs</th><th>knee</th>"
          "<th>recommended</th><th>why</th><th>confidence</th>",
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
        if (g->has_recommended && g->rec_low == g->rec_high)
            fprintf(f, "<td>%llu</td><td class=\"l\">%s</td>", (unsigned long long)g->rec_low,
                    analysis_rec_text(g));
        else if (g->has_recommended)
            fprintf(f, "<td>%llu&ndash;%llu</td><td class=\"l\">%s</td>",
                    (unsigned long long)g->rec_low, (unsigned long long)g->rec_high,
                    analysis_rec_text(g));
        else
            fputs("<td>none</td><td></td>", f);
        fprintf(f, "<td%s>%s</td>", g->low_confidence ? " class=\"warn\"" : "",
                g->low_confidence ? "low (see warnings)" : "normal");
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

    if (a->sizing)
        sizing_table(f, a->sizing);

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
              "<th>timeouts</th><th>starved</th><th>outliers</th></tr>\n",
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
                    "<td>%zu</td><td>%zu</td></tr>\n",
                    l->p50_us, l->p90_us, l->p99_us, l->runs, l->timeouts, l->interfered,
                    l->outliers);
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
    if (dir)
        file_list(f, dir);
    fputs("</body></html>\n", f);
    fflush(f);
    return ferror(f) ? -1 : 0;
}
