#!/bin/sh
# A user benchmark for the cmd workload that hangs at concurrency 2 (fault tests).
[ "$1" = 2 ] && exec sleep 1000
echo '{"qps": 1000, "p50_us": 900, "p90_us": 1000, "p99_us": 1200, "max_us": 1500}'
