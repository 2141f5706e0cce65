// Result<T>: a value or an Error, for everything in core that can fail on input or I/O.
// Exceptions are for bugs (and the CLI layer); expected failures travel as values.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace layergc {

struct Error {
    std::string message;  // what failed, with the path or ID it is about
    int sys_errno = 0;    // the errno behind it, 0 if none
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}      // NOLINT
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return err_; }

private:
    Error err_;
    bool ok_ = true;
};

inline Error make_error(std::string message, int sys_errno = 0) {
    return Error{std::move(message), sys_errno};
}

} // namespace layergc
