// The saga engine's /metrics figures: sagas by type and state.
#include <doctest/doctest.h>

#include "sagas/saga_metrics.hpp"

using namespace ledgerflow;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

std::string sagas_line(const std::string& type, const std::string& state, int count) {
  return "ledgerflow_sagas{type=\"" + type + "\",state=\"" + state + "\"} " + std::to_string(count);
}

using types_and_steps = std::vector<std::pair<std::string, std::vector<std::string>>>;

} // namespace

TEST_CASE("saga metrics: loaded counts and moves show per type and state") {
  saga_metrics metrics(types_and_steps{{"deposit_to_invest", {"collect", "credit"}}, {"invest_to_defi", {"hold"}}});
  metrics.load_counts({{"deposit_to_invest", "completed", 5}, {"invest_to_defi", "failed", 2}});
  metrics.moved("deposit_to_invest", "", "running");
  metrics.moved("deposit_to_invest", "", "running");
  metrics.moved("deposit_to_invest", "running", "completed");
  metrics.moved("invest_to_defi", "", "waiting");
  metrics.compensation_started("invest_to_defi");
  auto text = metrics.render();
  INFO(text);
  CHECK(has_line(text, sagas_line("deposit_to_invest", "running", 1)));
  CHECK(has_line(text, sagas_line("deposit_to_invest", "completed", 6)));
  CHECK(has_line(text, sagas_line("deposit_to_invest", "failed", 0)));
  CHECK(has_line(text, sagas_line("invest_to_defi", "failed", 2)));
  CHECK(has_line(text, sagas_line("invest_to_defi", "waiting", 1)));
  CHECK(has_line(text, sagas_line("invest_to_defi", "running", 0)));
  CHECK(has_line(text, "ledgerflow_saga_compensations_total{type=\"invest_to_defi\"} 1"));
  CHECK(has_line(text, "ledgerflow_saga_compensations_total{type=\"deposit_to_invest\"} 0"));
  for (const char* state : {"running", "waiting", "paused", "compensating", "completed", "compensated", "failed"}) {
    INFO(state);
    CHECK(text.find("type=\"deposit_to_invest\",state=\"" + std::string(state) + "\"") != std::string::npos);
  }
}

TEST_CASE("saga metrics: unknown types and states are ignored") {
  saga_metrics metrics(types_and_steps{{"deposit_to_invest", {"collect"}}});
  metrics.load_counts({{"other_flow", "completed", 9}, {"deposit_to_invest", "sleeping", 4}});
  metrics.moved("other_flow", "", "running");
  metrics.moved("deposit_to_invest", "", "sleeping");
  metrics.step_succeeded("other_flow", "collect", 3);
  metrics.step_succeeded("deposit_to_invest", "nope", 3);
  metrics.compensation_started("other_flow");
  metrics.ended("other_flow", 10);
  auto text = metrics.render();
  INFO(text);
  CHECK(text.find("other_flow") == std::string::npos);
  CHECK(text.find("sleeping") == std::string::npos);
  CHECK(text.find("step=\"nope\"") == std::string::npos);
  CHECK(has_line(text, sagas_line("deposit_to_invest", "running", 0)));
  CHECK(has_line(text, sagas_line("deposit_to_invest", "completed", 0)));
}

TEST_CASE("saga metrics: a state left more often than entered renders 0, never negative") {
  saga_metrics metrics(types_and_steps{{"deposit_to_invest", {"collect"}}});
  metrics.moved("deposit_to_invest", "running", "completed");
  metrics.moved("deposit_to_invest", "running", "completed");
  metrics.moved("deposit_to_invest", "running", "running");  // no move at all
  auto text = metrics.render();
  INFO(text);
  CHECK(has_line(text, sagas_line("deposit_to_invest", "running", 0)));
  CHECK(has_line(text, sagas_line("deposit_to_invest", "completed", 2)));
  CHECK(text.find("} -") == std::string::npos);
}
