// Differential test against Go itself (issue 10, item 1; docs/safety.md "Decode parity with
// dockerd"): image configs and containers' config.v2.json, odd but valid, decoded by Go's
// encoding/json (tests/godiff/godecode.go, the struct shapes dockerd decodes into) and by
// layergc. For every input:
//  - Go and go_json agree on whether the syntax is valid, and on every decoded token (keys and
//    strings after Go's surrogate and invalid-UTF-8 replacement, numbers, literals, in order);
//  - image configs: layergc's live chains contain every chain of what Go decoded; what Go decodes
//    without error (and with sha256 diff IDs) layergc reads too, and its model of Go's merging
//    gives exactly Go's diff_ids;
//  - containers: the Driver Go decoded is one of layergc's readings; layergc says dead only when
//    Go decoded Dead, and reads every config Go decodes without error.
// Inputs: tests/godiff/corpus (hand-written cases), the image_config fuzz corpus, and a few
// hundred seeded mutations of a base config (duplicate keys, case and fold variants, escaped
// keys, whitespace, surrogates, invalid UTF-8, trailing data). LAYERGC_GODIFF_SEED=<n> and
// LAYERGC_GODIFF_COUNT=<n> change the generated set; a failure prints the file to replay.
#include "core/digest/sha256.hpp"
#include "core/docker/go_json.hpp"
#include "core/docker/metadata.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace layergc;
using namespace layergc::docker;
using nlohmann::json;

namespace {

const fs::path kSource = LAYERGC_SOURCE_DIR;
const fs::path kGodecode = fs::path(LAYERGC_BINARY_DIR) / "bin" / "layergc_godecode";

struct Output {
    int status = -1;
    std::string out;
};

Output run(const std::string& cmd) {
    Output o;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return o;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
    const int st = ::pclose(p);
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return o;
}

std::string read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void write_file(const fs::path& p, const std::string& data) {
    std::ofstream(p, std::ios::binary) << data;
}

// The token stream Go's Decoder.Token gives for the document (godecode.go tokens()).
std::vector<std::string> token_stream(const GoJson& d) {
    std::vector<std::string> out;
    struct Frame {
        GoJson::Index node, child;
    };
    std::vector<Frame> stack;
    const auto emit = [&](GoJson::Index n) {
        switch (d.kind(n)) {
            case JsonKind::null:
                out.emplace_back("null");
                break;
            case JsonKind::boolean:
                out.emplace_back(d.boolean(n) ? "b:true" : "b:false");
                break;
            case JsonKind::number:
                out.push_back("n:" + std::string(d.text(n)));
                break;
            case JsonKind::string:
                out.push_back("s:" + std::string(d.text(n)));
                break;
            case JsonKind::array:
            case JsonKind::object:
                out.emplace_back(d.kind(n) == JsonKind::object ? "{" : "[");
                stack.push_back({n, d.first(n)});
                break;
        }
    };
    emit(d.root());
    while (!stack.empty()) {
        const Frame f = stack.back();
        if (f.child == GoJson::none) {
            out.emplace_back(d.kind(f.node) == JsonKind::object ? "}" : "]");
            stack.pop_back();
            continue;
        }
        stack.back().child = d.next(f.child);
        if (d.kind(f.node) == JsonKind::object) out.push_back("k:" + std::string(d.key(f.child)));
        emit(f.child);
    }
    return out;
}

// ---- generated variants ----------------------------------------------------------------------

struct Member {
    std::string key;    // JSON text of the key, quotes included
    std::string value;  // JSON text of the value
};

class Mutator {
public:
    explicit Mutator(uint32_t seed) : rng_(seed) {}

    size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

