#include "corpus.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace duet::bench {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open corpus file " + path.string());
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw std::runtime_error("cannot read corpus file " + path.string());
  return bytes;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string find_call_id(std::string_view message) {
  std::size_t pos = message.find('\n');  // skip the start line
  while (pos != std::string_view::npos && pos + 1 < message.size()) {
    const std::size_t begin = pos + 1;
    const std::size_t end = std::min(message.find('\n', begin), message.size());
    const std::string_view line = trim(message.substr(begin, end - begin));
    if (line.empty()) break;  // end of the header block
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = trim(line.substr(0, colon));
      if (iequals_ascii(name, "Call-ID") || iequals_ascii(name, "i"))
        return std::string(trim(line.substr(colon + 1)));
    }
    pos = end;
  }
  return {};
}

std::vector<CorpusMessage> load_corpus(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw std::runtime_error("corpus directory not found: " + dir.string());
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sip") files.push_back(entry.path());
  }
  if (files.empty()) throw std::runtime_error("no *.sip message in corpus directory " + dir.string());
  std::sort(files.begin(), files.end());

  std::vector<CorpusMessage> corpus;
  for (const auto& path : files) {
    CorpusMessage m{path.stem().string(), read_file(path), {}};
    if (m.bytes.empty()) throw std::runtime_error("empty corpus file " + path.string());
    m.call_id = find_call_id(m.bytes);
    if (m.call_id.empty()) throw std::runtime_error("corpus file has no Call-ID header: " + path.string());
    corpus.push_back(std::move(m));
  }
  return corpus;
}

}  // namespace duet::bench
