/*
 * comparejunit — see comparejunit.h.  Test case names are stable across runs
 * ("qps c=8", "slo p99_us<=2000 c=32") so CI systems can track them over time; the
 * class name groups them by plan and VM size.
 */
#include "comparejunit.h"

#include <stdio.h>

#include "outfile.h"

static void open_case(FILE *f, const char *plan, unsigned long long vcpus, const char *name)
{
    fputs("  <testcase classname=\"vmsweep.compare.", f);
    outfile_xml_escape(f, plan);
    fprintf(f, ".vcpus%llu\" name=\"", vcpus);
    outfile_xml_escape(f, name);
    fputs("\" time=\"0\"", f);
}

static void child(FILE *f, const char *tag, const char *type, const char *msg)
{
    fprintf(f, "    <%s", tag);
    if (type)
        fprintf(f, " type=\"%s\"", type);
    fputs(" message=\"", f);
    outfile_xml_escape(f, msg);
    fputs("\">", f);
    outfile_xml_escape(f, msg);
    fprintf(f, "</%s>\n", tag);
}

/* A test case for one verdict: a failure, skipped when inconclusive, else passed. */
static void verdict_case(FILE *f, const char *plan, unsigned long long vcpus, const char *name,
                         enum compare_verdict v, const char *detail)
{
    open_case(f, plan, vcpus, name);
    if (v == COMPARE_REGRESSED) {
        fputs(">\n", f);
        child(f, "failure", "regression", detail);
        fputs("  </testcase>\n", f);
    } else if (v == COMPARE_INCONCLUSIVE) {
        fputs(">\n    <skipped message=\"", f);
        outfile_xml_escape(f, detail);
        fputs("\"/>\n  </testcase>\n", f);
    } else {
        fputs(">\n    <system-out>", f);
        outfile_xml_escape(f, detail);
        fputs("</system-out>\n  </testcase>\n", f);
    }
}

int comparejunit_write(FILE *f, const struct comparereport *r)
{
    const struct compare_result *c = r->cmp;
    size_t tests = c->n_levels + c->n_knees + (r->n_warnings ? 1 : 0);
    size_t failures = c->n_regressed, skipped = c->n_inconclusive;
    char detail[640], name[COMPARESLO_TEXT_MAX + 64];

    for (size_t i = 0; i < c->n_curves; i++) {
        tests += c->curves[i].tested;
        failures += c->curves[i].tested && c->curves[i].est.verdict == COMPARE_REGRESSED;
        skipped += c->curves[i].tested && c->curves[i].est.verdict == COMPARE_INCONCLUSIVE;
    }

    if (r->slo) {
        tests += r->slo->n;
        failures += r->slo->n_violated;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fputs("<testsuite name=\"vmsweep compare ", f);
    outfile_xml_escape(f, r->base_name);
    fputs(" vs ", f);
    outfile_xml_escape(f, r->cur_name);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"0\">\n",
            tests, failures, skipped);
    fputs("  <properties>\n    <property name=\"metric\" value=\"", f);
    outfile_xml_escape(f, compare_metric_name(c->metric));
    fprintf(f, "\"/>\n    <property name=\"alpha\" value=\"%g\"/>\n", r->alpha);
    fprintf(f, "    <property name=\"threshold_pct\" value=\"%g\"/>\n", r->threshold * 100);
    fprintf(f, "    <property name=\"exit_status\" value=\"%d\"/>\n  </properties>\n",
            (int)r->status);
    if (r->n_warnings) {
        fputs("  <testcase classname=\"vmsweep.compare\" name=\"comparability\" time=\"0\">\n"
              "    <system-out>",
              f);
        for (size_t i = 0; i < r->n_warnings; i++) {
            fputs("NOT COMPARABLE: ", f);
            outfile_xml_escape(f, r->warnings[i]);
            fputs("&#10;", f);
        }
        fputs("</system-out>\n  </testcase>\n", f);
    }
    for (size_t i = 0; i < c->n_levels; i++) {
        const struct compare_level *l = &c->levels[i];
        snprintf(name, sizeof(name), "%s c=%llu", compare_metric_name(c->metric),
                 (unsigned long long)l->concurrency);
        comparereport_level_detail(l, c->metric, r->threshold, r->alpha, detail, sizeof(detail));
        verdict_case(f, l->plan, (unsigned long long)l->vcpus, name, l->est.verdict, detail);
    }
    for (size_t i = 0; i < c->n_curves; i++) {
        const struct compare_curve *cv = &c->curves[i];
        if (!cv->tested)
            continue;
        snprintf(name, sizeof(name), "%s whole curve", compare_metric_name(c->metric));
        comparereport_change_detail(&cv->est, c->metric, r->threshold, r->alpha, detail,
                                    sizeof(detail));
        verdict_case(f, cv->plan, (unsigned long long)cv->vcpus, name, cv->est.verdict, detail);
    }
    for (size_t i = 0; r->slo && i < r->slo->n; i++) {
        const struct compareslo_check *s = &r->slo->checks[i];
        snprintf(name, sizeof(name), "slo %s c=%llu", s->gate, (unsigned long long)s->concurrency);
        comparereport_slo_detail(s, detail, sizeof(detail));
        open_case(f, s->plan, (unsigned long long)s->vcpus, name);
        fputs(">\n", f);
        if (s->violated) {
            child(f, "failure", "slo", detail);
        } else {
            fputs("    <system-out>", f);
            outfile_xml_escape(f, detail);
            fputs("</system-out>\n", f);
        }
        fputs("  </testcase>\n", f);
    }
    for (size_t i = 0; i < c->n_knees; i++) {
        const struct compare_knee *k = &c->knees[i];
        snprintf(detail, sizeof(detail), "knee moved %llu -> %llu%s (0: no knee)",
                 (unsigned long long)k->knee_base, (unsigned long long)k->knee_cur,
                 k->lower ? ": CURRENT saturates at a lower concurrency" : "");
        open_case(f, k->plan, (unsigned long long)k->vcpus, "knee");
        fputs(">\n    <system-out>", f);
        outfile_xml_escape(f, detail);
        fputs("</system-out>\n  </testcase>\n", f);
    }
    fputs("</testsuite>\n", f);
    return ferror(f) ? -1 : 0;
}
