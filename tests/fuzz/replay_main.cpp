// The replay runner: in builds without libFuzzer (gcc, the ASan build), each fuzz target is linked
// with this main and run over its seed corpus and its kept findings, so every input that ever
// crashed a parser or broke a property stays a test in every build.
//
//   fuzz_replay_<target> DIR_OR_FILE...   exit 0 when every input passed; a failing input aborts;
//                                         absent paths are skipped, but no input at all fails
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
    std::vector<std::filesystem::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path p(argv[i]);
        if (std::filesystem::is_directory(p)) {
            for (const auto& e : std::filesystem::directory_iterator(p))
                if (e.is_regular_file() && e.path().filename() != "README.md") inputs.push_back(e.path());
        } else if (std::filesystem::exists(p)) {
            inputs.push_back(p);
        }  // a target without kept findings has no regressions/<target>/ directory
    }
    if (inputs.empty()) {
        std::fprintf(stderr, "no inputs: a target without a seed corpus tests nothing\n");
        return 2;
    }
    for (const auto& p : inputs) {
        std::ifstream in(p, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::fprintf(stderr, "replay %s (%zu bytes)\n", p.c_str(), bytes.size());
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    }
    std::printf("%zu inputs passed\n", inputs.size());
    return 0;
}
