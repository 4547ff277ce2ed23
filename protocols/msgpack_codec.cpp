#include "protocols/msgpack_codec.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

using json = nlohmann::json;

// A hold is about 260 bytes on the wire (128-byte id, 64-byte bucket, 41-byte amount, keys).
static_assert(limits::msgpack_message_bytes_max >= limits::open_holds_per_account_max * 300,
              "a snapshot with every hold open must fit in one message");
static_assert(limits::msgpack_array_items_max >= limits::open_holds_per_account_max
                && limits::msgpack_array_items_max >= limits::buckets_per_account_max,
              "a snapshot's arrays must fit the array limit");

// ---------------------------------------------------------------------------------------------
// Encoding

// msgpack-c packs into any stream with write(); this one fills the result without a copy.
struct string_stream {
  std::string bytes;
  void write(const char* data, size_t size) { bytes.append(data, size); }
};

using packer = msgpack::packer<string_stream>;

// msgpack lengths are 32-bit; a longer value here is a caller bug, not input.
uint32_t length_of(size_t size) {
  if (size > std::numeric_limits<uint32_t>::max()) {
    std::fputs("msgpack_codec: a value longer than 4 GiB cannot be encoded\n", stderr);
    std::abort();
  }
  return static_cast<uint32_t>(size);
}

void pack_text(packer& out, std::string_view text) {
  out.pack_str(length_of(text.size()));
  out.pack_str_body(text.data(), length_of(text.size()));
}

void field_text(packer& out, std::string_view key, std::string_view value) {
  pack_text(out, key);
  pack_text(out, value);
}

void field_unsigned(packer& out, std::string_view key, uint64_t value) {
  pack_text(out, key);
  out.pack_uint64(value);
}

void field_signed(packer& out, std::string_view key, int64_t value) {
  pack_text(out, key);
  out.pack_int64(value);
}

void field_amount(packer& out, std::string_view key, minor_units value) {
  field_text(out, key, to_decimal_string(value));
}

void pack_value(packer& out, const journal_entry& entry) {
  out.pack_map(13);
  field_text(out, "account", entry.account);
  field_unsigned(out, "seq", entry.seq);
  field_text(out, "kind", to_string(entry.kind));
  field_text(out, "bucket", entry.bucket);
  field_amount(out, "amount", entry.amount);
  field_amount(out, "available_after", entry.available_after);
  field_amount(out, "held_after", entry.held_after);
  field_text(out, "cause_kind", entry.cause_kind);
  field_text(out, "cause_id", entry.cause_id);
  field_text(out, "counterparty_account", entry.counterparty_account);
  field_text(out, "counterparty_bucket", entry.counterparty_bucket);
  field_text(out, "hold_id", entry.hold_id);
  field_signed(out, "timestamp_us", entry.timestamp_us);
}

void pack_value(packer& out, const inflight_leg& leg) {
  out.pack_map(11);
  field_text(out, "transfer_id", leg.transfer_id);
  field_text(out, "from_account", leg.from_account);
  field_text(out, "from_bucket", leg.from_bucket);
  field_unsigned(out, "from_seq", leg.from_seq);
  field_text(out, "to_account", leg.to_account);
  field_text(out, "to_bucket", leg.to_bucket);
  field_text(out, "asset_code", leg.asset_code);
  field_amount(out, "amount", leg.amount);
  field_text(out, "idempotency_key", leg.idempotency_key);
  field_text(out, "request_hash", leg.request_hash);
  field_signed(out, "timestamp_us", leg.timestamp_us);
}

void pack_value(packer& out, const bucket_balance& balance) {
  out.pack_map(3);
  field_text(out, "bucket", balance.bucket);
  field_amount(out, "available", balance.available);
  field_amount(out, "held", balance.held);
}

void pack_value(packer& out, const open_hold& hold) {
  out.pack_map(3);
  field_text(out, "hold_id", hold.hold_id);
  field_text(out, "bucket", hold.bucket);
  field_amount(out, "amount", hold.amount);
}

