// Parser bugs the fuzzers found and that are reported to the parser's owner. Each switch lets the
// fuzzers run on past one known bug instead of stopping at it in every CI run. When the parser is
// fixed, set the switch to false so the fuzzers check the behaviour again (the reproducers are in
// the fuzzing report).
#pragma once

namespace duet::fuzz {

// uri_equal(u, u) is false when u repeats a parameter with different values
// ("sip:a@b;user=x;user=y"): params_equal() looks each name up with find_param(), which finds the
// first occurrence only. Fixed in c9e98dc.
inline constexpr bool kKnownUriDuplicateParams = false;

// next_frame() rejects a header line still waiting for its LF once it exceeds max_line_length, but
// accepts a complete line of max_line_length + 2 bytes: a line of max_line_length characters passes
// when it arrives in one read and closes the stream when TCP splits it. Fixed in c9e98dc.
inline constexpr bool kKnownFramerPartialLineLimit = false;

}  // namespace duet::fuzz
