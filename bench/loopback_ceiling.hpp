// What this machine's loopback TCP can carry when every message is its own send() to one of
// many connections, the way a server pushes one event to many subscribers: one thread sends
// fixed-size messages round-robin over the connections, another receives them with epoll. No
// WebSocket, no JSON, no application work: a ceiling for any server that writes once per
// delivery, measured in the same run as `bench push` so the two can be compared (on a VM,
// syscalls and the loopback's softirq work cost several times what they do on bare metal).
#pragma once

#include <cstddef>

namespace ledgerflow {

struct loopback_ceiling_figures {
  size_t connections = 0;
  size_t message_bytes = 0;
  size_t messages_per_send = 0;
  double messages_per_s = 0;
  double cpu_us_per_message = 0;  // this process's CPU (both threads, kernel included)
};

// Opens `connections` loopback pairs (two descriptors each), measures for `duration_s`,
// closes them. Throws std::runtime_error when a socket cannot be opened.
loopback_ceiling_figures measure_loopback_ceiling(size_t connections, size_t message_bytes, size_t messages_per_send,
                                                  double duration_s);

} // namespace ledgerflow
