// A worker's life on its own thread: start reading, sweep idle connections, and the three stop
// phases Runtime::stop() walks every worker through.
#pragma once

namespace duet::transport {

class Worker;

// Thread body: on_worker_start, start every socket, run the loop until everything is closed.
void run_worker(Worker& w);

// Called when a connection closed: in the close phase the last one ends the linger wait.
void connection_closed(Worker& w);

// Installs the stop-phase tasks (quiesce, close, finish) on w's state.
void init_stop_tasks(Worker& w);

}  // namespace duet::transport
