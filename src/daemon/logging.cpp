#include "logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace duet::daemon {

void setup_logging(const std::string& level) {
  // Not the color sink: stderr is usually a journal or a file, and escape codes would end up in it.
  auto logger = spdlog::stderr_logger_mt("duet");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [%t] %v");
  logger->set_level(spdlog::level::from_str(level));
  // Warnings and errors reach the terminal or journal at once even under a buffered stderr.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace duet::daemon
