// sha256 (OpenSSL EVP) and Docker's chain IDs (docker-layout.md §2.3).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::digest {

// Lowercase hex sha256 of bytes.
std::string sha256_hex(std::string_view bytes);

// 64 lowercase hex characters.
bool is_hex64(std::string_view s);

// "sha256:" followed by 64 lowercase hex characters.
bool is_sha256_digest(std::string_view s);

// The chain ID of an ordered list of diff IDs ("sha256:<hex>" each, bottom first):
// chain[0] = diff[0]; chain[i] = "sha256:" + sha256(chain[i-1] + " " + diff[i]).
// Every chain in order (the last is the image's top layer); empty for no diff IDs.
std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids);

// The top chain ID, or nullopt for an image without layers.
std::optional<std::string> top_chain_id(const std::vector<std::string>& diff_ids);

}  // namespace layergc::digest
