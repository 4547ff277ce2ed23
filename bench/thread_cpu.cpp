#include "bench/thread_cpu.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace ledgerflow {

namespace {

std::string read_first_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// utime + stime in clock ticks from a /proc/<pid>/task/<tid>/stat line: fields 14 and 15,
// counted after the ")" that ends the (free-form) command name.
double cpu_ticks_of(const std::string& stat) {
  auto name_end = stat.rfind(')');
  if (name_end == std::string::npos)
    return 0;
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  double ticks = 0;
  for (int index = 3; index <= 15 && (fields >> field); ++index)
    if (index >= 14)
      ticks += std::stod(field);
  return ticks;
}

} // namespace

thread_cpu_seconds sample_thread_cpu() {
  thread_cpu_seconds seconds;
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ignored;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ignored)) {
    auto name = read_first_line(task.path() / "comm");
    auto stat = read_first_line(task.path() / "stat");
    if (name.empty() || stat.empty())
      continue;  // the thread ended while we looked
    seconds[name] += cpu_ticks_of(stat) / ticks_per_second;
  }
  return seconds;
}

thread_cpu_seconds thread_cpu_between(const thread_cpu_seconds& before, const thread_cpu_seconds& after) {
  thread_cpu_seconds used;
  for (const auto& [name, total] : after) {
    auto earlier = before.find(name);
    auto delta = total - (earlier == before.end() ? 0.0 : earlier->second);
    if (delta > 0)
      used[name] = delta;
  }
  return used;
}

} // namespace ledgerflow
