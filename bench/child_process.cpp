#include "bench/child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ledgerflow {

namespace {

std::string name_of(const std::string& assignment) {
  return assignment.substr(0, assignment.find('='));
}

// This process's environment with `overrides` replacing or adding variables.
std::vector<std::string> merged_environment(const std::vector<std::string>& overrides) {
  std::vector<std::string> merged;
  for (char** variable = environ; *variable; ++variable) {
    std::string assignment = *variable;
    bool overridden = false;
    for (const auto& override_assignment : overrides)
      overridden = overridden || name_of(override_assignment) == name_of(assignment);
    if (!overridden)
      merged.push_back(std::move(assignment));
  }
  merged.insert(merged.end(), overrides.begin(), overrides.end());
  return merged;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& text : strings)
    pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

child_process::child_process(std::vector<std::string> argv, const std::vector<std::string>& environment,
                             std::string log_path)
    : log_path_(std::move(log_path)) {
  auto env = merged_environment(environment);
  auto argv_pointers = pointers_to(argv);
  auto env_pointers = pointers_to(env);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  int failed = posix_spawnp(&pid_, argv[0].c_str(), &actions, nullptr, argv_pointers.data(), env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(failed));
  }
}

child_process::~child_process() {
  stop();
}

bool child_process::running() {
  if (pid_ <= 0)
    return false;
  int status = 0;
  auto reaped = waitpid(pid_, &status, WNOHANG);
  if (reaped == 0)
    return true;
  if (reaped == pid_) {
    if (WIFEXITED(status))
      exit_reason_ = "exited with status " + std::to_string(WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
      exit_reason_ = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  pid_ = -1;
  return false;
}

bool child_process::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_file(log_path_).find(needle) != std::string::npos)
      return true;
    if (!running())
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  exit_reason_ = "no \"" + needle + "\" in its log within " + std::to_string(timeout.count()) + " ms";
  return false;
}

std::string child_process::log_tail(size_t bytes) const {
  auto text = read_file(log_path_);
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

void child_process::stop(std::chrono::milliseconds grace) {
  if (!running())
    return;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running())
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  exit_reason_ = "killed after not stopping within " + std::to_string(grace.count()) + " ms";
  pid_ = -1;
}

size_t raise_open_files_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return static_cast<size_t>(limit.rlim_cur);
}

uint16_t free_loopback_port() {
  int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (socket_fd < 0)
    throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(socket_fd);
    throw std::runtime_error("cannot find a free port: " + std::string(std::strerror(errno)));
  }
  close(socket_fd);
  return ntohs(address.sin_port);
}

} // namespace ledgerflow
