#include "tests/support/fake_provider_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "tests/support/http_client.hpp"

extern char** environ;

namespace ledgerflow::testing {

namespace {

constexpr auto start_timeout = std::chrono::seconds(10);
constexpr auto stop_timeout = std::chrono::seconds(5);

// Whether the child has exited (and is reaped) within `wait`.
bool exited_within(pid_t pid, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  do {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

uint16_t read_port(const std::string& port_file) {
  std::ifstream in(port_file);
  unsigned port = 0;
  return (in >> port) && port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
}

} // namespace

std::string fake_provider_process::script_path() {
  if (const char* configured = std::getenv("LEDGERFLOW_FAKE_PROVIDER"))
    return configured;
  // This file is tests/support/fake_provider_process.cpp of the source tree.
  auto root = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  return (root / "scripts" / "fake_provider.py").string();
}

fake_provider_process::fake_provider_process(const std::vector<std::string>& arguments) {
  auto port_file = directory_.file("port");
  std::vector<std::string> command = {"python3", script_path(), "--port", "0", "--port-file", port_file};
  command.insert(command.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& argument : command)
    argv.push_back(argument.data());
  argv.push_back(nullptr);

  // Its "listening on" line would only clutter the test output.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  int spawned = ::posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    throw std::runtime_error("cannot start python3 " + script_path());

  auto deadline = std::chrono::steady_clock::now() + start_timeout;
  while ((port_ = read_port(port_file)) == 0) {
    if (exited_within(pid_, std::chrono::milliseconds(20))) {
      pid_ = -1;
      throw std::runtime_error("the fake provider exited at start: " + script_path());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      exited_within(pid_, stop_timeout);
      pid_ = -1;
      throw std::runtime_error("the fake provider did not start listening within 10 s");
    }
  }
}

fake_provider_process::~fake_provider_process() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGTERM);
  if (!exited_within(pid_, stop_timeout)) {
    ::kill(pid_, SIGKILL);
    exited_within(pid_, stop_timeout);
  }
}

nlohmann::json fake_provider_process::control(const std::string& method, const std::string& target,
                                              const std::string& body) {
  http_client client(port_);
  auto reply = method == "GET" ? client.get(target) : client.post(target, body);
  if (reply.status != 200)
    throw std::runtime_error("fake provider " + method + " " + target + " answered " + std::to_string(reply.status)
                             + " " + reply.body + reply.transport_error);
  return reply.json();
}

void fake_provider_process::set_mode(const nlohmann::json& mode) {
  control("POST", "/_fake/mode", mode.dump());
}

void fake_provider_process::reset() {
  control("POST", "/_fake/reset", "{}");
}

nlohmann::json fake_provider_process::calls() {
  return control("GET", "/_fake/calls", "")["calls"];
}

nlohmann::json fake_provider_process::side_effects() {
  return control("GET", "/_fake/side_effects", "");
}

nlohmann::json fake_provider_process::connections() {
  return control("GET", "/_fake/connections", "");
}

} // namespace ledgerflow::testing
