#pragma once
// The Protobuf JSON mapping (proto3, field names as in the .proto), printed by reflection
// straight into a string. util::MessageToJsonString re-serializes the message and walks it
// through a type resolver and a stream of events: about 20 times slower, which made it the
// whole cost of an export. The output is the same JSON (tests/unit/proto_json_test.cpp keeps
// it so): set fields only (proto3 defaults omitted), 64-bit integers as strings, bytes in
// base64, enums by name. Messages this printer does not cover (maps, well-known types) are
// handed to util::MessageToJsonString.
#include <google/protobuf/message.h>

#include <string>

#include "orderline/v1/envelope.pb.h"

namespace orderline::cli {

// Appends `message` as one JSON object to `out`.
void append_proto_json(const google::protobuf::Message& message, std::string& out);

// The same for an event envelope, by its generated accessors instead of reflection (an export
// prints one per event). If envelope.proto no longer has exactly the fields this was written
// for, it hands the envelope to append_proto_json instead.
void append_envelope_json(const v1::EventEnvelope& envelope, std::string& out);

}  // namespace orderline::cli
