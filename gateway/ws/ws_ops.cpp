#include "gateway/ws/ws_ops.hpp"

#include <algorithm>

#include "protocols/account_id.hpp"
#include "protocols/limits.hpp"

namespace ledgerflow::ws {

namespace {

using nlohmann::json;

error bad(const std::string& why) {
  return make_error(error_code::bad_request, why);
}

outcome<subscription_request> parse_account_item(const json& item, bool with_since) {
  subscription_request request;
  const json* account = &item;
  if (item.is_object() && with_since) {
    auto found = item.find("account");
    if (found == item.end())
      return bad("each account must be a string or {\"account\", \"since_seq\"}");
    account = &*found;
    if (auto since = item.find("since_seq"); since != item.end() && !since->is_null()) {
      if (!since->is_number_unsigned())
        return bad("since_seq must be a non-negative integer");
      request.since_seq = since->get<uint64_t>();
    }
  }
  if (!account->is_string())
    return bad(with_since ? "each account must be a string or {\"account\", \"since_seq\"}"
                          : "each account must be a string");
  request.account = account->get<std::string>();
  if (auto valid = parse_account_id(request.account); !valid)
    return valid.error();
  return request;
}

} // namespace

std::string request_id_of(const json& message) {
  if (!message.is_object())
    return {};
  auto id = message.find("id");
  if (id == message.end() || !id->is_string() || id->get_ref<const std::string&>().size() > limits::ws_request_id_length_max)
    return {};
  return id->get<std::string>();
}

outcome<client_op> parse_client_op(const json& message, size_t accounts_max) {
  if (!message.is_object())
    return bad("a message must be an object");
  client_op op;
  if (auto id = message.find("id"); id != message.end() && !id->is_null()) {
    if (!id->is_string() || id->get_ref<const std::string&>().size() > limits::ws_request_id_length_max)
      return bad("id must be a string of at most " + std::to_string(limits::ws_request_id_length_max) + " characters");
    op.id = id->get<std::string>();
  }
  auto name = message.find("op");
  if (name == message.end() || !name->is_string())
    return bad("op must be a string: subscribe, unsubscribe or ping");
  const auto& text = name->get_ref<const std::string&>();
  if (text == "ping") {
    op.type = client_op::kind::ping;
    return op;
  }
  if (text == "subscribe")
    op.type = client_op::kind::subscribe;
  else if (text == "unsubscribe")
    op.type = client_op::kind::unsubscribe;
  else
    return bad("unknown op \"" + text.substr(0, 32) + "\": expected subscribe, unsubscribe or ping");
  auto accounts = message.find("accounts");
  if (accounts == message.end() || !accounts->is_array() || accounts->empty())
    return bad("accounts must be a non-empty array");
  if (accounts->size() > accounts_max)
    return bad("at most " + std::to_string(accounts_max) + " accounts per request");
  for (const auto& item : *accounts) {
    auto parsed = parse_account_item(item, op.type == client_op::kind::subscribe);
    if (!parsed)
      return parsed.error();
    auto same = [&](const subscription_request& each) { return each.account == parsed->account; };
    if (std::any_of(op.accounts.begin(), op.accounts.end(), same))
      return bad("account " + parsed->account + " is listed twice");
    op.accounts.push_back(std::move(*parsed));
  }
  return op;
}

} // namespace ledgerflow::ws
