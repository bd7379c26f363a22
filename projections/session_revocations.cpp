// The revoked logins of accounts, so every gateway refuses their access tokens before the
// tokens expire: a gateway folds the whole log into its read models (orderd serve, and each
// `orderd gateway` of the distributed deployment), so a logout served by one gateway reaches
// all of them through the log, and survives their restarts.
//   rv/s/<account_key>/<family_id> -> revoked at (us): that login's tokens are refused
//   rv/a/<account_key>             -> revoked before (s): tokens issued at or before it are refused
// Entries are a few dozen bytes per logout and are kept (a token names its login for its whole
// life; a cut-off by time would need the access-token lifetime, which is the gateways' setting).
#include <algorithm>
#include <charconv>

#include "domain/restricted_streams.h"
#include "projections/keys.h"
#include "projections/standard_projections.h"

namespace orderline::projections {
namespace {

std::int64_t number(const std::optional<std::string>& text) {
  std::int64_t value = 0;
  if (text) std::from_chars(text->data(), text->data() + text->size(), value);
  return value;
}

class SessionRevocations final : public Projection {
 public:
  std::string name() const override { return kSessionRevocationsProjection; }
  std::vector<std::string> key_prefixes() const override { return {"rv/"}; }
  void apply(const EventContext& ctx, BatchWriter& writer) override {
    if (ctx.event.event_case() != v1::EventPayload::kRefreshTokensRevoked) return;
    const std::string_view stream = ctx.envelope.stream_id();
    if (!stream.starts_with(domain::kAccountStreamPrefix)) return;
    const auto account_key = stream.substr(domain::kAccountStreamPrefix.size());
    const auto& revoked = ctx.event.refresh_tokens_revoked();
    const auto at_us = ctx.envelope.occurred_at_us();
    if (!revoked.family_id().empty()) {
      writer.put(keys::revoked_session(account_key, revoked.family_id()), std::to_string(at_us));
      return;
    }
    // Every login at once (the account closed): a cut-off by issue time, in whole seconds as
    // a token's "iat" is. Never moved back.
    const auto key = keys::revoked_account(account_key);
    const auto before_s = std::max(number(writer.get(key)), at_us / 1'000'000);
    writer.put(key, std::to_string(before_s));
  }
};

}  // namespace

std::unique_ptr<Projection> make_session_revocations_projection() { return std::make_unique<SessionRevocations>(); }

}  // namespace orderline::projections
