// Checks of the environment before a command reads or changes anything (DESIGN §1.1: fail
// closed, and say why in words an operator can act on): who runs it, whether the data root can
// be read, whether it can be written. Each failure is one line that says what to do; the
// command then exits 2 (usage: the environment it was started in is wrong, not the root).
#pragma once

#include "core/model/problem.hpp"

#include <optional>
#include <string>

namespace layergc::cli {

enum class RootAccess {
    read,   // plan, check, df, drivers: a read-only root is fine
    write,  // apply, restore, purge: they remove or move files and lock dockerd out
};

// The reason `command` cannot run on `root`, or nullopt:
// - write: not run as root (euid 0);
// - the root, or a metadata directory below it (image/, image/<driver>/, containers/), exists
//   but cannot be listed by this user;
// - write: the root, or a directory directly below it (a driver home on a disk of its own), is
//   on a read-only filesystem.
// A root that does not exist is left to the command (its own error names it).
std::optional<std::string> preflight(const std::string& command, const std::string& root, RootAccess access);

// After a read-only command read the root as a user other than root: the problems of what could
// not be read (codes "*-unreadable") are the environment's fault, not the root's. One line that
// says what to do, or nullopt when there are none (or layergc runs as root: then they stay
// blocking problems).
std::optional<std::string> unreadable_as_user(const std::string& command, const std::string& root,
                                              const Problems& problems);

}  // namespace layergc::cli
