// CPU time of this process's threads, summed by thread name (Linux /proc/self/task), so a
// benchmark can say where a transfer's CPU goes: the CAF scheduler threads (account actors,
// finishers, the bench's own clients), the journal writer, the index merger. CPU time per
// operation holds up better than throughput on a shared machine, where other tenants take
// cores away from the run.
#pragma once

#include <map>
#include <string>

namespace ledgerflow {

// Thread name -> CPU seconds (user + system) used so far by the live threads of that name.
using thread_cpu_seconds = std::map<std::string, double>;

thread_cpu_seconds sample_thread_cpu();

// `after` minus `before`, by name (a thread that ended in between is not counted).
thread_cpu_seconds thread_cpu_between(const thread_cpu_seconds& before, const thread_cpu_seconds& after);

} // namespace ledgerflow
