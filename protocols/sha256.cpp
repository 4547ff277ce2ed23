#include "protocols/sha256.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <openssl/evp.h>

#include "protocols/hex.hpp"

namespace ledgerflow {

namespace {

struct digest_algorithm_deleter {
  void operator()(EVP_MD* algorithm) const { EVP_MD_free(algorithm); }
};

struct digest_context_deleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

const EVP_MD* sha256_algorithm() {
  static const std::unique_ptr<EVP_MD, digest_algorithm_deleter> algorithm{EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  return algorithm.get();
}

EVP_MD_CTX* thread_digest_context() {
  thread_local const std::unique_ptr<EVP_MD_CTX, digest_context_deleter> context{EVP_MD_CTX_new()};
  return context.get();
}

} // namespace

std::string sha256_hex(std::string_view bytes) {
  const auto* algorithm = sha256_algorithm();
  auto* context = thread_digest_context();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // SHA-256 is in OpenSSL's default provider, so only a broken installation or exhausted
  // memory can fail here; no caller could do anything sensible with a missing hash.
  if (algorithm == nullptr || context == nullptr || EVP_DigestInit_ex(context, algorithm, nullptr) != 1
      || EVP_DigestUpdate(context, bytes.data(), bytes.size()) != 1 || EVP_DigestFinal_ex(context, digest, &size) != 1) {
    std::fputs("sha256: OpenSSL cannot compute a SHA-256 digest\n", stderr);
    std::abort();
  }
  return to_hex(digest, size);
}

} // namespace ledgerflow
