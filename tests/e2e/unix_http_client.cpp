#include "unix_http_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace layergc::e2e {

namespace {

struct SocketFd {
    int fd = -1;
    ~SocketFd() {
        if (fd >= 0) close(fd);
    }
};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// RFC 9112 §7.1: size line (hex, optional extensions), data, CRLF; a zero size ends it.
std::string dechunk(const std::string& raw) {
    std::string out;
    size_t pos = 0;
    while (pos < raw.size()) {
        size_t eol = raw.find("\r\n", pos);
        if (eol == std::string::npos) throw std::runtime_error("truncated chunk size line");
        size_t size = std::stoul(raw.substr(pos, eol - pos), nullptr, 16);
        pos = eol + 2;
        if (size == 0) break;
        if (pos + size > raw.size()) throw std::runtime_error("truncated chunk");
        out.append(raw, pos, size);
        pos += size + 2;
    }
    return out;
}

// A connected AF_UNIX stream socket (close-on-exec); throws on failure.
int connect_unix(const std::string& socket_path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path)
        throw std::runtime_error("unix socket path too long: " + socket_path);
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    SocketFd sock;
    sock.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock.fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    if (connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error("connect " + socket_path + ": " + std::strerror(errno));
    return std::exchange(sock.fd, -1);
}

std::string request_head(const std::string& method, const std::string& target, size_t body_size,
                         const std::string& content_type) {
    std::string head = method + " " + target + " HTTP/1.1\r\nHost: docker\r\n" +
                       "User-Agent: layergc-e2e\r\nConnection: close\r\n";
    if (!content_type.empty()) head += "Content-Type: " + content_type + "\r\n";
    if (body_size > 0 || method == "POST") head += "Content-Length: " + std::to_string(body_size) + "\r\n";
    return head + "\r\n";
}

void send_all(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
        ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        sent += static_cast<size_t>(n);
    }
}

}  // namespace

StalledUpload::StalledUpload(const std::string& socket_path, const std::string& target,
                             const std::string& body, size_t sent, const std::string& content_type)
    : fd_(connect_unix(socket_path)) {
    try {
        // A daemon that stops reading must fail the test, not hang it.
        timeval limit{60, 0};
        if (setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) != 0)
            throw std::runtime_error(std::string("setsockopt SO_SNDTIMEO: ") + std::strerror(errno));
        send_all(fd_, request_head("POST", target, body.size(), content_type) +
                          body.substr(0, std::min(sent, body.size())));
    } catch (...) {
        close(fd_);
        throw;
    }
}

StalledUpload::~StalledUpload() {
    if (fd_ >= 0) close(fd_);
}

HttpResponse unix_http_request(const std::string& socket_path, const std::string& method,
                               const std::string& target, const std::string& body,
                               const std::string& content_type, std::chrono::seconds timeout) {
    SocketFd sock;
    sock.fd = connect_unix(socket_path);

    send_all(sock.fd, request_head(method, target, body.size(), content_type) + body);

    std::string raw;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        if (left.count() <= 0)
            throw std::runtime_error(
                method + " " + target + ": no end of response within " + std::to_string(timeout.count()) +
                " s; got so far: " + raw.substr(raw.size() > 2000 ? raw.size() - 2000 : 0));
        pollfd p{sock.fd, POLLIN, 0};
        int r = poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        char buf[65536];
        ssize_t n = recv(sock.fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
        if (n == 0) break;
        raw.append(buf, static_cast<size_t>(n));
    }

    size_t head_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos)
        throw std::runtime_error("not an HTTP/1.x response: " + raw.substr(0, 200));
    HttpResponse resp;
    resp.status = std::stoi(raw.substr(9, 3));
    size_t pos = raw.find("\r\n") + 2;
    while (pos < head_end) {
        size_t eol = raw.find("\r\n", pos);
        std::string line = raw.substr(pos, eol - pos);
        size_t colon = line.find(':');
        if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            resp.headers[lower(line.substr(0, colon))] = value;
        }
        pos = eol + 2;
    }
    std::string payload = raw.substr(head_end + 4);
    auto te = resp.headers.find("transfer-encoding");
    resp.body = te != resp.headers.end() && lower(te->second).find("chunked") != std::string::npos
                    ? dechunk(payload)
                    : payload;
    return resp;
}

}  // namespace layergc::e2e
