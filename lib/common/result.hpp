// Set-up results: a value or an error message a user can act on. Used on the control path only;
// the fast path returns counts and status codes.
#pragma once

#include <cstdarg>
#include <string>
#include <utility>
#include <variant>

namespace dpaccel {

struct Error {
  std::string message;
};

// printf-style Error construction (g++ 12 has no std::format).
[[gnu::format(printf, 1, 2)]] Error errorf(const char* fmt, ...);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error e) : v_(std::move(e)) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }
  const std::string& error() const { return std::get<1>(v_).message; }
  Error take_error() { return std::move(std::get<1>(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e.message)), failed_(true) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return err_; }
  Error take_error() { return Error{std::move(err_)}; }

 private:
  std::string err_;
  bool failed_ = false;
};

}  // namespace dpaccel
