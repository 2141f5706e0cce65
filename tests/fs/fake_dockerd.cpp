// A stand-in for dockerd in the daemon-guard tests: built as an executable named "dockerd" so
// its argv[0] basename and /proc/<pid>/comm are those of the real daemon. It only waits; the
// test kills it by pid. The time limit is a backstop should the test itself die.
#include <unistd.h>

int main() {
    for (int i = 0; i < 600; ++i) ::sleep(1);
    return 0;
}
