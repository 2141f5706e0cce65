#include "core/model/driver_scan.hpp"
#include "core/model/problem.hpp"

namespace layergc {

const char* to_string(Severity s) {
    switch (s) {
        case Severity::info:
            return "info";
        case Severity::warning:
            return "warning";
        case Severity::blocking:
            return "blocking";
    }
    return "unknown";
}

const char* to_string(Removal r) {
    switch (r) {
        case Removal::tree:
            return "tree";
        case Removal::file:
            return "file";
        case Removal::symlink:
            return "symlink";
        case Removal::subvolume:
            return "subvolume";
    }
    return "unknown";
}

}  // namespace layergc
