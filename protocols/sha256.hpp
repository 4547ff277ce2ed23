// SHA-256 of a short byte string, as lower-case hex. OpenSSL 3's one-shot SHA256() looks the
// algorithm up in its provider registry on every call (a lock and a hash lookup, ~5x the cost
// of hashing the ~70 bytes of a transfer request); this keeps one fetched algorithm for the
// process and one digest context per thread.
#pragma once

#include <string>
#include <string_view>

namespace ledgerflow {

std::string sha256_hex(std::string_view bytes);

} // namespace ledgerflow
