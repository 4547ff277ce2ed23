// Every bound in one place (STYLE.md habit 4). Config may lower or raise the ones marked so.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ledgerflow::limits {

// Identifiers.
inline constexpr size_t account_id_length_max = 128;
inline constexpr size_t asset_code_length_max = 16;
inline constexpr size_t protocol_name_length_max = 32;
inline constexpr size_t bucket_length_max = 64;
inline constexpr size_t idempotency_key_length_max = 128;
inline constexpr size_t amount_text_length_max = 64;
inline constexpr int asset_decimals_max = 30;

// Ledger.
inline constexpr size_t buckets_per_account_max = 256;
inline constexpr size_t open_holds_per_account_max = 10'000;
inline constexpr size_t entries_page_max = 1'000;
inline constexpr size_t entries_page_default = 100;

// Journal writer (configurable).
inline constexpr size_t batch_entries_max = 8'192;
inline constexpr uint64_t snapshot_every_entries = 1'000;

// Actors (configurable).
inline constexpr uint32_t account_idle_passivate_ms = 60'000;
inline constexpr uint32_t command_timeout_ms = 10'000;

// HTTP.
inline constexpr size_t http_body_bytes_max = 64 * 1024;
inline constexpr size_t http_header_bytes_max = 16 * 1024;
inline constexpr uint32_t http_read_timeout_ms = 30'000;
inline constexpr size_t http_connections_max = 10'000;
// WebSocket /v1/ws (configurable under [websocket]).
inline constexpr size_t ws_message_bytes_max = 64 * 1024;  // Beast's default is 16 MiB
inline constexpr size_t ws_subscriptions_max = 100;         // accounts per connection
inline constexpr size_t ws_connections_per_ip_max = 1'000;
inline constexpr size_t ws_connections_per_subject_max = 100;
inline constexpr uint32_t ws_messages_per_second = 100;     // client messages; burst twice that
inline constexpr uint32_t ws_idle_timeout_ms = 60'000;
inline constexpr uint32_t ws_ping_interval_ms = 20'000;
inline constexpr size_t ws_send_queue_frames_max = 1'024;   // then updates coalesce per bucket
inline constexpr uint32_t ws_behind_close_ms = 10'000;
inline constexpr size_t ws_request_id_length_max = 64;
// On stop, requests already in hand get this long to be answered before connections close.
inline constexpr uint32_t http_drain_ms = 5'000;

// Tokens and requests from outside (the gateway).
inline constexpr size_t token_length_max = 8 * 1024;
inline constexpr size_t token_subject_length_max = 256;
inline constexpr size_t token_accounts_max = 1'024;
inline constexpr size_t json_body_depth_max = 32;
inline constexpr size_t query_params_max = 32;
inline constexpr size_t gateway_io_threads_max = 64;
// After refusing a request it did not read, the server drains at most this much so the
// client sees the answer instead of a reset.
inline constexpr size_t http_linger_bytes_max = 1024 * 1024;
inline constexpr uint32_t http_linger_ms = 2'000;

// msgpack from outside or from other nodes (WebSocket binary frames, cluster messages).
// The largest message is a snapshot with every hold open, about 300 bytes a hold.
inline constexpr size_t msgpack_message_bytes_max = 4 * 1024 * 1024;
inline constexpr size_t msgpack_depth_max = json_body_depth_max;  // as deep as a JSON body
inline constexpr size_t msgpack_array_items_max = open_holds_per_account_max;
inline constexpr size_t msgpack_map_entries_max = 1'024;
inline constexpr size_t msgpack_string_bytes_max = 64 * 1024;
inline constexpr size_t msgpack_binary_bytes_max = 64 * 1024;  // bin and ext; no value of ours uses them

} // namespace ledgerflow::limits