template <class Item>
void field_array(packer& out, std::string_view key, const std::vector<Item>& items) {
  pack_text(out, key);
  out.pack_array(length_of(items.size()));
  for (const auto& item : items)
    pack_value(out, item);
}

void pack_value(packer& out, const account_snapshot& snapshot) {
  out.pack_map(4);
  field_text(out, "account", snapshot.account);
  field_unsigned(out, "seq", snapshot.seq);
  field_array(out, "balances", snapshot.balances);
  field_array(out, "holds", snapshot.holds);
}

void pack_value(packer& out, const transfer_request& request) {
  out.pack_map(6);
  field_text(out, "idempotency_key", request.idempotency_key);
  field_text(out, "from_account", request.from_account);
  field_text(out, "from_bucket", request.from_bucket);
  field_text(out, "to_account", request.to_account);
  field_text(out, "to_bucket", request.to_bucket);
  field_amount(out, "amount", request.amount);
}

void pack_value(packer& out, const transfer_receipt& receipt) {
  out.pack_map(10);
  field_text(out, "transfer_id", receipt.transfer_id);
  field_text(out, "from_account", receipt.from_account);
  field_text(out, "from_bucket", receipt.from_bucket);
  field_unsigned(out, "from_seq", receipt.from_seq);
  field_text(out, "to_account", receipt.to_account);
  field_text(out, "to_bucket", receipt.to_bucket);
  field_unsigned(out, "to_seq", receipt.to_seq);
  field_text(out, "asset_code", receipt.asset_code);
  field_amount(out, "amount", receipt.amount);
  field_signed(out, "timestamp_us", receipt.timestamp_us);
}

void write_json(packer& out, const json& value) {
  switch (value.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      out.pack_nil();
      return;
    case json::value_t::boolean:
      value.get<bool>() ? out.pack_true() : out.pack_false();
      return;
    case json::value_t::number_integer:
      out.pack_int64(value.get<int64_t>());
      return;
    case json::value_t::number_unsigned:
      out.pack_uint64(value.get<uint64_t>());
      return;
    case json::value_t::number_float:
      out.pack_double(value.get<double>());
      return;
    case json::value_t::string:
      pack_text(out, value.get_ref<const std::string&>());
      return;
    case json::value_t::binary: {
      const auto& bytes = value.get_binary();
      out.pack_bin(length_of(bytes.size()));
      out.pack_bin_body(reinterpret_cast<const char*>(bytes.data()), length_of(bytes.size()));
      return;
    }
    case json::value_t::array:
      out.pack_array(length_of(value.size()));
      for (const auto& item : value)
        write_json(out, item);
      return;
    case json::value_t::object:
      out.pack_map(length_of(value.size()));
      for (const auto& [key, item] : value.items()) {
        pack_text(out, key);
        write_json(out, item);
      }
      return;
  }
}

template <class Value>
std::string encode_value(const Value& value) {
  string_stream stream;
  packer out(stream);
  pack_value(out, value);
  return std::move(stream.bytes);
}

// ---------------------------------------------------------------------------------------------
// Decoding. Messages name fields by our own key names only: untrusted text is never echoed,
// so an error can always be rendered as JSON.

error malformed(std::string why) {
  return make_error(error_code::bad_request, std::move(why));
}

