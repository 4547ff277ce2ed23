// The `[[providers]]` tables of the config: which providers run, of which type, and how each
// one's supervisor behaves. A kind with no provider configured gets a sandbox named
// "sandbox-<kind>", so `ledgerflow serve` with no config has all four.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "actors/providers/provider_service.hpp"
#include "actors/providers/provider_settings.hpp"
#include "protocols/asset_registry.hpp"
#include "protocols/outcome.hpp"
#include "providers/http/http_provider.hpp"
#include "providers/sandbox/sandbox_settings.hpp"

namespace ledgerflow {

struct provider_config {
  provider_kind kind = provider_kind::payments;
  std::string type = "sandbox";  // or "http"
  supervisor_settings supervision;
  sandbox_settings sandbox;
  http_provider_settings http;
};

// Reads every `[[providers]]` table; errors name the provider and the key.
status read_provider_configs(const toml::table& table, std::vector<provider_config>& providers);
// Adds "sandbox-<kind>" for each kind that has no provider yet.
void add_default_sandboxes(std::vector<provider_config>& providers);
// The adapters, built: HTTP clients start their I/O thread here. Sandboxes learn the
// configured assets' decimals.
outcome<std::vector<provider_entry>> make_provider_entries(const std::vector<provider_config>& providers,
                                                           const asset_registry& assets);

} // namespace ledgerflow
