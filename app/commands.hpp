// The subcommands of the ledgerflow binary; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "app/app_config.hpp"
#include "gateway/jwt.hpp"

namespace ledgerflow {

int run_serve(const app_config& config);
int run_token(const app_config& config, const token_claims& claims);
int run_check(const app_config& config);

struct watch_options;
int run_watch(const watch_options& options);

struct saga_options;
int run_saga(const app_config& config, const saga_options& options);

} // namespace ledgerflow
