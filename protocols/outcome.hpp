// outcome<T>: a value or an expected failure (C++17 has no std::expected).
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "protocols/error_code.hpp"

namespace ledgerflow {

template <class T>
class outcome {
public:
  outcome(T value) : state_(std::move(value)) {}
  outcome(ledgerflow::error failure) : state_(std::move(failure)) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const ledgerflow::error& error() const { return std::get<1>(state_); }

private:
  std::variant<T, ledgerflow::error> state_;
};

// For operations that succeed with no value.
struct done {};
using status = outcome<done>;

} // namespace ledgerflow
