#include "gateway/account_handlers.hpp"

#include <limits>

#include "gateway/auth.hpp"
#include "gateway/query_params.hpp"
#include "protocols/account_id.hpp"
#include "protocols/json_views.hpp"
#include "protocols/limits.hpp"

namespace ledgerflow {

namespace {

// Shape first (400), then ownership (403): the token was verified by the router.
status check_readable(const route_context& context) {
  const auto& account = context.path_param;
  if (auto kind = parse_account_id(account); !kind)
    return kind.error();
  if (!context.caller || !may_read_account(*context.caller, account))
    return make_error(error_code::forbidden, "this token does not grant access to account " + account);
  return done{};
}

} // namespace

void account_handlers::get_account(route_context& context) const {
  answer_view(context, [](const account_view& view, const asset_registry& assets) {
    return account_json(view.id, view.seq, view.balances, assets);
  });
}

void account_handlers::get_holds(route_context& context) const {
  answer_view(context, [](const account_view& view, const asset_registry& assets) {
    return holds_json(view.id, view.seq, view.holds, assets);
  });
}

void account_handlers::answer_view(route_context& context, view_renderer render) const {
  if (auto readable = check_readable(context); !readable)
    return context.respond(error_response(readable.error()));
  const auto& assets = ledger_.assets();
  ledger_.get_account(context.path_param, [respond = std::move(context.respond), &assets,
                                           render = std::move(render)](outcome<account_view> view) {
    if (!view)
      return respond(error_response(view.error()));
    auto body = render(*view, assets);
    if (!body)
      return respond(error_response(body.error()));
    respond(json_response(200, *body));
  });
}

void account_handlers::get_entries(route_context& context) const {
  if (auto readable = check_readable(context); !readable)
    return context.respond(error_response(readable.error()));
  auto query = query_params::parse(context.request.query);
  if (!query)
    return context.respond(error_response(query.error()));
  auto after_seq = query->unsigned_value("after_seq", 0, 0, std::numeric_limits<uint64_t>::max());
  if (!after_seq)
    return context.respond(error_response(after_seq.error()));
  auto limit = query->unsigned_value("limit", limits::entries_page_default, 1, limits::entries_page_max);
  if (!limit)
    return context.respond(error_response(limit.error()));
  const auto& assets = ledger_.assets();
  auto page_size = static_cast<size_t>(*limit);
  ledger_.get_entries(context.path_param, *after_seq, page_size,
                      [respond = std::move(context.respond), &assets, account = context.path_param,
                       next_after_seq = *after_seq, page_size](outcome<std::vector<journal_entry>> entries) mutable {
                        if (!entries)
                          return respond(error_response(entries.error()));
                        auto rendered = nlohmann::json::array();
                        for (const auto& entry : *entries) {
                          if (rendered.size() == page_size)
                            break;  // the page size is ours to keep, whatever the ledger sends
                          auto one = journal_entry_json(entry, assets);
                          if (!one)
                            return respond(error_response(one.error()));
                          rendered.push_back(std::move(*one));
                          next_after_seq = entry.seq;
                        }
                        respond(json_response(200, {{"account", account},
                                                    {"entries", std::move(rendered)},
                                                    {"next_after_seq", next_after_seq}}));
                      });
}

} // namespace ledgerflow
