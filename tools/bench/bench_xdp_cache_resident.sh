#!/usr/bin/env bash
# The same per-packet benchmark with a 16,384-flow connection table (1 MiB,
# inside the CPU caches).  Katran's bare datapath, as benchmarked with
# BPF_PROG_TEST_RUN, falls back to a 1,000-entry LRU, so this is the
# like-for-like comparison for its figures; the default-size run shows what
# DRAM latency adds for a table of a million flows.
set -euo pipefail
exec "${XLB_BUILD:-build}/bench/bench_xdp" --conntrack 16384
