// The hook through which the store reports every change of a binding, for the replication layer
// (a later issue) to copy into its bounded queue. No sink is installed by default: the store then
// pays one null-pointer test per change.
#pragma once

#include <cstdint>

namespace duet::registrar {

struct Binding;
class BindingStore;

enum class ChangeKind : std::uint8_t {
  added,      // a new binding
  refreshed,  // same contact and flow, new expiry/CSeq
  updated,    // contact, Call-ID, path or flow changed (e.g. RFC 5626 flow replaced)
  removed,    // expires=0 or Contact: *
  expired,    // its expiry time passed
};

class ChangeSink {
 public:
  virtual ~ChangeSink() = default;
  // Called on the owning loop's thread after the change is applied; for removed/expired, just
  // before the binding is freed (copy what is needed: this is where tombstones are made). Must
  // not modify the store.
  virtual void on_binding_change(const BindingStore& store, ChangeKind kind, const Binding& b) noexcept = 0;
};

}  // namespace duet::registrar