bool is_utf8(std::string_view text) {
  size_t at = 0;
  while (at < text.size()) {
    auto lead = static_cast<unsigned char>(text[at]);
    if (lead < 0x80) {
      ++at;
      continue;
    }
    // The lead byte gives the length and the smallest code point that needs that length.
    size_t length = 0;
    uint32_t smallest = 0;
    uint32_t code_point = 0;
    if ((lead & 0xE0u) == 0xC0u) {
      length = 2;
      smallest = 0x80;
      code_point = lead & 0x1Fu;
    } else if ((lead & 0xF0u) == 0xE0u) {
      length = 3;
      smallest = 0x800;
      code_point = lead & 0x0Fu;
    } else if ((lead & 0xF8u) == 0xF0u) {
      length = 4;
      smallest = 0x10000;
      code_point = lead & 0x07u;
    } else {
      return false;
    }
    if (text.size() - at < length)
      return false;
    for (size_t next = 1; next < length; ++next) {
      auto byte = static_cast<unsigned char>(text[at + next]);
      if ((byte & 0xC0u) != 0x80u)
        return false;
      code_point = (code_point << 6) | (byte & 0x3Fu);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if (code_point < smallest || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF))
      return false;
    at += length;
  }
  return true;
}

std::string_view text_of(const msgpack::object& value) {
  return {value.via.str.ptr, value.via.str.size};
}

// Reads the fields of one msgpack map by key; keys it is not asked about are ignored. The first
// problem is kept and later reads do nothing, so a decoder is a plain list of its fields.
class field_reader {
public:
  field_reader(const msgpack::object& value, std::string path) : path_(std::move(path)) {
    if (value.type == msgpack::type::MAP)
      map_ = &value.via.map;
    else
      failure_ = malformed(path_ + " must be a map with string keys");
  }

  void text(const char* key, std::string& out) { read_text(find(key, true), key, out); }

  // Missing or nil reads as empty.
  void optional_text(const char* key, std::string& out) {
    const auto* value = find(key, false);
    if (value != nullptr && value->type != msgpack::type::NIL)
      read_text(value, key, out);
  }

  void unsigned_integer(const char* key, uint64_t& out) {
    const auto* value = find(key, true);
    if (value == nullptr)
      return;
    if (value->type != msgpack::type::POSITIVE_INTEGER)
      return fail(key, "must be an unsigned integer");
    out = value->via.u64;
  }