    // A key Go matches to `name`: case changes, 's'/'k' as long s / Kelvin (raw or escaped),
    // ASCII characters as \u escapes.
    std::string key_variant(const std::string& name) {
        std::string k = "\"";
        for (char c : name) {
            const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if ((lower == 's' || lower == 'k') && chance(0.2)) {
                const bool s = lower == 's';
                k += chance(0.5) ? (s ? "\xC5\xBF" : "\xE2\x84\xAA") : (s ? "\\u017f" : "\\u212a");
                continue;
            }
            char out = c;
            if (std::isalpha(static_cast<unsigned char>(c)) && chance(0.4))
                out = static_cast<char>(chance(0.5) ? std::toupper(static_cast<unsigned char>(c)) : lower);
            if (chance(0.08)) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(out));
                k += buf;
            } else {
                k += out;
            }
        }
        return k + "\"";
    }

    // A string full of what Go replaces with U+FFFD, and a valid pair now and then.
    std::string odd_string() {
        static const char* pieces[] = {"\\ud800",
                                       "\\udfff",
                                       "\\udbff\\udfff",
                                       "\\ude00\\ud83d",
                                       "\\ud83d\\ude00",
                                       "\\ud83d\\u0041",
                                       "\xff",
                                       "\xc0\xaf",
                                       "\xed\xa0\x80",
                                       "\xf4\x90\x80\x80",
                                       "\xe2\x84",
                                       "\xc3\xa9",
                                       "x",
                                       " ",
                                       "\\n",
                                       "\\u0000",
                                       "\\\"",
                                       "\xef\xbf\xbd"};
        std::string s = "\"";
        for (size_t i = 0, n = 1 + pick(6); i < n; ++i) s += pieces[pick(std::size(pieces))];
        return s + "\"";
    }

    std::string ws() {
        static const char* w[] = {"", "", "", " ", "\t", "\n", "\r\n", "  \t "};
        return w[pick(std::size(w))];
    }

    std::string render(const std::vector<Member>& members, bool spaced) {
        std::string s = "{";
        for (size_t i = 0; i < members.size(); ++i) {
            if (i) s += (spaced ? ws() : "") + ",";
            s += (spaced ? ws() : "") + members[i].key + (spaced ? ws() : "") + ":" + (spaced ? ws() : "") +
                 members[i].value;
        }
        return s + (spaced ? ws() : "") + "}";
    }

    std::mt19937 rng_;
};

std::string q(const std::string& s) {
    return "\"" + s + "\"";
}

std::vector<std::string> diff_pool() {
    std::vector<std::string> p;
    for (int i = 0; i < 6; ++i)
        p.push_back("sha256:" + digest::sha256_hex("godiff pool " + std::to_string(i)));
    return p;
}

std::string diff_array(Mutator& m, bool spaced) {
    static const auto pool = diff_pool();
    std::string s = "[";
    for (size_t i = 0, n = m.pick(5); i < n; ++i)
        s += (i ? "," : "") + (spaced ? m.ws() : "") + q(pool[m.pick(pool.size())]);
    return s + (spaced ? m.ws() : "") + "]";
}

std::string rootfs_value(Mutator& m, bool spaced) {
    switch (m.pick(8)) {
        case 0:
            return "null";
        case 1:
            return "{}";
        case 2:
            return R"({"type":"layers"})";
        case 3:
            return R"({"diff_ids":null})";
        default: {
            std::vector<Member> inner;
            if (m.chance(0.7))
                inner.push_back({m.chance(0.7) ? "\"type\"" : m.key_variant("type"), "\"layers\""});
            const size_t arrays = 1 + (m.chance(0.25) ? 1 : 0);
            for (size_t i = 0; i < arrays; ++i)
                inner.push_back({m.chance(0.5) ? "\"diff_ids\"" : m.key_variant("diff_ids"),
                                 m.chance(0.1) ? "null" : diff_array(m, spaced)});
            if (m.chance(0.2)) inner.push_back({q("comment"), m.odd_string()});
            if (m.chance(0.3)) std::shuffle(inner.begin(), inner.end(), m.rng_);
            return m.render(inner, spaced);
        }
    }
}

