#include "bench/proc_stats.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace ledgerflow {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

double ticks_to_seconds(unsigned long long ticks) {
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// utime + stime of a /proc/.../stat line. The command name (field 2) is in parentheses and
// may hold spaces, so fields are counted from after it.
double stat_cpu_seconds(const std::string& stat) {
  auto after_name = stat.rfind(')');
  if (after_name == std::string::npos || after_name + 2 > stat.size())
    return 0;
  std::istringstream fields(stat.substr(after_name + 2));
  std::string field;
  unsigned long long user_ticks = 0, system_ticks = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14)
      user_ticks = std::stoull(field);
    if (index == 15)
      system_ticks = std::stoull(field);
  }
  return ticks_to_seconds(user_ticks + system_ticks);
}

} // namespace

size_t process_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoul(line.substr(6));
  return 0;
}

double process_cpu_seconds(pid_t pid) {
  return stat_cpu_seconds(read_file("/proc/" + std::to_string(pid) + "/stat"));
}

thread_cpu_seconds process_thread_cpu_seconds(pid_t pid) {
  thread_cpu_seconds by_name;
  std::error_code ignored;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ignored)) {
    auto name = read_file(task.path().string() + "/comm");
    while (!name.empty() && (name.back() == '\n' || name.back() == ' '))
      name.pop_back();
    by_name[name] += stat_cpu_seconds(read_file(task.path().string() + "/stat"));
  }
  return by_name;
}

machine_cpu_seconds machine_cpu() {
  std::istringstream stat(read_file("/proc/stat"));
  std::string label;
  stat >> label;  // "cpu": the sum over all cores
  std::vector<unsigned long long> ticks;
  unsigned long long value = 0;
  while (ticks.size() < 8 && stat >> value)
    ticks.push_back(value);
  ticks.resize(8, 0);
  // user nice system idle iowait irq softirq steal
  return {ticks_to_seconds(ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]), ticks_to_seconds(ticks[7])};
}

} // namespace ledgerflow
