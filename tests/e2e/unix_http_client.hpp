// A small HTTP/1.1 client over an AF_UNIX stream socket, enough to speak to the Docker Engine
// API: the docker CLI on these machines has no buildx, so BuildKit builds go through
// `POST /build?version=2` with a tar context in the body (DESIGN §5).
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace layergc::e2e {

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;                            // de-chunked
};

// Sends one request with `Connection: close` and reads the response to the end of the stream
// (the build endpoint streams progress until the build finishes). Throws std::runtime_error on a
// connection failure, a timeout or a response that is not HTTP/1.x.
HttpResponse unix_http_request(const std::string& socket_path, const std::string& method,
                               const std::string& target, const std::string& body = {},
                               const std::string& content_type = {},
                               std::chrono::seconds timeout = std::chrono::seconds(600));

// A POST whose body stops part-way, as from a client stalled mid-upload: the headers announce
// the whole `body` (Content-Length) but only its first `sent` bytes are sent, and the connection
// stays open, so the daemon is left waiting inside the handler, reading the rest. Destruction
// closes the connection. Throws std::runtime_error when it cannot connect or send (a send
// blocked for 60 s included).
class StalledUpload {
public:
    StalledUpload(const std::string& socket_path, const std::string& target, const std::string& body,
                  size_t sent, const std::string& content_type);
    ~StalledUpload();
    StalledUpload(const StalledUpload&) = delete;
    StalledUpload& operator=(const StalledUpload&) = delete;

private:
    int fd_ = -1;
};

}  // namespace layergc::e2e
