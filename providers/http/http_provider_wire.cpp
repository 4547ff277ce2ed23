#include "providers/http/http_provider_wire.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <nlohmann/json.hpp>

namespace ledgerflow {

namespace {

constexpr std::string_view http_scheme = "http://";
constexpr std::string_view https_scheme = "https://";

std::optional<uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(value);
}

bool is_host_character(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool is_ipv6_character(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

// Splits "host[:port]" or "[v6 address][:port]"; nothing when the authority is malformed.
std::optional<provider_url> parse_authority(std::string_view authority, provider_url url) {
  std::string_view host = authority;
  std::optional<std::string_view> port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return std::nullopt;
    if (!rest.empty())
      port = rest.substr(1);
    if (!std::all_of(host.begin(), host.end(), is_ipv6_character))
      return std::nullopt;
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (!std::all_of(host.begin(), host.end(), is_host_character))
      return std::nullopt;
  }
  if (host.empty())
    return std::nullopt;
  if (port) {
    auto parsed = parse_port(*port);
    if (!parsed)
      return std::nullopt;
    url.port = *parsed;
  }
  url.host = std::string(host);
  return url;
}

std::string error_message_of(const nlohmann::json& body, unsigned status) {
  auto fallback = "the provider answered " + std::to_string(status);
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object())
    return fallback;
  const auto& error = body["error"];
  auto text_of = [&error](const char* name) {
    return error.contains(name) && error[name].is_string() ? error[name].get<std::string>() : std::string();
  };
  auto code = text_of("code");
  auto message = text_of("message");
  if (code.empty() && message.empty())
    return fallback;
  return fallback + ": " + code + (code.empty() || message.empty() ? "" : ": ") + message;
}

bool is_transient_status(unsigned status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

nlohmann::json parse_or_discarded(std::string_view body) {
  try {
    return nlohmann::json::parse(body, nullptr, false);
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

call_outcome bad_response(std::string message) {
  return call_outcome::failure(failure_kind::transient, "bad_response", std::move(message));
}

call_outcome success_of(const provider_operation_spec& spec, const nlohmann::json& body) {
  if (!body.is_object())
    return bad_response("the provider's answer to \"" + std::string(spec.name) + "\" is not a JSON object");
  // The result fields first, in the table's order; other string fields after them. Values of
  // fields nobody asked for that are not strings are left out (a tolerant reader).
  provider_fields fields;
  for (auto name : spec.result_fields) {
    auto found = body.find(std::string(name));
    if (found == body.end() || !found->is_string())
      return bad_response("the result of \"" + std::string(spec.name) + "\" lacks the string field \"" + std::string(name) + "\"");
    fields.emplace_back(std::string(name), found->get<std::string>());
  }
  for (const auto& [name, value] : body.items())
    if (value.is_string() && find_field(fields, name) == nullptr)
      fields.emplace_back(name, value.get<std::string>());
  if (auto why = check_result(spec, fields))
    return bad_response(*why);
  return call_outcome::success(std::move(fields));
}

} // namespace

std::optional<provider_url> parse_provider_url(std::string_view text) {
  provider_url url;
  if (text.substr(0, https_scheme.size()) == https_scheme) {
    url.tls = true;
    url.port = 443;
    text.remove_prefix(https_scheme.size());
  } else if (text.substr(0, http_scheme.size()) == http_scheme) {
    url.port = 80;
    text.remove_prefix(http_scheme.size());
  } else {
    return std::nullopt;
  }
  auto slash = text.find('/');
  auto authority = text.substr(0, slash);
  auto path = slash == std::string_view::npos ? std::string_view() : text.substr(slash);
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  if (path.find_first_of("?#% ") != std::string_view::npos || !is_header_value_safe(path))
    return std::nullopt;
  auto parsed = parse_authority(authority, std::move(url));
  if (parsed)
    parsed->path = std::string(path);
  return parsed;
}

std::string host_header(const provider_url& url) {
  auto host = url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
  bool default_port = url.port == (url.tls ? 443 : 80);
  return default_port ? host : host + ":" + std::to_string(url.port);
}

std::string request_target(const provider_url& url, provider_kind kind, std::string_view operation) {
  return url.path + "/v1/" + std::string(to_string(kind)) + "/" + std::string(operation);
}

std::string request_body(const provider_fields& fields) {
  auto body = nlohmann::json::object();
  for (const auto& [name, value] : fields)
    body[name] = value;
  // Strings from elsewhere may hold invalid UTF-8: replace it rather than throw.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool is_header_value_safe(std::string_view value) {
  return value.size() <= http_provider_limits::header_value_length_max
         && std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

call_outcome outcome_of_response(const provider_operation_spec& spec, unsigned status, std::string_view body) {
  auto parsed = parse_or_discarded(body);
  if (status >= 200 && status <= 299)
    return success_of(spec, parsed);
  auto code = "http_" + std::to_string(status);
  auto kind = is_transient_status(status) ? failure_kind::transient : failure_kind::rejected;
  return call_outcome::failure(kind, std::move(code), error_message_of(parsed, status));
}

} // namespace ledgerflow
