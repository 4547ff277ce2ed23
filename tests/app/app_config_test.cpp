#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "app/app_config.hpp"
#include "tests/support/temp_directory.hpp"

using namespace ledgerflow;

namespace {

std::string write_file(const testing::temp_directory& directory, const std::string& text) {
  auto path = directory.file("ledgerflow.toml");
  std::ofstream(path) << text;
  return path;
}

} // namespace

TEST_CASE("the defaults run a working single node on SQLite under ./data") {
  app_config config;
  CHECK(config.listen == "127.0.0.1:8080");
  CHECK(config.database_url() == "sqlite:./data/ledgerflow.db");
  CHECK(config.uses_development_secret());
  CHECK(config.effective_jwt_secret() == development_jwt_secret);
  CHECK(config.assets.find("ETH")->decimals == 18);
}

TEST_CASE("a TOML file sets listen, storage, ledger tunables and extra assets") {
  testing::temp_directory directory;
  auto path = write_file(directory, R"(
listen = "0.0.0.0:9000"
data_dir = "/var/lib/ledgerflow"
jwt_secret = "from-file"
[ledger]
batch_entries_max = 512
snapshot_every_entries = 50
[storage.sqlite]
synchronous = "normal"
index_merge_rows = 5000
index_merge_background = false
index_merge_chunk_rows = 250
unmerged_rows_max = 90000
cache_kib = 32768
key_run_fan_in = 5
key_run_slice_keys = 777
[assets]
GBP = 2
)");
  app_config config;
  REQUIRE(load_config_file(path, config));
  CHECK(config.listen == "0.0.0.0:9000");
  CHECK(config.database_url() == "sqlite:/var/lib/ledgerflow/ledgerflow.db");
  CHECK(config.effective_jwt_secret() == "from-file");
  CHECK(config.ledger.batch_entries_max == 512);
  CHECK(config.ledger.snapshot_every_entries == 50);
  CHECK(config.sqlite.synchronous == sqlite_synchronous::normal);
  CHECK(config.sqlite.index_merge_rows == 5000);
  CHECK_FALSE(config.sqlite.index_merge_background);
  CHECK(config.sqlite.index_merge_chunk_rows == 250);
  CHECK(config.sqlite.unmerged_rows_max == 90000);
  CHECK(config.sqlite.writer_cache_kib == 32768);
  CHECK(config.sqlite.key_run_fan_in == 5);
  CHECK(config.sqlite.key_run_slice_keys == 777);
  CHECK(config.assets.find("GBP")->decimals == 2);
}

TEST_CASE("a broken config file is refused with a message naming it") {
  testing::temp_directory directory;
  app_config config;
  auto unparsable = load_config_file(write_file(directory, "listen = \n"), config);
  REQUIRE_FALSE(unparsable);
  CHECK(unparsable.error().message.find("ledgerflow.toml") != std::string::npos);
  CHECK_FALSE(load_config_file(write_file(directory, "[storage.sqlite]\nsynchronous = \"sometimes\"\n"), config));
  CHECK_FALSE(load_config_file(write_file(directory, "[assets]\nusd = 2\n"), config));
  CHECK_FALSE(load_config_file(write_file(directory, "[assets]\nXAU = \"two\"\n"), config));
}

TEST_CASE("the environment overrides the file") {
  testing::temp_directory directory;
  app_config config;
  REQUIRE(load_config_file(write_file(directory, "listen = \"127.0.0.1:7000\"\n"), config));
  setenv("LEDGERFLOW_LISTEN", "127.0.0.1:7001", 1);
  setenv("LEDGERFLOW_JWT_SECRET", "from-env", 1);
  REQUIRE(load_config_environment(config));
  unsetenv("LEDGERFLOW_LISTEN");
  unsetenv("LEDGERFLOW_JWT_SECRET");
  CHECK(config.listen == "127.0.0.1:7001");
  CHECK(config.effective_jwt_secret() == "from-env");
  CHECK_FALSE(config.uses_development_secret());
}

TEST_CASE("listen addresses must be HOST:PORT with a port in range") {
  auto parsed = parse_listen_address("127.0.0.1:8080");
  REQUIRE(parsed);
  CHECK(parsed->port == 8080);
  for (const char* bad : {"8080", ":8080", "localhost:", "localhost:70000", "localhost:80x"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_listen_address(bad));
  }
}

TEST_CASE("the [websocket] and [tls] sections reach the gateway config") {
  testing::temp_directory directory;
  auto path = write_file(directory, R"(
connections_max = 20000
[websocket]
allowed_origins = ["https://app.example.com", "*"]
message_bytes_max = 4096
subscriptions_max = 7
connections_per_ip_max = 3
connections_per_subject_max = 2
messages_per_second = 9
idle_timeout_ms = 1500
ping_interval_ms = 500
send_queue_frames_max = 64
behind_close_ms = 2000
[tls]
certificate = "/etc/ledgerflow/cert.pem"
private_key = "/etc/ledgerflow/key.pem"
)");
  app_config config;
  REQUIRE(load_config_file(path, config));
  auto gateway = make_gateway_config(config);
  REQUIRE(gateway);
  CHECK(gateway->connections_max == 20000);
  const auto& ws = gateway->websocket;
  CHECK(ws.allowed_origins == std::vector<std::string>{"https://app.example.com", "*"});
  CHECK(ws.message_bytes_max == 4096);
  CHECK(ws.subscriptions_max == 7);
  CHECK(ws.connections_per_ip_max == 3);
  CHECK(ws.connections_per_subject_max == 2);
  CHECK(ws.messages_per_second == 9);
  CHECK(ws.idle_timeout_ms == 1500);
  CHECK(ws.ping_interval_ms == 500);
  CHECK(ws.send_queue_frames_max == 64);
  CHECK(ws.behind_close_ms == 2000);
  CHECK(gateway->tls_certificate_file == "/etc/ledgerflow/cert.pem");
  CHECK(gateway->tls_private_key_file == "/etc/ledgerflow/key.pem");
}

TEST_CASE("LEDGERFLOW_WS_ALLOWED_ORIGINS is a comma-separated list") {
  setenv("LEDGERFLOW_WS_ALLOWED_ORIGINS", "https://a.example,https://b.example", 1);
  app_config config;
  auto loaded = load_config_environment(config);
  unsetenv("LEDGERFLOW_WS_ALLOWED_ORIGINS");
  REQUIRE(loaded);
  CHECK(config.websocket.allowed_origins == std::vector<std::string>{"https://a.example", "https://b.example"});
}
