/*
 * comparejunit — `vmsweep compare` as JUnit XML, the report format CI systems (GitHub
 * Actions test reporters, GitLab `artifacts:reports:junit`, Jenkins) understand: one
 * <testsuite> with name, tests, failures, errors and skipped attributes; one <testcase>
 * per compared level, per SLO check, per knee move and for comparability; <failure> for
 * regressions and SLO violations, <skipped> for inconclusive levels.  Every text is
 * XML-escaped, and characters XML 1.0 cannot hold are replaced by '?'.
 */
#ifndef VMSWEEP_COMPAREJUNIT_H
#define VMSWEEP_COMPAREJUNIT_H

#include <stdio.h>

#include "comparereport.h"

/* Write the XML document for r to f; -1 when a write fails. */
int comparejunit_write(FILE *f, const struct comparereport *r);

#endif