std::string image_variant(Mutator& m) {
    const bool spaced = m.chance(0.4);
    std::vector<Member> ms = {
        {q("architecture"), q("amd64")},
        {q("config"),
         R"({"Hostname":"","Env":["PATH=/usr/bin:/bin"],"Cmd":["/bin/sh"],"Image":"","Labels":{"a":"b"}})"},
        {q("container"), q(std::string(64, 'c'))},
        {q("created"), q("2026-11-27T16:42:20.570542967Z")},
        {q("docker_version"), q("20.10.24+dfsg1")},
        {q("history"),
         R"([{"created":"2026-11-27T16:42:20.570542967Z","created_by":"/bin/sh -c #(nop) ADD file:x in / "}])"},
        {q("os"), q("linux")},
        {q("rootfs"), rootfs_value(m, spaced)},
    };
    for (size_t i = 0, n = 1 + m.pick(4); i < n; ++i) {
        switch (m.pick(7)) {
            case 0:
            case 1:  // another rootfs, anywhere, under any key Go matches
                ms.insert(ms.begin() + static_cast<long>(m.pick(ms.size() + 1)),
                          Member{m.key_variant("rootfs"), rootfs_value(m, spaced)});
                break;
            case 2:  // the existing rootfs's key in another case
                for (auto& mem : ms)
                    if (mem.key == "\"rootfs\"") mem.key = m.key_variant("rootfs");
                break;
            case 3:  // odd strings in places dockerd does not read for layers
                ms.push_back({m.chance(0.5) ? q("comment") : m.key_variant("author"), m.odd_string()});
                break;
            case 4:  // an unknown key that is nearly rootfs
                ms.push_back({m.chance(0.5) ? q("root_fs") : m.odd_string(), rootfs_value(m, spaced)});
                break;
            case 5:
                std::shuffle(ms.begin(), ms.end(), m.rng_);
                break;
            case 6:  // other keys in other cases
                ms[m.pick(ms.size())].key = m.key_variant("os");
                break;
        }
    }
    // Now and then something Go's Unmarshal refuses: a byte-order mark, trailing data.
    static const char* heads[] = {"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "\xef\xbb\xbf"};
    static const char* tails[] = {"", "", "", "", "", "", "", "", "", "", "", "", "", "x", "{}", "\f"};
    return heads[m.pick(std::size(heads))] + (spaced ? m.ws() : "") + m.render(ms, spaced) +
           (spaced ? m.ws() : "") + tails[m.pick(std::size(tails))];
}

std::string state_value(Mutator& m) {
    static const char* deads[] = {"true", "false", "null", "\"true\"", "1"};
    switch (m.pick(6)) {
        case 0:
            return "null";
        case 1:
            return "{}";
        default: {
            std::vector<Member> inner = {{q("Running"), "false"}};
            for (size_t i = 0, n = m.pick(3); i < n; ++i)
                inner.push_back({m.chance(0.5) ? q("Dead") : m.key_variant("Dead"),
                                 m.chance(0.7) ? "true" : deads[m.pick(5)]});
            if (m.chance(0.3)) std::shuffle(inner.begin(), inner.end(), m.rng_);
            return m.render(inner, false);
        }
    }
}

std::string container_variant(Mutator& m) {
    static const char* drivers[] = {"\"overlay2\"", "\"aufs\"", "\"vfs\"", "\"\"", "null", "5", "\"btrfs\""};
    const bool spaced = m.chance(0.4);
    std::vector<Member> ms = {
        {q("StreamConfig"), "{}"},
        {q("State"), m.chance(0.5) ? R"({"Running":false,"Dead":true,"Pid":0})"
                                   : R"({"Running":false,"Dead":false,"Pid":0})"},
        {q("ID"), q(std::string(64, 'a'))},
        {q("Created"), q("2026-11-27T16:42:20.570542967Z")},
        {q("Name"), q("/gc-c1")},
        {q("Driver"), q("overlay2")},
        {q("OS"), q("linux")},
    };
    for (size_t i = 0, n = 1 + m.pick(4); i < n; ++i) {
        switch (m.pick(6)) {
            case 0:
                ms.insert(ms.begin() + static_cast<long>(m.pick(ms.size() + 1)),
                          Member{m.key_variant("Driver"), drivers[m.pick(std::size(drivers))]});
                break;
            case 1:
                ms.insert(ms.begin() + static_cast<long>(m.pick(ms.size() + 1)),
                          Member{m.key_variant("State"), state_value(m)});
                break;
            case 2:
                for (auto& mem : ms)
                    if (mem.key == "\"Driver\"" || mem.key == "\"State\"")
                        mem.key = m.key_variant(mem.key.substr(1, mem.key.size() - 2));
                break;
            case 3:
                ms.push_back({m.key_variant("Name"), m.odd_string()});
                break;
            case 4:
                std::shuffle(ms.begin(), ms.end(), m.rng_);
                break;
            case 5:
                ms.push_back({m.odd_string(), drivers[m.pick(std::size(drivers))]});
                break;
        }
    }
    std::string text = (spaced ? m.ws() : "") + m.render(ms, spaced);
    static const char* tails[] = {
        "", "\n", " \n", "\n{\"Driver\":\"aufs\"}", "garbage\xff", "{\"Driver\":", "]"};
    return text + tails[m.pick(std::size(tails))];
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

std::vector<std::string> strings_of(const json& a) {
    std::vector<std::string> out;
    for (const auto& x : a) out.push_back(x.get<std::string>());
    return out;
}

class GoDifferential : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(fs::exists(kGodecode))
            << kGodecode << " is missing: install golang-go (make deps) and rebuild";
    }
    void TearDown() override {
        if (::testing::Test::HasFailure() && std::getenv("LAYERGC_GODIFF_KEEP")) tmp_.keep();
    }
    layergc::testing::TempDir tmp_{"/tmp", "lg-godiff-"};
    const fs::path& dir_ = tmp_.path();
};

}  // namespace

