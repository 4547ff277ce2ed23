// Opens the journal a database URL names: sqlite:PATH, or postgresql://... (postgres://...), a
// libpq connection URI; its tables go in the first schema of the search_path (docs/operations.md).
#pragma once

#include <memory>
#include <string>

#include "app/app_config.hpp"
#include "persistence/journal.hpp"

namespace ledgerflow {

// Throws journal_error with a message fit for the operator when the URL is unknown or the
// store cannot be opened.
std::shared_ptr<journal> open_journal(const std::string& url, const app_config& config);

} // namespace ledgerflow
