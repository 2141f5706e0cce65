// Reading the JSON message stream that `POST /build` answers with. With version=2 (BuildKit)
// the progress comes as `{"id":"moby.buildkit.trace","aux":"<base64>"}` messages whose payload
// is a protobuf moby.buildkit.v1.StatusResponse; we decode just enough of it to know each
// step's name and whether BuildKit answered it from its cache (what `docker buildx` prints as
// "CACHED").
#pragma once

#include <map>
#include <string>
#include <vector>

namespace layergc::e2e {

struct BuildVertex {
    std::string name;     // e.g. "[2/4] RUN echo bk-one > /bk1"
    bool cached = false;  // true if any update for this vertex said so
    std::string error;
};

struct BuildStream {
    bool succeeded = false;           // an image ID was reported and no error message came
    std::string image_id;             // "sha256:…" from moby.image.id (BuildKit) or aux.ID (classic)
    std::vector<std::string> errors;  // "error" fields of the stream, vertex errors
    std::string text;                 // the classic builder's "stream" lines, concatenated
    std::map<std::string, BuildVertex> vertexes;  // by vertex digest

    // The vertexes whose name is a Dockerfile step of the given instruction ("RUN", "COPY").
    std::vector<BuildVertex> steps(const std::string& instruction) const;
};

// Parses the whole response body. Unparseable lines are recorded in `errors`.
BuildStream parse_build_stream(const std::string& body);

// Exposed for tests of the decoder itself.
std::string base64_decode(const std::string& in);
std::vector<BuildVertex> decode_status_response_vertexes(const std::string& protobuf,
                                                         std::vector<std::string>* digests);

}  // namespace layergc::e2e
