// Work handed from one worker to another. Intrusive so that posting never allocates: the poster
// allocates the task (usually embedding it in a bigger struct) and run() frees it.
#pragma once

namespace duet::transport {

class Worker;

struct Task {
  Task* next = nullptr;
  // Runs on the target worker's thread; owns t from then on (it must free it).
  void (*run)(Worker& w, Task* t) = nullptr;
};

}  // namespace duet::transport
