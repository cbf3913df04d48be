#pragma once
// Record files: the small text files compose keeps (the app's spec, its state). One record per
// line, fields separated by tabs, with \t, \n and \\ escaped inside a field. Plain enough that the
// lean `tproc ps` reads them without a YAML or JSON library, and that a human can read them too.

#include <string>
#include <vector>

#include "common/result.hpp"

namespace tproc::compose {

/// One line: its fields.
using Record = std::vector<std::string>;

/// Writes `records` to `path` atomically (a temp file renamed over it), mode 0600.
Result<void> write_records(const std::string& path, const std::vector<Record>& records);

/// Reads the records of `path`; ENOENT when it does not exist.
Result<std::vector<Record>> read_records(const std::string& path);

/// One record as its line (without the newline).
std::string encode_record(const Record& record);

/// The fields of one line.
Record decode_record(const std::string& line);

}  // namespace tproc::compose
