// GET /v1/accounts/{id}, /v1/accounts/{id}/holds and /v1/accounts/{id}/entries, for the
// account's owner or an admin.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "actors/ledger_api.hpp"
#include "gateway/route_context.hpp"

namespace ledgerflow {

class account_handlers {
public:
  explicit account_handlers(ledger_api& ledger) : ledger_(ledger) {}

  // 200 {"id","seq","balances":[{"bucket","available","held"}]}
  void get_account(route_context& context) const;
  // 200 {"account","seq","holds":[{"hold_id","bucket","amount"}]}: the open holds, by id, as
  // of the account's last durable seq (at most open_holds_per_account_max of them).
  void get_holds(route_context& context) const;
  // ?after_seq=N (default 0) &limit=N (1..entries_page_max, default entries_page_default)
  // 200 {"account","entries":[...],"next_after_seq"}: pass next_after_seq as after_seq to
  // read the following page; fewer entries than the limit means the end was reached.
  void get_entries(route_context& context) const;

private:
  using view_renderer = std::function<outcome<nlohmann::json>(const account_view&, const asset_registry&)>;
  // Reads the account's durable state (owner or admin) and answers 200 with `render` of it.
  void answer_view(route_context& context, view_renderer render) const;

  ledger_api& ledger_;
};

} // namespace ledgerflow
