// The benchmark corpus: SIP messages read byte for byte from a directory of *.sip files.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace duet::bench {

struct CorpusMessage {
  std::string name;     // file name without ".sip", e.g. "01_register"
  std::string bytes;    // the file's exact bytes (CRLF line ends, body included)
  std::string call_id;  // found by a naive line scan, independent of every parser under test
};

// Reads every *.sip file of dir, sorted by name. Throws std::runtime_error with a clear message if
// the directory is missing or empty, a file cannot be read, or a message has no Call-ID.
std::vector<CorpusMessage> load_corpus(const std::filesystem::path& dir);

// The Call-ID value (long or compact name, any case, trimmed) of the header block; empty if none.
std::string find_call_id(std::string_view message);

}  // namespace duet::bench
