// A fixed pool of threads for handler work that blocks (store writes wait for their group
// commit): gRPC's callback threads must not block, so handlers hand their work over here
// and finish their reactor from the worker.
#ifndef BOOTGATE_SERVER_BOOTGATED_WORKER_POOL_H_
#define BOOTGATE_SERVER_BOOTGATED_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bootgate::service {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // runs what is queued, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> work);

 private:
  void Run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace bootgate::service

#endif  // BOOTGATE_SERVER_BOOTGATED_WORKER_POOL_H_