TEST_F(GoDifferential, LayergcReadsAtLeastWhatGoReads) {
    // The inputs.
    size_t corpus = 0;
    for (const auto& e : fs::directory_iterator(kSource / "tests/godiff/corpus")) {
        fs::copy_file(e.path(), dir_ / e.path().filename());
        ++corpus;
    }
    for (const auto& e : fs::directory_iterator(kSource / "tests/fuzz/corpus/image_config")) {
        fs::copy_file(e.path(), dir_ / ("image-fuzzcorpus-" + e.path().filename().string()));
        ++corpus;
    }
    const char* seed_env = std::getenv("LAYERGC_GODIFF_SEED");
    const char* count_env = std::getenv("LAYERGC_GODIFF_COUNT");
    const uint32_t seed = seed_env ? static_cast<uint32_t>(std::strtoul(seed_env, nullptr, 10)) : 20261127u;
    const int count = count_env ? std::atoi(count_env) : 300;
    Mutator m(seed);
    char name[64];
    for (int i = 0; i < count; ++i) {
        std::snprintf(name, sizeof name, "image-gen-%04d", i);
        write_file(dir_ / name, image_variant(m));
        std::snprintf(name, sizeof name, "container-gen-%04d", i);
        write_file(dir_ / name, container_variant(m));
    }

    // What Go decodes.
    const auto go = run(kGodecode.string() + " " + dir_.string());
    ASSERT_EQ(go.status, 0) << go.out;
    std::istringstream lines(go.out);
    std::string line;
    size_t images = 0, containers = 0, go_merged = 0, go_refused_syntax = 0, go_dead = 0, several_drivers = 0;
    while (std::getline(lines, line)) {
        const json r = json::parse(line);
        const std::string file = r["name"];
        const std::string data = read_file(dir_ / file);
        SCOPED_TRACE("input " + (dir_ / file).string() + " (seed " + std::to_string(seed) +
                     "; LAYERGC_GODIFF_KEEP=1 keeps it)");
        const bool is_container = r.contains("container");
        const auto doc = parse_go_json(data, is_container ? GoJsonMode::decoder : GoJsonMode::unmarshal);
        ASSERT_EQ(doc.ok(), r["valid"].get<bool>()) << "syntax: Go says " << r["valid"] << ", go_json says "
                                                    << (doc.ok() ? "valid" : doc.error().message);
        if (!doc.ok()) ++go_refused_syntax;
        if (doc.ok()) {
            EXPECT_EQ(token_stream(doc.value()), strings_of(r["tokens"])) << "decoded tokens differ";
        }

        if (!is_container) {
            ++images;
            const json& g = r["image"];
            const auto go_diffs = strings_of(g["diff_ids"]);
            const auto p = parse_image_config(data);
            if (p.ok) {
                for (const auto& c : strings_of(g["chains"])) {
                    EXPECT_TRUE(contains(p.chains, c)) << "Go's chain " << c << " is not live for layergc";
                }
            }
            const bool go_loads = g["err"].get<std::string>().empty();
            const bool sha_only = std::all_of(go_diffs.begin(), go_diffs.end(), [](const std::string& d) {
                return digest::is_sha256_digest(d);
            });
            if (go_loads && sha_only) {
                EXPECT_TRUE(p.ok) << "Go loads it, layergc refuses: " << p.error;
                ASSERT_TRUE(p.go_reading.has_value());
                EXPECT_EQ(*p.go_reading, go_diffs) << "layergc's model of Go's merging is wrong";
            }
            if (p.ok && p.readings.size() > 1) ++go_merged;
        } else {
            ++containers;
            const json& g = r["container"];
            const auto p = parse_container_config(data);
            const bool go_loads = g["err"].get<std::string>().empty();
            if (go_loads) {
                EXPECT_TRUE(p.ok) << "Go loads it, layergc does not: " << p.error;
            }
            if (p.ok) {
                EXPECT_TRUE(contains(p.drivers, g["driver"].get<std::string>()))
                    << "Go's Driver " << g["driver"] << " is not among layergc's readings";
                if (p.dead) {
                    EXPECT_TRUE(g["dead"].get<bool>() && !g["state_nil"].get<bool>())
                        << "layergc says dead, Go does not";
                }
                if (p.drivers.size() > 1) ++several_drivers;
            }
            if (g["dead"].get<bool>()) ++go_dead;
        }
    }
    EXPECT_EQ(images + containers, corpus + 2 * static_cast<size_t>(count))
        << "Go did not decode every input";
    std::printf(
        "godiff: %zu image configs (%zu with several readings), %zu container configs (%zu with "
        "several Driver readings, %zu dead for Go), %zu refused by Go's syntax\n",
        images, go_merged, containers, several_drivers, go_dead, go_refused_syntax);
    // The generated set exercises what it is for.
    if (count >= 300) {
        EXPECT_GT(go_merged, 30u);
        EXPECT_GT(go_dead, 30u);
        EXPECT_GT(several_drivers, 30u);
        EXPECT_GT(go_refused_syntax, 20u);
    }
}

// go_json_key_matches folds exactly the non-ASCII runes that Go's Unicode tables fold to an
// ASCII letter (encoding/json@go1.21 folds keys with unicode.SimpleFold; go1.19 special-cases
// the same two runes in equalFoldRight).
TEST_F(GoDifferential, NonAsciiFoldsAreGos) {
    const auto go = run(kGodecode.string() + " -folds");
    ASSERT_EQ(go.status, 0) << go.out;
    std::set<std::pair<uint32_t, char>> from_go, ours;
    std::istringstream lines(go.out);
    std::string line;
    while (std::getline(lines, line)) {
        unsigned r = 0;
        char c = 0;
        ASSERT_EQ(std::sscanf(line.c_str(), "%u %c", &r, &c), 2) << line;
        from_go.insert({r, c});
    }
    for (const auto& [r, c] : go_json_non_ascii_folds()) ours.insert({static_cast<uint32_t>(r), c});
    EXPECT_EQ(ours, from_go);
}
