// The hold routes (admin): set money aside, release it, or post it to another account or
// bucket. Bodies in gateway/hold_body.hpp; answers as the ledger's receipts.
#pragma once

#include "actors/ledger_api.hpp"
#include "gateway/route_context.hpp"

namespace ledgerflow {

class hold_handlers {
public:
  explicit hold_handlers(ledger_api& ledger) : ledger_(ledger) {}

  // POST /v1/holds -> 201 {"hold_id","account","bucket","amount","asset","seq","state":"held","ts"}
  void post_hold(route_context& context) const;
  // POST /v1/holds/{id}/release -> 200 the same shape, "state":"released"
  void release_hold(route_context& context) const;
  // POST /v1/holds/{id}/post -> 201 the transfer (as POST /v1/transfers answers) and "hold_id"
  void post_to(route_context& context) const;

private:
  ledger_api& ledger_;
};

} // namespace ledgerflow
