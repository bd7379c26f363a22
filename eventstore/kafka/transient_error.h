#pragma once
// Consumer errors that a moment later may be gone -- a leader moving, a connection being
// re-made -- so a reader waits (librdkafka retries) instead of failing: the export's history
// reader and the event log's tail follower.
#include <librdkafka/rdkafka.h>

namespace orderline::eventstore {

inline bool is_transient_error(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
      return true;
    default:
      return false;
  }
}

}  // namespace orderline::eventstore
