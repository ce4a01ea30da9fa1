#!/bin/sh
# A user benchmark for the cmd workload that crashes the guest kernel at concurrency 4
# (fault tests): levels 1 and 2 complete first.
if [ "$1" = 4 ]; then
	sync
	echo c >/proc/sysrq-trigger
	sleep 60
fi
echo '{"qps": 1000, "p50_us": 900, "p90_us": 1000, "p99_us": 1200, "max_us": 1500}'
