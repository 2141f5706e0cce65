#include "core/digest/sha256.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace layergc::digest {

std::string sha256_hex(std::string_view bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    // EVP_Digest is the one-shot form; a failure here is an OpenSSL misconfiguration, a bug.
    if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("OpenSSL EVP_Digest(sha256) failed");
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(size_t{len} * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(hex[md[i] >> 4]);
        out.push_back(hex[md[i] & 0xf]);
    }
    return out;
}

bool is_hex64(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

bool is_sha256_digest(std::string_view s) {
    return s.size() == 71 && s.substr(0, 7) == "sha256:" && is_hex64(s.substr(7));
}

std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids) {
    std::vector<std::string> chains;
    chains.reserve(diff_ids.size());
    for (const auto& diff : diff_ids) {
        if (chains.empty())
            chains.push_back(diff);
        else
            chains.push_back("sha256:" + sha256_hex(chains.back() + " " + diff));
    }
    return chains;
}

std::optional<std::string> top_chain_id(const std::vector<std::string>& diff_ids) {
    auto chains = chain_ids(diff_ids);
    if (chains.empty()) return std::nullopt;
    return chains.back();
}

}  // namespace layergc::digest
