// POST /v1/transfers (admin): validate the body completely, then ask the ledger.
#pragma once

#include "actors/ledger_api.hpp"
#include "gateway/route_context.hpp"

namespace ledgerflow {

class transfer_handlers {
public:
  explicit transfer_handlers(ledger_api& ledger) : ledger_(ledger) {}

  // 201 {"transfer_id","from":{"account","bucket","seq"},"to":{...},"amount","asset","ts"};
  // a repeated idempotency key gets the first transfer's body again (the ledger's receipt).
  void post_transfer(route_context& context) const;

private:
  ledger_api& ledger_;
};

} // namespace ledgerflow
