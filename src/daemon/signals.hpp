// SIGINT and SIGTERM are blocked in every thread and taken synchronously by the main thread, so
// no handler runs in the middle of a worker's loop.
#pragma once

namespace duet::daemon {

// Call before any thread starts: the mask is inherited.
void block_stop_signals();
// Waits for SIGINT or SIGTERM; returns the signal number.
int wait_for_stop_signal();

}  // namespace duet::daemon
