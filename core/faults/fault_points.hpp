// Fault injection for crash-consistency tests: a named point in a write path where a test makes
// the process die (SIGKILL, no cleanup, like a power cut) or an operation fail, chosen with the
// environment variable LAYERGC_TEST_FAULT_POINT.
//
// Only test builds honour it. The implementation is chosen when an executable is linked:
// layergc_faults (fault_points.cpp, reads the variable) for the binary the tests run, and
// layergc_no_faults (no_fault_points.cpp, does nothing) for the installed and packaged binary,
// so a release binary never reads the variable and never kills itself (CMake option
// LAYERGC_FAULT_POINTS, cli/CMakeLists.txt). Code that calls these links one of the two.
//
// Points (docs/safety.md): after-rename, after-driver-path, before-record (removal and
// quarantine); quarantine-after-manifest, quarantine-after-record (quarantine);
// restore-after-step (restore); purge-after-mark (purge). One point injects an error instead of a
// crash: rename-no-room (the first rename of a layer record fails with ENOSPC, as on a full
// directory; faults::injected).
#pragma once

namespace layergc::faults {

// Kills the process with SIGKILL when LAYERGC_TEST_FAULT_POINT names this point.
void crash_point(const char* name);

// True the first time in this process that it is asked for the point LAYERGC_TEST_FAULT_POINT
// names, false otherwise: the caller then fails as the point describes.
bool injected(const char* name);

// Whether this binary was linked with the fault points that honour the variable.
bool compiled_in();

}  // namespace layergc::faults