  void signed_integer(const char* key, int64_t& out) {
    const auto* value = find(key, true);
    if (value == nullptr)
      return;
    if (value->type == msgpack::type::NEGATIVE_INTEGER)
      out = value->via.i64;
    else if (value->type == msgpack::type::POSITIVE_INTEGER
             && value->via.u64 <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      out = static_cast<int64_t>(value->via.u64);
    else
      fail(key, "must be a signed 64-bit integer");
  }

  void amount(const char* key, minor_units& out) {
    const auto* value = find(key, true);
    if (value == nullptr)
      return;
    if (value->type != msgpack::type::STR)
      return fail(key, "must be a decimal string of minor units");
    auto parsed = parse_decimal_integer(text_of(*value));
    if (!parsed)
      return fail(key, "must be a decimal string of minor units (" + parsed.error().message + ")");
    out = *parsed;
  }

  void kind(const char* key, entry_kind& out) {
    std::string name;
    text(key, name);
    if (!failure_ && !entry_kind_from_string(name, out))
      fail(key, "must be one of credit, debit, hold, release, post");
  }

  // An array of maps, each read by `read_item`, in strictly increasing `key_of` order: the
  // order the value type promises, and the only way a repeated item is noticed.
  template <class Item, class ReadItem, class KeyOf>
  void sorted_array(const char* key, size_t items_max, ReadItem read_item, KeyOf key_of, std::vector<Item>& out) {
    const auto* value = find(key, true);
    if (value == nullptr)
      return;
    if (value->type != msgpack::type::ARRAY)
      return fail(key, "must be an array");
    if (value->via.array.size > items_max)
      return fail(key, "has more than " + std::to_string(items_max) + " items");
    out.reserve(value->via.array.size);
    for (uint32_t index = 0; index < value->via.array.size; ++index) {
      auto item = read_item(value->via.array.ptr[index], path_ + "." + key + "[" + std::to_string(index) + "]");
      if (!item) {
        failure_ = item.error();
        return;
      }
      if (!out.empty() && !(key_of(out.back()) < key_of(*item)))
        return fail(key, "must be sorted with no repeats");
      out.push_back(std::move(*item));
    }
  }

  template <class Value>
  outcome<Value> finish(Value value) const {
    if (failure_)
      return *failure_;
    return value;
  }

private:
  // The value under `key`; nullptr (and a failure if required) when absent. A known key given
  // twice is refused: two readers could each pick a different one.
  const msgpack::object* find(const char* key, bool required) {
    if (failure_)
      return nullptr;
    const msgpack::object* found = nullptr;
    for (uint32_t index = 0; index < map_->size; ++index) {
      const auto& entry = map_->ptr[index];
      if (entry.key.type != msgpack::type::STR || text_of(entry.key) != key)
        continue;
      if (found != nullptr) {
        fail(key, "appears twice");
        return nullptr;
      }
      found = &entry.val;
    }
    if (found == nullptr && required)
      fail(key, "is missing");
    return found;
  }

  void read_text(const msgpack::object* value, const char* key, std::string& out) {
    if (value == nullptr)
      return;
    if (value->type != msgpack::type::STR)
      return fail(key, "must be a string");
    auto text = text_of(*value);
    if (!is_utf8(text))
      return fail(key, "must be valid UTF-8");
    out.assign(text);
  }

  void fail(const char* key, const std::string& why) {
    if (!failure_)
      failure_ = malformed(path_ + "." + key + " " + why);
  }

  const msgpack::object_map* map_ = nullptr;
  std::string path_;
  std::optional<error> failure_;
};

outcome<journal_entry> read_journal_entry(const msgpack::object& value, const std::string& path) {
  field_reader fields(value, path);
  journal_entry entry;
  fields.text("account", entry.account);
  fields.unsigned_integer("seq", entry.seq);
  fields.kind("kind", entry.kind);
  fields.text("bucket", entry.bucket);
  fields.amount("amount", entry.amount);
  fields.amount("available_after", entry.available_after);
  fields.amount("held_after", entry.held_after);
  fields.text("cause_kind", entry.cause_kind);
  fields.text("cause_id", entry.cause_id);
  fields.optional_text("counterparty_account", entry.counterparty_account);
  fields.optional_text("counterparty_bucket", entry.counterparty_bucket);
  fields.optional_text("hold_id", entry.hold_id);
  fields.signed_integer("timestamp_us", entry.timestamp_us);
  return fields.finish(std::move(entry));
}

outcome<inflight_leg> read_inflight_leg(const msgpack::object& value, const std::string& path) {
  field_reader fields(value, path);
  inflight_leg leg;
  fields.text("transfer_id", leg.transfer_id);
  fields.text("from_account", leg.from_account);
  fields.text("from_bucket", leg.from_bucket);
  fields.unsigned_integer("from_seq", leg.from_seq);
  fields.text("to_account", leg.to_account);
  fields.text("to_bucket", leg.to_bucket);
  fields.text("asset_code", leg.asset_code);
  fields.amount("amount", leg.amount);
  fields.text("idempotency_key", leg.idempotency_key);
  fields.text("request_hash", leg.request_hash);
  fields.signed_integer("timestamp_us", leg.timestamp_us);
  return fields.finish(std::move(leg));
}

outcome<bucket_balance> read_bucket_balance(const msgpack::object& value, const std::string& path) {
  field_reader fields(value, path);
  bucket_balance balance;
  fields.text("bucket", balance.bucket);
  fields.amount("available", balance.available);
  fields.amount("held", balance.held);
  return fields.finish(std::move(balance));
}

outcome<open_hold> read_open_hold(const msgpack::object& value, const std::string& path) {
  field_reader fields(value, path);
  open_hold hold;
  fields.text("hold_id", hold.hold_id);
  fields.text("bucket", hold.bucket);
  fields.amount("amount", hold.amount);
  return fields.finish(std::move(hold));
}

outcome<account_snapshot> read_account_snapshot(const msgpack::object& value, const std::string& path) {
  field_reader fields(value, path);
  account_snapshot snapshot;
  fields.text("account", snapshot.account);
  fields.unsigned_integer("seq", snapshot.seq);
  fields.sorted_array("balances", limits::buckets_per_account_max, read_bucket_balance,
                      [](const bucket_balance& balance) -> const std::string& { return balance.bucket; },
                      snapshot.balances);
  fields.sorted_array("holds", limits::open_holds_per_account_max, read_open_hold,
                      [](const open_hold& hold) -> const std::string& { return hold.hold_id; }, snapshot.holds);
  return fields.finish(std::move(snapshot));
}

outcome<transfer_request> read_transfer_request(const msgpack::object& value, const std::string& path) {
  field_reader fields(value, path);
  transfer_request request;
  fields.text("idempotency_key", request.idempotency_key);
  fields.text("from_account", request.from_account);
  fields.text("from_bucket", request.from_bucket);
  fields.text("to_account", request.to_account);
  fields.text("to_bucket", request.to_bucket);
  fields.amount("amount", request.amount);
  return fields.finish(std::move(request));
}

outcome<transfer_receipt> read_transfer_receipt(const msgpack::object& value, const std::string& path) {
  field_reader fields(value, path);
  transfer_receipt receipt;
  fields.text("transfer_id", receipt.transfer_id);
  fields.text("from_account", receipt.from_account);
  fields.text("from_bucket", receipt.from_bucket);
  fields.unsigned_integer("from_seq", receipt.from_seq);
  fields.text("to_account", receipt.to_account);
  fields.text("to_bucket", receipt.to_bucket);
  fields.unsigned_integer("to_seq", receipt.to_seq);
  fields.text("asset_code", receipt.asset_code);
  fields.amount("amount", receipt.amount);
  fields.signed_integer("timestamp_us", receipt.timestamp_us);
  return fields.finish(std::move(receipt));
}

status read_json(const msgpack::object& value, const std::string& path, json& out);

status read_json_map(const msgpack::object_map& map, const std::string& path, json& out) {
  out = json::object();
  for (uint32_t index = 0; index < map.size; ++index) {
    const auto& entry = map.ptr[index];
    if (entry.key.type != msgpack::type::STR)
      return malformed(path + ": map keys must be strings");
    if (!is_utf8(text_of(entry.key)))
      return malformed(path + ": a map key is not valid UTF-8");
    std::string key(text_of(entry.key));
    if (out.contains(key))
      return malformed(path + ": a map repeats a key");
    json item;
    if (auto converted = read_json(entry.val, path, item); !converted)
      return converted;
    out.emplace(std::move(key), std::move(item));
  }
  return done{};
}

// Recursion is bounded by limits::msgpack_depth_max, which the unpacker enforces.
status read_json(const msgpack::object& value, const std::string& path, json& out) {
  switch (value.type) {
    case msgpack::type::NIL:
      out = nullptr;
      return done{};
    case msgpack::type::BOOLEAN:
      out = value.via.boolean;
      return done{};
    case msgpack::type::POSITIVE_INTEGER:
      out = value.via.u64;
      return done{};
    case msgpack::type::NEGATIVE_INTEGER:
      out = value.via.i64;
      return done{};
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      if (!std::isfinite(value.via.f64))
        return malformed(path + ": JSON has no NaN or infinity");
      out = value.via.f64;
      return done{};
    case msgpack::type::STR:
      if (!is_utf8(text_of(value)))
        return malformed(path + ": a string is not valid UTF-8");
      out = std::string(text_of(value));
      return done{};
    case msgpack::type::ARRAY:
      out = json::array();
      for (uint32_t index = 0; index < value.via.array.size; ++index) {
        json item;
        if (auto converted = read_json(value.via.array.ptr[index], path, item); !converted)
          return converted;
        out.push_back(std::move(item));
      }
      return done{};
    case msgpack::type::MAP:
      return read_json_map(value.via.map, path, out);
    case msgpack::type::BIN:
    case msgpack::type::EXT:
      break;
  }
  return malformed(path + ": binary and extension values have no JSON form");
}

outcome<json> read_json_value(const msgpack::object& value, const std::string& path) {
  json result;
  if (auto converted = read_json(value, path, result); !converted)
    return converted.error();
  return result;
}

// Unpacks exactly one value from untrusted bytes within the limits, then reads it. Every
// library exception becomes an error value: msgpack::type_error is a std::bad_cast, not a
// runtime_error, so it is caught by name.
template <class Read>
auto decode_untrusted(std::string_view bytes, const std::string& path, Read read)
  -> decltype(read(std::declval<const msgpack::object&>(), path)) {
  if (bytes.size() > limits::msgpack_message_bytes_max)
    return make_error(error_code::payload_too_large,
                      path + ": message over " + std::to_string(limits::msgpack_message_bytes_max) + " bytes");
  try {
    const msgpack::unpack_limit bounds(limits::msgpack_array_items_max, limits::msgpack_map_entries_max,
                                       limits::msgpack_string_bytes_max, limits::msgpack_binary_bytes_max,
                                       limits::msgpack_binary_bytes_max, limits::msgpack_depth_max);
    size_t offset = 0;
    auto handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, bounds);
    if (offset != bytes.size())
      return malformed(path + ": trailing bytes after the message");
    return read(handle.get(), path);
  } catch (const msgpack::unpack_error& failure) {
    return malformed(path + ": not valid msgpack or over a limit (" + failure.what() + ")");
  } catch (const msgpack::type_error&) {
    return malformed(path + ": a value has the wrong type");
  } catch (const std::bad_alloc&) {
    return malformed(path + ": too large to decode");
  } catch (const std::exception& failure) {
    return malformed(path + ": cannot decode (" + failure.what() + ")");
  }
}

} // namespace

