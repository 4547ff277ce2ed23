// Structured logs on stderr: plain text by default, one JSON object per line with log.json.
#pragma once

#include "app/app_config.hpp"

namespace ledgerflow {

void configure_logging(const app_config& config);

} // namespace ledgerflow
