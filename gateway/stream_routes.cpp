// GET /api/v1/stream without "Upgrade: websocket" (the upgrade itself never reaches the
// router: session.cpp hands the socket to a stream session first).
#include "gateway/handlers.h"
#include "gateway/problem.h"

namespace orderline::gateway::handlers {

void stream_without_upgrade(const ExchangePtr& ex) {
  auto r = problem(426, "upgrade_required",
                   "/api/v1/stream is a WebSocket endpoint: send Connection: Upgrade and Upgrade: websocket");
  r.headers.emplace_back("Upgrade", "websocket");
  ex->respond(std::move(r));
}

}  // namespace orderline::gateway::handlers
