#include "signals.hpp"

#include <pthread.h>
#include <signal.h>

namespace duet::daemon {

namespace {
sigset_t stop_set() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  return s;
}
}  // namespace

void block_stop_signals() {
  const auto s = stop_set();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

int wait_for_stop_signal() {
  const auto s = stop_set();
  int sig = 0;
  while (sigwait(&s, &sig) != 0) {
  }
  return sig;
}

}  // namespace duet::daemon
