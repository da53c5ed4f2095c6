// Building messages without copying what did not change.
//
// ResponseBuilder writes a response into a caller buffer from a parsed request: the status line, the
// request's Via fields (top one with received/rport filled per RFC 3261 §18.2.1 / RFC 3581), From,
// To (with a tag added when asked), Call-ID and CSeq, then the caller's headers and the body.
//
// EditList records edits (insert/replace/delete at byte offsets of the original message), in the
// manner of Kamailio's lumps; the forwarded message is the original bytes with the edits applied,
// emitted as slices for writev/sendmsg or written into one buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "duet/sip/message.hpp"

namespace duet::sip {

// Appends into a fixed buffer; on overflow it stops writing and remembers that it overflowed.
class BufferWriter {
 public:
  BufferWriter(char* buf, std::size_t cap) noexcept : begin_(buf), p_(buf), end_(buf + cap) {}
  BufferWriter& put(std::string_view s) noexcept;
  BufferWriter& put(char c) noexcept;
  BufferWriter& put_uint(std::uint64_t v) noexcept;
  bool overflowed() const noexcept { return overflow_; }
  std::size_t size() const noexcept { return static_cast<std::size_t>(p_ - begin_); }
  std::string_view view() const noexcept { return {begin_, size()}; }

 private:
  char* begin_;
  char* p_;
  char* end_;
  bool overflow_ = false;
};

// What the server learnt from the packet's source (RFC 3261 §18.2.1, RFC 3581 §4).
struct ResponseViaFix {
  std::string_view received;  // non-empty: set ";received=" on the top Via
  std::uint32_t rport = 0;    // non-zero: fill ";rport" (only if the request asked for rport)
};

class ResponseBuilder {
 public:
  ResponseBuilder(char* buf, std::size_t cap) noexcept : w_(buf, cap) {}

  using ViaFix = ResponseViaFix;

  // Status line and the headers copied from the request. to_tag is added to To when the request's
  // To has no tag and status > 100 (RFC 3261 §8.2.6.2). The request's headers must be present
  // (parse() guarantees it for ok results; for error results, missing ones are skipped).
  void start(const Message& req, int status, std::string_view reason, std::string_view to_tag = {},
             const ViaFix& via = {}) noexcept;
  // One header line "name: value\r\n".
  void header(std::string_view name, std::string_view value) noexcept;
  void header_uint(std::string_view name, std::uint64_t value) noexcept;
  // Raw bytes (already formatted lines, each ending in CRLF).
  void raw(std::string_view lines) noexcept;
  // Content-Type (if body non-empty), Content-Length, the blank line and the body. Returns the
  // whole response, or an empty view if the buffer was too small.
  std::string_view finish(std::string_view body = {}, std::string_view content_type = {}) noexcept;

  BufferWriter& writer() noexcept { return w_; }

 private:
  BufferWriter w_;
};

struct Slice {
  const char* data;
  std::size_t size;
};

class EditList {
 public:
  static constexpr std::size_t kMaxEdits = 32;

  // Replace [offset, offset+remove) of the original with insert. insert must stay alive until the
  // message is sent. Returns false if there is no room or the edit overlaps an earlier one.
  bool add(std::uint32_t offset, std::uint32_t remove, std::string_view insert) noexcept;
  std::size_t size() const noexcept { return n_; }
  void clear() noexcept { n_ = 0; }

  // Size of the edited message.
  std::size_t output_size(std::string_view original) const noexcept;
  // Writes the edited message as slices (at most 2*size()+1). Returns the number of slices.
  std::size_t slices(std::string_view original, Slice* out, std::size_t max) const noexcept;
  // Writes the edited message into buf. Returns bytes written, or 0 if cap is too small.
  std::size_t write(std::string_view original, char* buf, std::size_t cap) const noexcept;

 private:
  struct Edit {
    std::uint32_t offset;
    std::uint32_t remove;
    std::string_view insert;
  };
  void sort() const noexcept;
  mutable Edit edits_[kMaxEdits];
  mutable bool sorted_ = true;
  std::size_t n_ = 0;
};

// Edits a proxy makes when forwarding a request (RFC 3261 §16.6). Each returns false if the edit
// cannot be expressed (no room, or the message lacks what it edits).
//   via_line: a complete "Via: SIP/2.0/UDP host;branch=...\r\n" line, inserted above the top Via.
bool edit_prepend_via(EditList& e, const Message& m, std::string_view via_line) noexcept;
//   Replaces the Max-Forwards value with new_value (e.g. "69"); adds the header if absent.
bool edit_set_max_forwards(EditList& e, const Message& m, std::string_view new_value,
                           std::string_view line_if_absent) noexcept;
//   Removes the first Route value (the whole field if it had one value).
bool edit_remove_first_route(EditList& e, const Message& m) noexcept;
//   Inserts a complete header line (e.g. "Record-Route: <sip:...;lr>\r\n") at the top of the
//   header block, so that it is the first of its kind.
bool edit_insert_first_header(EditList& e, const Message& m, std::string_view line) noexcept;
//   Removes the top value of the top Via (a response going back upstream, RFC 3261 §16.7 step 3).
bool edit_remove_top_via(EditList& e, const Message& m) noexcept;
//   Appends a complete header line just before the blank line (e.g. Content-Length for a stream).
bool edit_append_header(EditList& e, const Message& m, std::string_view line) noexcept;
//   Sets received and rport on the top via-parm as fix asks: what the transport of the element
//   that received the request adds before passing it on (RFC 3261 §18.2.1, RFC 3581 §4). The
//   rewritten via-parm is written into buf, which must outlive the send. Nothing is edited when
//   fix asks nothing or the via-parm does not fit in cap (it then goes on as it came).
bool edit_fix_top_via(EditList& e, const Message& m, const ResponseViaFix& fix, char* buf,
                      std::size_t cap) noexcept;

}  // namespace duet::sip
