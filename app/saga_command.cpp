// `ledgerflow saga`: starts, lists, shows and steers sagas through the REST API, printing each
// saga's document as one JSON line on stdout.
#include <ctime>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/http_call.hpp"
#include "app/saga_options.hpp"
#include "sagas/saga_api.hpp"

namespace ledgerflow {

namespace {

constexpr const char* default_url = "http://127.0.0.1:8080";
constexpr int64_t minted_token_ttl_s = 300;

struct saga_request {
  std::string method;
  std::string target;
  std::string body;
};

std::string random_idempotency_key() {
  std::random_device device;
  static constexpr char hex[] = "0123456789abcdef";
  std::string key = "cli-";
  for (int i = 0; i < 8; ++i) {
    auto word = device();
    for (int nibble = 0; nibble < 4; ++nibble, word >>= 4)
      key += hex[word & 15];
  }
  return key;
}

// The request of the chosen operation, or a usage message.
outcome<saga_request> build_request(const saga_options& options) {
  if (options.operation == "start") {
    nlohmann::json params = nlohmann::json::object();
    for (const auto& pair : options.params) {
      auto equals = pair.find('=');
      if (equals == std::string::npos || equals == 0)
        return make_error(error_code::bad_request, "--param " + pair + ": expected KEY=VALUE");
      params[pair.substr(0, equals)] = pair.substr(equals + 1);
    }
    auto key = options.idempotency_key;
    if (key.empty()) {
      key = random_idempotency_key();
      std::cerr << "idempotency_key: " << key << "\n";
    }
    nlohmann::json body = {{"type", options.type}, {"idempotency_key", key}, {"params", params}};
    return saga_request{"POST", "/v1/sagas", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  }
  if (options.operation == "list") {
    std::string query;
    auto add = [&query](const char* name, const std::string& value) {
      if (!value.empty())
        query += (query.empty() ? "?" : "&") + std::string(name) + "=" + percent_encode(value);
    };
    add("state", options.state);
    add("type", options.saga_type);
    add("account", options.account);
    add("limit", options.limit == 0 ? "" : std::to_string(options.limit));
    return saga_request{"GET", "/v1/sagas" + query, ""};
  }
  if (options.operation == "show")
    return saga_request{"GET", "/v1/sagas/" + percent_encode(options.id), ""};
  saga_action action{};
  if (!saga_action_from_string(options.operation, action))
    return make_error(error_code::bad_request, "unknown saga operation " + options.operation);
  return saga_request{"POST", "/v1/sagas/" + percent_encode(options.id) + "/" + options.operation, ""};
}

std::string bearer_token(const app_config& config, const saga_options& options) {
  if (!options.token.empty())
    return options.token;
  token_claims claims;
  claims.subject = "ledgerflow-cli";
  claims.role = token_role::admin;
  claims.expires_at_s = static_cast<int64_t>(std::time(nullptr)) + minted_token_ttl_s;
  return sign_token(claims, config.effective_jwt_secret());
}

// 2xx: the documents, one per line. Otherwise the error's code and message on stderr.
int print_reply(const saga_options& options, const http_call_reply& reply) {
  // ordered: the documents keep the server's field order.
  auto json = nlohmann::ordered_json::parse(reply.body, nullptr, false);
  if (reply.status < 200 || reply.status >= 300) {
    std::string code = "http_" + std::to_string(reply.status);
    std::string message = reply.body.substr(0, 512);
    if (json.is_object() && json.contains("error") && json["error"].is_object()) {
      code = json["error"].value("code", code);
      message = json["error"].value("message", message);
    }
    std::cerr << "ledgerflow saga: " << code << ": " << message << " (HTTP " << reply.status << ")\n";
    return saga_exit::failed;
  }
  if (json.is_discarded()) {
    std::cerr << "ledgerflow saga: the server answered " << reply.status << " with a body that is not JSON\n";
    return saga_exit::failed;
  }
  if (options.operation == "list" && json.is_object() && json.contains("sagas") && json["sagas"].is_array()) {
    for (const auto& saga : json["sagas"])
      std::cout << saga.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  } else {
    std::cout << json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  }
  return saga_exit::done;
}

} // namespace

int run_saga(const app_config& config, const saga_options& options) {
  auto url = parse_http_base_url(options.url.empty() ? default_url : options.url);
  if (!url) {
    std::cerr << "ledgerflow saga: " << url.error().message << "\n";
    return saga_exit::usage;
  }
  auto request = build_request(options);
  if (!request) {
    std::cerr << "ledgerflow saga: " << request.error().message << "\n";
    return saga_exit::usage;
  }
  auto reply = http_call(*url, request->method, request->target, request->body, bearer_token(config, options));
  if (!reply) {
    std::cerr << "ledgerflow saga: " << reply.error().message << "\n";
    return saga_exit::failed;
  }
  return print_reply(options, *reply);
}

} // namespace ledgerflow
