#include <doctest/doctest.h>

#include <thread>

#include "protocols/sha256.hpp"
#include "protocols/transfer.hpp"

using namespace ledgerflow;

TEST_CASE("sha256_hex gives the published digests of the standard test messages") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("sha256_hex reuses its context correctly, one after another and on several threads") {
  auto first = sha256_hex("abc");
  CHECK(sha256_hex("abcd") != first);
  CHECK(sha256_hex("abc") == first);
  std::string from_thread;
  std::thread([&] { from_thread = sha256_hex("abc"); }).join();
  CHECK(from_thread == first);
}

TEST_CASE("the request hash changes with every field of a transfer and not with its key") {
  transfer_request request{"key-1", "user:alice", "banking/USD", "user:bob", "banking/USD", 1250};
  auto hash = request_hash(request);
  // Stored records hold this hash: its canonical form ("fields\n...amount") must never change.
  CHECK(hash == "6dfae6885694295972307eed24d69d9c3ae711a5799ef7be7d20bb63dd4294a8");
  auto same_but_key = request;
  same_but_key.idempotency_key = "key-2";
  CHECK(request_hash(same_but_key) == hash);
  auto other_amount = request;
  other_amount.amount = 1251;
  CHECK(request_hash(other_amount) != hash);
  auto other_to = request;
  other_to.to_account = "user:carol";
  CHECK(request_hash(other_to) != hash);
  // Fields are separated, so moving a character from one field to the next changes the hash.
  auto shifted = request;
  shifted.from_account = "user:alic";
  shifted.from_bucket = "ebanking/USD";
  CHECK(request_hash(shifted) != hash);
}
