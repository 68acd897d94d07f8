// The Ape-X run's key-value store on c10d's TCPStore (bellman/core/kv_store.h): rank 0 serves it
// at MASTER_ADDR:MASTER_PORT, the other ranks connect. Torch-free header (the CLI includes it).
#pragma once

#include <memory>

#include "bellman/core/kv_store.h"
#include "bellman/dist/gloo.h"

namespace bellman::dist {

// serve: this process listens on MASTER_PORT (the learner); else it connects, retrying for up to
// timeout_s (StoreUnreachable after that). Every later call waits at most timeout_s.
std::unique_ptr<KeyValueStore> OpenStore(const WorldInfo& world, bool serve, double timeout_s);

}  // namespace bellman::dist
