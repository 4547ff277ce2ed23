// `ledgerflow bench ...`: flags and entry points of the benchmarks.
#pragma once

#include <CLI/CLI.hpp>

#include "app/app_config.hpp"
#include "bench/journal_bench.hpp"
#include "bench/ledger_bench.hpp"
#include "bench/provider_bench.hpp"
#include "bench/push_bench.hpp"
#include "bench/saga_bench.hpp"

namespace ledgerflow {

using bench_options = ledger_bench_options;

void add_bench_ledger_flags(CLI::App* command, bench_options& options);
int run_bench_ledger(const app_config& config, const bench_options& options);

void add_bench_journal_flags(CLI::App* command, journal_bench_options& options);
int run_bench_journal(const app_config& config, const journal_bench_options& options);

void add_bench_push_flags(CLI::App* command, push_bench_options& options);
int run_bench_push(const push_bench_options& options);

void add_bench_providers_flags(CLI::App* command, provider_bench_options& options);
int run_bench_providers(const app_config& config, const provider_bench_options& options);

void add_bench_sagas_flags(CLI::App* command, saga_bench_options& options);
int run_bench_sagas(const app_config& config, const saga_bench_options& options);

} // namespace ledgerflow
