// Connects the SIP service's shards to the replication layer: installs each shard's feed at
// worker start and lists the shard's remote view in binding queries.
#pragma once

#include "duet/replication/worker_replication.hpp"
#include "sip_service.hpp"

namespace duet::replication {

class ServerHooks final : public server::ShardHooks {
 public:
  explicit ServerHooks(WorkerReplication& wr) : wr_(wr) {}
  void on_shard_start(transport::Worker& w, registrar::BindingStore& store) override;
  void on_shard_stop(transport::Worker& w) override;
  void collect_remote(transport::Worker& w, std::string_view aor,
                      std::vector<server::BindingRow>& out) override;

 private:
  WorkerReplication& wr_;
};

}  // namespace duet::replication
