#include "build_stream.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <sstream>
#include <stdexcept>

namespace layergc::e2e {

namespace {

// The protobuf wire format (varint, length-delimited; fixed32/64 only to skip them).
struct WireReader {
    const std::string& buf;
    size_t pos = 0;

    bool done() const { return pos >= buf.size(); }
    uint64_t varint() {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= buf.size()) throw std::runtime_error("truncated varint");
            auto b = static_cast<uint8_t>(buf[pos++]);
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        throw std::runtime_error("varint too long");
    }
    std::string bytes() {
        uint64_t len = varint();
        if (len > buf.size() - pos) throw std::runtime_error("truncated field");
        std::string s = buf.substr(pos, len);
        pos += len;
        return s;
    }
    void skip(unsigned wire_type) {
        switch (wire_type) {
            case 0:
                varint();
                break;
            case 1:
                pos += 8;
                break;
            case 2:
                bytes();
                break;
            case 5:
                pos += 4;
                break;
            default:
                throw std::runtime_error("unsupported wire type " + std::to_string(wire_type));
        }
    }
};

}  // namespace

std::string base64_decode(const std::string& in) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+' || c == '-') return 62;
        if (c == '/' || c == '_') return 63;
        return -1;
    };
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = value(c);
        if (v < 0) continue;  // '=' padding and whitespace
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return out;
}

// moby/buildkit api/services/control/control.proto: StatusResponse{ repeated Vertex vertexes = 1;
// … } and Vertex{ string digest = 1; repeated string inputs = 2; string name = 3; bool cached = 4;
// Timestamp started = 5; Timestamp completed = 6; string error = 7; … }.
std::vector<BuildVertex> decode_status_response_vertexes(const std::string& protobuf,
                                                         std::vector<std::string>* digests) {
    std::vector<BuildVertex> out;
    WireReader top{protobuf};
    while (!top.done()) {
        uint64_t key = top.varint();
        if (key >> 3 != 1 || (key & 7) != 2) {
            top.skip(static_cast<unsigned>(key & 7));
            continue;
        }
        std::string vertex_bytes = top.bytes();
        WireReader v{vertex_bytes};
        BuildVertex vertex;
        std::string digest;
        while (!v.done()) {
            uint64_t k = v.varint();
            unsigned field = static_cast<unsigned>(k >> 3), type = static_cast<unsigned>(k & 7);
            if (field == 1 && type == 2)
                digest = v.bytes();
            else if (field == 3 && type == 2)
                vertex.name = v.bytes();
            else if (field == 4 && type == 0)
                vertex.cached = v.varint() != 0;
            else if (field == 7 && type == 2)
                vertex.error = v.bytes();
            else
                v.skip(type);
        }
        out.push_back(vertex);
        if (digests) digests->push_back(digest);
    }
    return out;
}

std::vector<BuildVertex> BuildStream::steps(const std::string& instruction) const {
    std::vector<BuildVertex> out;
    for (const auto& [digest, v] : vertexes) {
        // Dockerfile steps are named "[n/m] INSTRUCTION …"; internal vertexes are not.
        size_t close = v.name.find("] ");
        if (!v.name.empty() && v.name[0] == '[' && close != std::string::npos &&
            v.name.compare(close + 2, instruction.size() + 1, instruction + " ") == 0)
            out.push_back(v);
    }
    return out;
}

BuildStream parse_build_stream(const std::string& body) {
    BuildStream s;
    std::istringstream lines(body);
    std::string line;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        nlohmann::json msg = nlohmann::json::parse(line, nullptr, false);
        if (msg.is_discarded()) {
            s.errors.push_back("unparseable build message: " + line.substr(0, 300));
            continue;
        }
        if (msg.contains("error")) s.errors.push_back(msg["error"].dump());
        if (msg.contains("stream") && msg["stream"].is_string()) s.text += msg["stream"].get<std::string>();
        if (!msg.contains("aux")) continue;
        const auto& aux = msg["aux"];
        std::string id = msg.value("id", "");
        if (id == "moby.image.id" || (id.empty() && aux.is_object() && aux.contains("ID"))) {
            if (aux.is_object() && aux.contains("ID")) s.image_id = aux["ID"].get<std::string>();
        } else if (id == "moby.buildkit.trace" && aux.is_string()) {
            try {
                std::vector<std::string> digests;
                auto vs = decode_status_response_vertexes(base64_decode(aux.get<std::string>()), &digests);
                for (size_t i = 0; i < vs.size(); ++i) {
                    BuildVertex& known = s.vertexes[digests[i]];
                    if (!vs[i].name.empty()) known.name = vs[i].name;
                    known.cached = known.cached || vs[i].cached;
                    if (!vs[i].error.empty()) {
                        known.error = vs[i].error;
                        s.errors.push_back(vs[i].name + ": " + vs[i].error);
                    }
                }
            } catch (const std::exception& e) {
                s.errors.push_back(std::string("undecodable BuildKit trace: ") + e.what());
            }
        }
    }
    s.succeeded = s.errors.empty() && !s.image_id.empty();
    return s;
}

}  // namespace layergc::e2e
