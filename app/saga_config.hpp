// `[sagas]` in the config file: fees, system accounts, deadlines and polling of the engine.
#pragma once

#include <toml++/toml.h>

#include "protocols/outcome.hpp"
#include "sagas/saga_settings.hpp"

namespace ledgerflow {

// Reads the keys present; a wrong type or an out-of-range value is refused with the key named.
status read_saga_settings(const toml::table& table, saga_settings& settings);

} // namespace ledgerflow
