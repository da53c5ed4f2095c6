#include "duet/replication/server_hooks.hpp"

#include "duet/replication/hlc.hpp"
#include "duet/transport/worker.hpp"

namespace duet::replication {

void ServerHooks::on_shard_start(transport::Worker& w, registrar::BindingStore& store) {
  wr_.attach(w, store);
}

void ServerHooks::on_shard_stop(transport::Worker& w) {
  wr_.detach(w);
}

void ServerHooks::collect_remote(transport::Worker& w, std::string_view aor,
                                 std::vector<server::BindingRow>& out) {
  const RemoteView& view = wr_.view(w.index());
  const std::uint64_t now = wall_ms();
  auto add = [&](const std::string& a, const RemoteBinding& b) {
    const std::uint32_t left = b.info.remaining_s(now);
    if (left == 0) return;  // expired at the peer; its tombstone is on the way
    server::BindingRow r;
    r.site = b.info.site.empty() ? b.origin : b.info.site;
    r.aor = a;
    r.contact = b.info.contact;
    r.expires = left;
    r.received = b.info.received();
    r.user_agent = b.info.user_agent;
    r.local = false;
    r.reachable = !b.info.out_of_service;
    out.push_back(std::move(r));
  };
  if (aor.empty()) {
    view.for_each(add);
  } else if (const auto* list = view.find(aor)) {
    for (const auto& b : *list) add(std::string(aor), b);
  }
}

}  // namespace duet::replication
