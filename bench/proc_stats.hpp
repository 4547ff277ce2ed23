// What /proc says about a process and the machine, for benchmarks that measure a server in
// another process: resident memory, CPU time by process and by thread name, and the CPU the
// whole machine used (on a shared machine, what other tenants took matters to the figures).
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "bench/thread_cpu.hpp"

namespace ledgerflow {

// VmRSS of a process in KiB (/proc/PID/status); 0 when it cannot be read.
size_t process_rss_kib(pid_t pid);
// User + system CPU seconds a process has used (/proc/PID/stat), all its threads.
double process_cpu_seconds(pid_t pid);
// CPU seconds of each of a process's threads, summed by thread name (/proc/PID/task/*/), as
// sample_thread_cpu() does for this process; subtract two readings with thread_cpu_between().
thread_cpu_seconds process_thread_cpu_seconds(pid_t pid);
// CPU seconds of all cores since boot (/proc/stat): busy (user, nice, system, irq, softirq)
// and stolen (the hypervisor ran something else while this machine wanted the core).
struct machine_cpu_seconds {
  double busy = 0;
  double steal = 0;
};
machine_cpu_seconds machine_cpu();

} // namespace ledgerflow
