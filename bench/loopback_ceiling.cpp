#include "bench/loopback_ceiling.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ledgerflow {

namespace {

using steady = std::chrono::steady_clock;

// Messages sent but not yet received at most: enough to keep both threads busy, few enough
// that no socket buffer fills and blocks the sender on one connection.
constexpr size_t in_flight_max = 20'000;

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("loopback ceiling: ") + what + ": " + std::strerror(errno));
}

double process_cpu_now_s() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Descriptors closed on every path out.
struct socket_set {
  std::vector<int> fds;
  ~socket_set() {
    for (int fd : fds)
      close(fd);
  }
  int keep(int fd) {
    if (fd < 0)
      fail("socket");
    fds.push_back(fd);
    return fd;
  }
};

} // namespace

loopback_ceiling_figures measure_loopback_ceiling(size_t connections, size_t message_bytes, size_t messages_per_send,
                                                  double duration_s) {
  socket_set sockets;
  int listener = sockets.keep(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || listen(listener, 4096) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    fail("listen");
  std::vector<int> senders, receivers;
  for (size_t index = 0; index < connections; ++index) {
    int receiver = sockets.keep(socket(AF_INET, SOCK_STREAM, 0));
    if (connect(receiver, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0)
      fail("connect");
    int sender = sockets.keep(accept(listener, nullptr, nullptr));
    int one = 1;
    setsockopt(sender, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // as a WebSocket server sets it
    fcntl(receiver, F_SETFL, O_NONBLOCK);
    senders.push_back(sender);
    receivers.push_back(receiver);
  }
  int poller = sockets.keep(epoll_create1(0));
  for (int receiver : receivers) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = receiver;
    epoll_ctl(poller, EPOLL_CTL_ADD, receiver, &event);
  }
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> received_bytes{0};
  std::thread receiver_thread([&] {
    std::vector<epoll_event> ready(1024);
    std::vector<char> buffer(64 * 1024);
    uint64_t bytes = 0;
    while (!stopping.load(std::memory_order_relaxed)) {
      int count = epoll_wait(poller, ready.data(), static_cast<int>(ready.size()), 50);
      for (int index = 0; index < count; ++index)
        for (ssize_t got; (got = recv(ready[index].data.fd, buffer.data(), buffer.size(), 0)) > 0;)
          bytes += static_cast<uint64_t>(got);
      received_bytes.store(bytes, std::memory_order_relaxed);
    }
  });
  std::vector<char> message(message_bytes * messages_per_send, 'x');
  uint64_t sent_messages = 0;
  auto cpu_before = process_cpu_now_s();
  auto started = steady::now();
  auto deadline = started + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(duration_s));
  while (steady::now() < deadline)
    for (size_t index = 0; index < senders.size(); ++index) {
      while (sent_messages - received_bytes.load(std::memory_order_relaxed) / message_bytes > in_flight_max)
        std::this_thread::yield();
      if (send(senders[index], message.data(), message.size(), 0) == static_cast<ssize_t>(message.size()))
        sent_messages += messages_per_send;
    }
  auto elapsed = std::chrono::duration<double>(steady::now() - started).count();
  auto received_messages = static_cast<double>(received_bytes.load() / message_bytes);
  auto cpu_used = process_cpu_now_s() - cpu_before;  // the bench's other threads are idle now
  stopping = true;
  receiver_thread.join();
  loopback_ceiling_figures figures;
  figures.connections = connections;
  figures.message_bytes = message_bytes;
  figures.messages_per_send = messages_per_send;
  figures.messages_per_s = received_messages / elapsed;
  figures.cpu_us_per_message = received_messages > 0 ? cpu_used * 1e6 / received_messages : 0;
  return figures;
}

} // namespace ledgerflow
