// Leveled logs to stderr, one line per event.
#pragma once

#include <string>

namespace duet::daemon {

// level: trace, debug, info, warn, error, critical, off (already validated by the config).
void setup_logging(const std::string& level);

}  // namespace duet::daemon
