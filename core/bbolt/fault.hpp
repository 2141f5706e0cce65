// The ways a bbolt file can be refused (docs/bbolt-format.md). Every failure of the reader is an
// Error whose message starts with "bbolt[<fault-name>]: ", so a caller can switch on the kind with
// fault_of() while Result<T> carries only the house Error. Every fault means "this file cannot be
// trusted as a whole": the caller reports it as a blocking problem and keeps everything the
// database might name.
#pragma once

#include "core/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace layergc::bbolt {

enum class Fault {
    io,                     // open/fstat/pread failed (sys_errno set)
    not_regular_file,       // a symlink (O_NOFOLLOW), a directory, a device, a FIFO
    too_large,              // larger than Limits::max_file_bytes
    too_small,              // shorter than a meta page
    bad_magic,              // no meta page carries 0xED0CDAED
    bad_version,            // a meta page with the magic but not version 2
    bad_checksum,           // both meta pages have magic and version, neither checksum matches
    bad_meta,               // a checksummed meta with impossible values (page size, root, flags)
    page_out_of_bounds,     // a page id at or past the high-water mark or the end of the file
    page_id_mismatch,       // a page whose header names another id
    wrong_page_type,        // a page whose type flag is not the one expected there
    cycle,                  // a page reached twice in one tree (or from two buckets)
    element_out_of_bounds,  // an element, key or value that runs past its page (or inline value)
    bad_element,            // unknown element flags, an empty key
    too_deep,               // B+tree or bucket nesting deeper than Limits allow
    keys_out_of_order,      // keys not strictly ascending, or outside their branch's range
    bad_bucket_value,       // a bucket entry whose value is no bucket header / inline page
    not_a_bucket,           // a path component that is a key/value entry
    not_a_value,            // a key asked for as a value that is a bucket
    changed,                // the file changed while it was read (a writer is active)
};

// "bad-magic", "page-out-of-bounds", ...: stable names, used in messages and reports.
std::string_view fault_name(Fault f);

// An Error whose message is "bbolt[<name>]: <detail>".
Error fault_error(Fault f, const std::string& detail, int sys_errno = 0);

// The fault an Error of this reader carries; nullopt for any other Error.
std::optional<Fault> fault_of(const Error& e);

}  // namespace layergc::bbolt
