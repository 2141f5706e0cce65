// The metrics as Prometheus sees them: a real prometheus-node-exporter (Debian's package) on
// loopback, its textfile collector pointed at a temp dir where `plan --metrics-file` writes, every
// other collector off. GET /metrics must show our series with the plan's values.
#include "tests/ops/prom_text.hpp"
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace fs = std::filesystem;
using namespace layergc::testing;

namespace {

constexpr const char* kNodeExporter = "/usr/bin/prometheus-node-exporter";

int free_loopback_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(s);
        return -1;
    }
    ::close(s);
    return ntohs(a.sin_port);
}

// GET http://127.0.0.1:port/path; "" if nothing answers. HTTP/1.0: the server closes.
std::string http_get(int port, const std::string& path) {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(s);
        return "";
    }
    const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(s, req.data(), req.size(), MSG_NOSIGNAL) != ssize_t(req.size())) {
        ::close(s);
        return "";
    }
    std::string resp;
    char buf[8192];
    for (ssize_t n; (n = ::recv(s, buf, sizeof buf, 0)) > 0;) resp.append(buf, size_t(n));
    ::close(s);
    const auto body = resp.find("\r\n\r\n");
    if (resp.rfind("HTTP/1.", 0) != 0 || resp.find(" 200 ") == std::string::npos || body == std::string::npos)
        return "";
    return resp.substr(body + 4);
}

// node_exporter on loopback, stopped (by its own pid) when the object dies.
class NodeExporter {
public:
    NodeExporter(const fs::path& textfile_dir, const fs::path& log) {
        port_ = free_loopback_port();
        const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
        const std::string textfile = "--collector.textfile.directory=" + textfile_dir.string();
        pid_ = ::fork();
        if (pid_ == 0) {
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::execl(kNodeExporter, kNodeExporter, listen.c_str(), "--collector.disable-defaults",
                    "--collector.textfile", textfile.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
    }
    ~NodeExporter() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    int port() const { return port_; }
    // /metrics once it answers (up to 20 s).
    std::string metrics() const {
        for (int i = 0; i < 200; ++i) {
            if (auto body = http_get(port_, "/metrics"); !body.empty()) return body;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return "";
    }

private:
    pid_t pid_ = -1;
    int port_ = -1;
};

}  // namespace

TEST(NodeExporter, ServesOurSeriesWithThePlansValues) {
    ASSERT_TRUE(fs::exists(kNodeExporter)) << "install prometheus-node-exporter (make deps)";
    TempDir t;
    generate_root(t.path(), "overlay2", "--seed 11");
    const auto textfile = t.path() / "textfile";
    fs::create_directory(textfile);
    const auto r =
        run_layergc("--root " + sh_quote((t.path() / "root").string()) +
                    " plan --format json --metrics-file " + sh_quote((textfile / "layergc.prom").string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto plan = nlohmann::json::parse(r.out);
    ASSERT_GT(plan["summary"]["candidates"].get<int>(), 0);

    NodeExporter ne(textfile, t.path() / "node_exporter.log");
    ASSERT_GT(ne.port(), 0);
    const std::string body = ne.metrics();
    ASSERT_FALSE(body.empty()) << "node_exporter did not answer on 127.0.0.1:" << ne.port();
    const auto m = parse_prom_text(body);

    // node_exporter read the file without error (an unparsable file sets this to 1).
    EXPECT_EQ(m.at("node_textfile_scrape_error"), 0) << body.substr(0, 2000);
    const std::string root = "root=\"" + plan["root"].get<std::string>() + "\"";
    for (const auto& [kind, v] : plan["summary"]["by_kind"].items()) {
        EXPECT_EQ(m.at("layergc_candidates{kind=\"" + kind + "\"," + root + "}"), v["count"].get<double>())
            << kind;
        EXPECT_EQ(m.at("layergc_reclaimable_bytes{kind=\"" + kind + "\"," + root + "}"),
                  v["bytes"].get<double>())
            << kind;
    }
    EXPECT_EQ(m.at("layergc_candidates{kind=\"interrupted-write\"," + root + "}"),
              plan["summary"]["by_kind"]
                  .value("interrupted-write", nlohmann::json{{"count", 0}})["count"]
                  .get<double>());
    EXPECT_EQ(m.at("layergc_last_run_success{" + root + "}"), 1);
    EXPECT_EQ(m.at("layergc_plan_advisory{" + root + "}"), 0);
    EXPECT_EQ(m.at("layergc_info{driver=\"overlay2\"," + root + ",version=\"" +
                   plan["layergc_version"].get<std::string>() + "\"}"),
              1);
    EXPECT_EQ(m.count("layergc_last_run_duration_seconds{" + root + "}"), 1u);
    EXPECT_EQ(m.at("layergc_problems_by_severity{" + root + ",severity=\"blocking\"}"), 0);
    // Only the textfile collector runs: no CPU series.
    EXPECT_EQ(body.find("node_cpu_seconds_total"), std::string::npos);
}
