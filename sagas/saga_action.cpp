#include "sagas/saga_api.hpp"

namespace ledgerflow {

bool saga_action_from_string(const std::string& name, saga_action& action) {
  if (name == "pause")
    action = saga_action::pause;
  else if (name == "resume")
    action = saga_action::resume;
  else if (name == "retry")
    action = saga_action::retry;
  else if (name == "abort")
    action = saga_action::abort;
  else
    return false;
  return true;
}

} // namespace ledgerflow
