// Result<T, E>: a value or an error, for everything in core that can fail on input or I/O.
// Exceptions are for bugs (and the CLI layer); expected failures travel as values.
//
// E defaults to Error (a message and the errno behind it), which is what most of core returns and
// callers only report. An area whose callers branch on what went wrong returns
// Result<T, CodedError<Code>> with an enum of its own (apply::ApplyErrc, ...), in the manner of
// osquery's Expected<T, E>: the code says what happened, the message says it to a person.
// A failure about one item of a batch (a candidate, a quarantine run) is a Failure: the item, the
// path and the error, kept apart all the way to the JSON.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace layergc {

struct Error {
    std::string message;  // what failed, with the path or ID it is about
    int sys_errno = 0;    // the errno behind it, 0 if none
};

// An error of one area: `code` for the caller to branch on, message and errno as in Error.
template <class Code>
struct CodedError {
    Code code{};
    std::string message;
    int sys_errno = 0;
};

// One item of a batch that could not be done: which item (a candidate or run ID, or the step of
// the run: "audit-log", "quarantine"), the path it is about ("" when none), and the error as a
// person reads it (it may name the path again, as the message of the call that failed did).
struct Failure {
    std::string id;
    std::string path;
    std::string error;
};

// "<id>: <error>", the one line a failure is shown as (text output, the JSON's `failed`).
inline std::string to_line(const Failure& f) {
    return f.id + ": " + f.error;
}

template <class T, class E = Error>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    const E& error() const { return std::get<1>(v_); }

private:
    std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
public:
    Result() = default;
    Result(E error) : err_(std::move(error)), ok_(false) {}  // NOLINT
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const E& error() const { return err_; }

private:
    E err_{};
    bool ok_ = true;
};

inline Error make_error(std::string message, int sys_errno = 0) {
    return Error{std::move(message), sys_errno};
}

}  // namespace layergc