std::string encode(const journal_entry& entry) {
  return encode_value(entry);
}

outcome<journal_entry> decode_journal_entry(std::string_view bytes) {
  return decode_untrusted(bytes, "journal_entry", read_journal_entry);
}

std::string encode(const inflight_leg& leg) {
  return encode_value(leg);
}

outcome<inflight_leg> decode_inflight_leg(std::string_view bytes) {
  return decode_untrusted(bytes, "inflight_leg", read_inflight_leg);
}

std::string encode(const bucket_balance& balance) {
  return encode_value(balance);
}

outcome<bucket_balance> decode_bucket_balance(std::string_view bytes) {
  return decode_untrusted(bytes, "bucket_balance", read_bucket_balance);
}

std::string encode(const open_hold& hold) {
  return encode_value(hold);
}

outcome<open_hold> decode_open_hold(std::string_view bytes) {
  return decode_untrusted(bytes, "open_hold", read_open_hold);
}

std::string encode(const account_snapshot& snapshot) {
  return encode_value(snapshot);
}

outcome<account_snapshot> decode_account_snapshot(std::string_view bytes) {
  return decode_untrusted(bytes, "account_snapshot", read_account_snapshot);
}

std::string encode(const transfer_request& request) {
  return encode_value(request);
}

outcome<transfer_request> decode_transfer_request(std::string_view bytes) {
  return decode_untrusted(bytes, "transfer_request", read_transfer_request);
}

std::string encode(const transfer_receipt& receipt) {
  return encode_value(receipt);
}

outcome<transfer_receipt> decode_transfer_receipt(std::string_view bytes) {
  return decode_untrusted(bytes, "transfer_receipt", read_transfer_receipt);
}

std::string json_to_msgpack(const json& value) {
  string_stream stream;
  packer out(stream);
  write_json(out, value);
  return std::move(stream.bytes);
}

outcome<json> msgpack_to_json(std::string_view bytes) {
  return decode_untrusted(bytes, "msgpack value", read_json_value);
}

} // namespace ledgerflow
