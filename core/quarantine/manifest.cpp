#include "core/quarantine/manifest.hpp"

#include "core/fs/confined.hpp"
#include "core/fs/relpath.hpp"

#include <sys/random.h>

#include <cstdio>
#include <ctime>

namespace layergc::quarantine {

using nlohmann::json;

namespace {

const char* to_string(Step::Op op) {
    return op == Step::Op::rename_record ? "rename-record" : "move";
}

bool is_hex(std::string_view s, size_t n) {
    if (s.size() != n) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

bool starts_with_dir(const std::string& path, const std::string& dir) {
    return path.size() > dir.size() + 1 && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

// Why a step may not be in the manifest of `run`, or "".
std::string step_problem(const Step& st, const std::string& run) {
    if (!fs::is_safe_relpath(st.from) || !fs::is_safe_relpath(st.to))
        return "a path is not a safe relative path";
    const std::string qdir = kQuarantineDirName;
    if (st.from == qdir || starts_with_dir(st.from, qdir)) return "its source is inside the quarantine";
    if (st.op == Step::Op::move) {
        const std::string want = qdir + "/" + run + "/" + st.from;
        if (st.to != want) return "a move's target is not " + want;
        return "";
    }
    // rename-record: beside its source, <name>-<hex64>-removing, as dockerd names them.
    const std::string name(fs::last_component(st.from)), to_name(fs::last_component(st.to));
    const std::string suffix = "-removing";
    if (fs::parent_relpath(st.from) != fs::parent_relpath(st.to) ||
        to_name.size() != name.size() + 1 + 64 + suffix.size() ||
        to_name.compare(0, name.size(), name) != 0 || to_name[name.size()] != '-' ||
        !is_hex(std::string_view(to_name).substr(name.size() + 1, 64), 64) ||
        to_name.compare(to_name.size() - suffix.size(), suffix.size(), suffix) != 0)
        return "a record rename's target is not <record>-<hex64>-removing beside it";
    return "";
}

}  // namespace

std::string run_relpath(const std::string& run) {
    return std::string(kQuarantineDirName) + "/" + run;
}

std::string new_run_id(int64_t unix_time) {
    std::tm tm{};
    const std::time_t t = static_cast<std::time_t>(unix_time);
    ::gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    unsigned char b[4] = {};
    size_t got = 0;
    while (got < sizeof b) {
        const ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
        if (n > 0) got += static_cast<size_t>(n);
    }
    char hex[9];
    std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
    return std::string(stamp) + "-" + hex;
}

int64_t run_id_time(const std::string& s) {
    // YYYYMMDDTHHMMSSZ-xxxxxxxx
    if (s.size() != 25 || s[8] != 'T' || s[15] != 'Z' || s[16] != '-' ||
        !is_hex(std::string_view(s).substr(17), 8))
        return -1;
    for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14})
        if (s[i] < '0' || s[i] > '9') return -1;
    std::tm tm{};
    tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
    tm.tm_mon = std::stoi(s.substr(4, 2)) - 1;
    tm.tm_mday = std::stoi(s.substr(6, 2));
    tm.tm_hour = std::stoi(s.substr(9, 2));
    tm.tm_min = std::stoi(s.substr(11, 2));
    tm.tm_sec = std::stoi(s.substr(13, 2));
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return -1;
    return static_cast<int64_t>(::timegm(&tm));
}

bool is_run_id(const std::string& s) {
    return run_id_time(s) >= 0;
}

std::string to_json_text(const Manifest& m) {
    json groups = json::array();
    for (const auto& g : m.groups) {
        json steps = json::array();
        for (const auto& st : g.steps)
            steps.push_back({{"op", to_string(st.op)}, {"from", st.from}, {"to", st.to}});
        groups.push_back({{"ids", g.ids},
                          {"depth", g.depth},
                          {"candidates", g.candidates},
                          {"steps", steps},
                          {"restored", g.restored}});
    }
    json mt = json::array();
    for (const auto& p : m.parent_mtimes) mt.push_back({{"path", p.path}, {"mtime_ns", p.mtime_ns}});
    return json{{"schema", m.schema},
                {"run", m.run},
                {"root", m.root},
                {"driver", m.driver},
                {"created_at", m.created_at},
                {"created_unix", m.created_unix},
                {"complete", m.complete},
                {"parent_mtimes", mt},
                {"groups", groups}}
               .dump(2) +
           "\n";
}

Result<Manifest> manifest_from_json_text(const std::string& text) {
    Manifest m;
    try {
        const json j = json::parse(text);
        m.schema = j.at("schema").get<std::string>();
        if (m.schema != "layergc.quarantine/v1")
            return make_error("not a layergc.quarantine/v1 manifest (schema \"" + m.schema + "\")");
        m.run = j.at("run").get<std::string>();
        if (!is_run_id(m.run)) return make_error("the manifest's run ID \"" + m.run + "\" is not a run ID");
        m.root = j.at("root").get<std::string>();
        m.driver = j.at("driver").get<std::string>();
        m.created_at = j.value("created_at", "");
        m.created_unix = j.at("created_unix").get<int64_t>();
        m.complete = j.at("complete").get<bool>();
        for (const auto& p : j.at("parent_mtimes")) {
            ParentMtime pm{p.at("path").get<std::string>(), p.at("mtime_ns").get<int64_t>()};
            if (pm.path != "." && !fs::is_safe_relpath(pm.path))
                return make_error("the manifest names an unsafe directory \"" + pm.path + "\"");
            m.parent_mtimes.push_back(std::move(pm));
        }
        for (const auto& gj : j.at("groups")) {
            Group g;
            g.ids = gj.at("ids").get<std::vector<std::string>>();
            g.depth = gj.at("depth").get<int>();
            g.candidates = gj.at("candidates");
            g.restored = gj.value("restored", false);
            for (const auto& sj : gj.at("steps")) {
                Step st;
                const auto op = sj.at("op").get<std::string>();
                if (op == "move")
                    st.op = Step::Op::move;
                else if (op == "rename-record")
                    st.op = Step::Op::rename_record;
                else
                    return make_error("unknown step \"" + op + "\" in the manifest");
                st.from = sj.at("from").get<std::string>();
                st.to = sj.at("to").get<std::string>();
                if (auto why = step_problem(st, m.run); !why.empty())
                    return make_error("the manifest's step " + st.from + " -> " + st.to +
                                      " is refused: " + why);
                g.steps.push_back(std::move(st));
            }
            m.groups.push_back(std::move(g));
        }
    } catch (const json::exception& e) {
        return make_error(std::string("the manifest does not parse: ") + e.what());
    }
    return m;
}

}  // namespace layergc::quarantine
