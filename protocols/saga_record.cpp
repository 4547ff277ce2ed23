#include "protocols/saga_record.hpp"

namespace ledgerflow {

bool is_terminal_saga_state(const std::string& state) {
  return state == "completed" || state == "compensated" || state == "failed";
}

} // namespace ledgerflow
