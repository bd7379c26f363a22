// The pieces of accounts without a server: the account aggregate (refresh-token rotation,
// reuse detection revoking the family, logout), the order and customer ownership checks,
// password rules and argon2id, the login limiter (rate limits and lockout, on an injected
// clock), and sealing personal data with a per-customer key that can be destroyed.
#include <gtest/gtest.h>

#include "domain/aggregate.h"
#include "gateway/auth/login_limiter.h"
#include "gateway/auth/passwords.h"
#include "gateway/auth/personal_data.h"
#include "tests/support/process.h"

namespace orderline {
namespace {

using domain::AccountState;

v1::Command account_command(const std::string& key) {
  v1::Command c;
  c.set_stream_id(domain::account_stream(key));
  return c;
}

struct Account {
  domain::AggregateState state = domain::initial_state(domain::account_stream("k1"));
  domain::DecideContext ctx{1'000, {}, {}};

  domain::Decision run(const v1::Command& c) {
    auto d = domain::decide(state, c, ctx);
    if (!d.rejection) {
      for (const auto& e : d.events) domain::evolve(state, e);
    }
    return d;
  }
  const AccountState& get() const { return std::get<AccountState>(state); }

  domain::Decision register_it() {
    auto c = account_command("k1");
    auto* body = c.mutable_register_account();
    body->set_account_key("k1");
    body->set_customer_id("cust-1");
    body->set_password_hash("$argon2id$v=19$m=8,t=1,p=1$salt$hash");
    body->add_roles("customer");
    return run(c);
  }
  domain::Decision issue(const std::string& family, const std::string& hash, std::int64_t expires = 10'000) {
    auto c = account_command("k1");
    auto* body = c.mutable_issue_refresh_token();
    body->set_family_id(family);
    body->set_token_hash(hash);
    body->set_expires_at_us(expires);
    return run(c);
  }
  domain::Decision rotate(const std::string& family, const std::string& presented, const std::string& next) {
    auto c = account_command("k1");
    auto* body = c.mutable_rotate_refresh_token();
    body->set_family_id(family);
    body->set_presented_hash(presented);
    body->set_new_hash(next);
    body->set_expires_at_us(20'000);
    return run(c);
  }
};

TEST(AccountAggregate, RegistersOnceWithAnArgon2idHashAndKnownRoles) {
  Account a;
  ASSERT_FALSE(a.register_it().rejection);
  EXPECT_EQ(a.get().customer_id, "cust-1");
  EXPECT_EQ(domain::status_of(a.state), "registered");
  auto again = a.register_it();
  ASSERT_TRUE(again.rejection);
  EXPECT_EQ(again.rejection->code, "already_exists");

  Account b;
  auto c = account_command("k1");
  c.mutable_register_account()->set_password_hash("plaintext");
  c.mutable_register_account()->add_roles("customer");
  EXPECT_EQ(b.run(c).rejection->field, "password_hash");
  c.mutable_register_account()->set_password_hash("$argon2id$x");
  c.mutable_register_account()->add_roles("root");
  EXPECT_EQ(b.run(c).rejection->field, "roles");
  EXPECT_TRUE(domain::is_restricted_stream(domain::account_stream("k1")));
  EXPECT_FALSE(domain::is_restricted_stream(domain::customer_stream("k1")));
}

TEST(AccountAggregate, RefreshTokensRotateAndAReusedOneRevokesTheFamily) {
  Account a;
  a.register_it();
  ASSERT_FALSE(a.issue("f1", "h1").rejection);
  ASSERT_FALSE(a.issue("f2", "x1").rejection);
  ASSERT_FALSE(a.rotate("f1", "h1", "h2").rejection);
  EXPECT_EQ(domain::status_of(a.state), "token_rotated");
  ASSERT_FALSE(a.rotate("f1", "h2", "h3").rejection);

  // h1 was rotated out: presenting it again is accepted (the revocation must be recorded)
  // with the status that tells the gateway to refuse.
  auto reuse = a.rotate("f1", "h1", "h9");
  ASSERT_FALSE(reuse.rejection);
  ASSERT_EQ(reuse.events.size(), 1u);
  EXPECT_EQ(reuse.events[0].refresh_tokens_revoked().reason(), "reuse_detected");
  EXPECT_EQ(domain::status_of(a.state), "token_reuse_detected");
  // The current token of the family is dead too; the other login is untouched.
  EXPECT_EQ(a.rotate("f1", "h3", "h4").rejection->code, "invalid_refresh_token");
  EXPECT_FALSE(a.rotate("f2", "x1", "x2").rejection);
  // Unknown family, unknown token, expired token.
  EXPECT_EQ(a.rotate("nope", "x2", "x3").rejection->code, "invalid_refresh_token");
  EXPECT_EQ(a.rotate("f2", "forged", "x3").rejection->code, "invalid_refresh_token");
  a.issue("f3", "e1", 500);
  EXPECT_EQ(a.rotate("f3", "e1", "e2").rejection->code, "invalid_refresh_token");
}

TEST(AccountAggregate, LogoutRevokesOnlyWithATokenOfTheFamily) {
  Account a;
  a.register_it();
  a.issue("f1", "h1");
  auto c = account_command("k1");
  c.mutable_revoke_refresh_tokens()->set_family_id("f1");
  c.mutable_revoke_refresh_tokens()->set_presented_hash("someone-else");
  EXPECT_EQ(a.run(c).rejection->code, "invalid_refresh_token");
  c.mutable_revoke_refresh_tokens()->set_presented_hash("h1");
  ASSERT_FALSE(a.run(c).rejection);
  EXPECT_TRUE(a.get().family("f1")->revoked);
  EXPECT_TRUE(a.run(c).events.empty());  // again: nothing more to record
  // Closing the account (its customer was forgotten) revokes every family.
  a.issue("f2", "h2");
  auto close = account_command("k1");
  close.mutable_revoke_refresh_tokens()->set_reason("customer_forgotten");
  ASSERT_FALSE(a.run(close).rejection);
  EXPECT_TRUE(a.get().closed);
  EXPECT_TRUE(a.get().family("f2")->revoked);
}

constexpr const char* kNewHash = "$argon2id$v=19$m=8,t=1,p=1$salt$new";

v1::Command change_password(const std::string& hash, const std::string& keep) {
  auto c = account_command("k1");
  c.mutable_change_password()->set_password_hash(hash);
  c.mutable_change_password()->set_keep_family_id(keep);
  return c;
}

v1::Command request_reset(const std::string& id, const std::string& hash, std::int64_t expires_at_us) {
  auto c = account_command("k1");
  c.mutable_request_password_reset()->set_reset_id(id);
  c.mutable_request_password_reset()->set_token_hash(hash);
  c.mutable_request_password_reset()->set_expires_at_us(expires_at_us);
  return c;
}

v1::Command reset(const std::string& id, const std::string& presented) {
  auto c = account_command("k1");
  c.mutable_reset_password()->set_reset_id(id);
  c.mutable_reset_password()->set_presented_hash(presented);
  c.mutable_reset_password()->set_password_hash(kNewHash);
  return c;
}

// The families a decision revoked, in order.
std::vector<std::string> revoked_families(const domain::Decision& d) {
  std::vector<std::string> out;
  for (const auto& e : d.events) {
    if (e.has_refresh_tokens_revoked()) out.push_back(e.refresh_tokens_revoked().family_id());
  }
  return out;
}

TEST(AccountAggregate, APasswordChangeRevokesEveryLiveLoginButTheOneThatAsked) {
  Account a;
  a.register_it();
  a.issue("f1", "h1");
  a.issue("f2", "h2");
  a.issue("f3", "h3");
  auto logout = account_command("k1");
  logout.mutable_revoke_refresh_tokens()->set_family_id("f3");
  a.run(logout);

  EXPECT_EQ(a.run(change_password("plaintext", "f1")).rejection->field, "password_hash");
  EXPECT_EQ(a.run(change_password(kNewHash, "not-a-login")).rejection->field, "keep_family_id");
  auto d = a.run(change_password(kNewHash, "f1"));
  ASSERT_FALSE(d.rejection);
  // One revocation per live login (f3 is already out), named, so gateways deny those sessions.
  EXPECT_EQ(revoked_families(d), std::vector<std::string>{"f2"});
  EXPECT_EQ(d.events.back().password_changed().reason(), "password_changed");
  EXPECT_EQ(domain::status_of(a.state), "password_changed");
  EXPECT_EQ(a.get().password_hash, kNewHash);
  EXPECT_FALSE(a.get().family("f1")->revoked);
  EXPECT_TRUE(a.get().family("f2")->revoked);
  EXPECT_EQ(a.rotate("f2", "h2", "h2b").rejection->code, "invalid_refresh_token");
  EXPECT_FALSE(a.rotate("f1", "h1", "h1b").rejection);
}

TEST(AccountAggregate, AResetTokenWorksOnceBeforeItExpiresAndOnlyAsIssued) {
  Account a;  // its clock: ctx.now_us = 1'000
  a.register_it();
  a.issue("f1", "h1");
  ASSERT_FALSE(a.run(request_reset("r1", "t1", 5'000)).rejection);
  EXPECT_EQ(a.run(reset("r1", "tampered")).rejection->code, "invalid_reset_token");
  EXPECT_EQ(a.run(reset("r0", "t1")).rejection->code, "invalid_reset_token");
  // A newer request replaces the older one.
  ASSERT_FALSE(a.run(request_reset("r2", "t2", 5'000)).rejection);
  EXPECT_EQ(a.run(reset("r1", "t1")).rejection->code, "invalid_reset_token");

  auto d = a.run(reset("r2", "t2"));
  ASSERT_FALSE(d.rejection);
  EXPECT_EQ(revoked_families(d), std::vector<std::string>{"f1"});  // every login goes
  EXPECT_EQ(a.get().password_hash, kNewHash);
  EXPECT_EQ(a.run(reset("r2", "t2")).rejection->code, "invalid_reset_token");  // used up

  a.run(request_reset("r3", "t3", 2'000));
  a.ctx.now_us = 2'000;
  auto expired = a.run(reset("r3", "t3"));
  ASSERT_TRUE(expired.rejection);
  EXPECT_EQ(expired.rejection->code, "invalid_reset_token");
  EXPECT_EQ(expired.rejection->detail, "the reset token has expired");
  // A password change by the holder cancels a pending reset.
  a.ctx.now_us = 1'000;
  a.run(request_reset("r4", "t4", 5'000));
  a.run(change_password(kNewHash, ""));
  EXPECT_EQ(a.run(reset("r4", "t4")).rejection->code, "invalid_reset_token");

  Account none;
  EXPECT_EQ(none.run(request_reset("r1", "t1", 5'000)).rejection->code, "not_found");
}

TEST(AccountAggregate, FailedLoginsInARowLockTheAccountAndALoginOrResetStartsAgain) {
  Account a;
  a.register_it();
  auto failure = account_command("k1");
  failure.mutable_record_login_failure()->set_lockout_failures(3);
  failure.mutable_record_login_failure()->set_lockout_seconds(60);
  a.run(failure);
  a.run(failure);
  a.issue("f1", "h1");  // a good login in between: the count starts again
  EXPECT_EQ(a.get().failed_logins, 0);
  a.run(failure);
  a.run(failure);
  EXPECT_EQ(a.get().locked_until_us, 0);
  auto third = a.run(failure);
  ASSERT_EQ(third.events.size(), 2u);
  EXPECT_EQ(third.events[1].account_locked().locked_until_us(), 1'000 + 60'000'000);
  EXPECT_EQ(domain::status_of(a.state), "account_locked");
  EXPECT_TRUE(a.run(failure).events.empty());  // locked: not extended by more attempts
  // A reset unlocks (whoever guessed does not have the new password).
  a.run(request_reset("r1", "t1", 5'000));
  a.run(reset("r1", "t1"));
  EXPECT_EQ(a.get().locked_until_us, 0);

  Account none;
  EXPECT_EQ(none.run(failure).rejection->code, "not_found");  // unknown addresses record nothing
}

TEST(Ownership, ACustomersCommandOnlyReachesTheirOwnOrderAndProfile) {
  auto order = domain::initial_state(domain::order_stream("o1"));
  v1::EventPayload placed;
  placed.mutable_order_placed()->set_order_id("o1");
  placed.mutable_order_placed()->set_customer_id("alice");
  domain::evolve(order, placed);
  v1::Command cancel;
  cancel.set_stream_id(domain::order_stream("o1"));
  cancel.mutable_cancel_order()->set_order_id("o1");
  cancel.set_owner_customer_id("mallory");
  auto d = domain::decide(order, cancel, {});
  ASSERT_TRUE(d.rejection);
  EXPECT_EQ(d.rejection->code, "not_found");
  // A missing order and another customer's one are refused alike.
  EXPECT_EQ(domain::decide(domain::initial_state(domain::order_stream("o2")), cancel, {}).rejection->code, "not_found");

  v1::Command place;
  place.set_stream_id(domain::order_stream("o3"));
  place.mutable_place_order()->set_customer_id("alice");
  place.set_owner_customer_id("mallory");
  EXPECT_EQ(domain::decide(domain::initial_state(domain::order_stream("o3")), place, {}).rejection->field, "customer_id");

  auto customer = domain::initial_state(domain::customer_stream("alice"));
  v1::Command forget;
  forget.set_stream_id(domain::customer_stream("alice"));
  forget.mutable_forget_customer();
  forget.set_owner_customer_id("mallory");
  EXPECT_EQ(domain::decide(customer, forget, {}).rejection->code, "not_found");
}

TEST(Passwords, RulesGiveOneMessagePerBrokenRule) {
  EXPECT_TRUE(auth::password_problems("correct horse battery", "ada@example.com").empty());
  EXPECT_EQ(auth::password_problems("short", "ada@example.com").size(), 1u);
  EXPECT_EQ(auth::password_problems("aaaaaaaaaaaa", "ada@example.com").size(), 1u);
  EXPECT_EQ(auth::password_problems("Password1234", "x@example.com").size(), 1u);
  EXPECT_EQ(auth::password_problems("lovelace-forever", "lovelace@example.com").size(), 1u);
  EXPECT_EQ(auth::password_problems(std::string(300, 'x') + "y", "a@b.c").size(), 1u);
  EXPECT_EQ(auth::password_problems("aaa", "ada@example.com").size(), 2u);  // short and repeated
  // Code points, not bytes: ten accented letters are ten characters.
  EXPECT_TRUE(auth::password_problems("ééééééééév", "x@example.com").empty());
  EXPECT_FALSE(auth::password_problems("éééééé", "x@example.com").empty());
}

TEST(Passwords, Argon2idHashesVerifyOnlyTheirPassword) {
  auto hash = auth::hash_password("correct horse battery", auth::PasswordCost::min());
  ASSERT_TRUE(hash);
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_TRUE(auth::verify_password(*hash, "correct horse battery"));
  EXPECT_FALSE(auth::verify_password(*hash, "correct horse batterY"));
  EXPECT_FALSE(auth::verify_password("not a hash", "x"));
  EXPECT_NE(*auth::hash_password("correct horse battery", auth::PasswordCost::min()), *hash);  // salted
  EXPECT_FALSE(auth::PasswordCost::named("cheap"));
}

TEST(Passwords, WorkersRefuseBeyondTheirQueue) {
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  int done = 0;
  {
    auth::PasswordWorkers workers(1, 2);
    auto blocker = [&] {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return release; });
      ++done;
    };
    ASSERT_TRUE(workers.submit(blocker));
    // The worker may or may not have taken the first job yet: at most 3 fit, never 4.
    int accepted = 1;
    for (int i = 0; i < 3; ++i) accepted += workers.submit(blocker) ? 1 : 0;
    EXPECT_LE(accepted, 3);
    EXPECT_GE(accepted, 2);
    {
      std::lock_guard lock(m);
      release = true;
    }
    cv.notify_all();
    // The destructor finishes queued jobs.
    (void)accepted;
  }
  EXPECT_GE(done, 2);
}

TEST(LoginLimiter, LocksAnAccountAfterRepeatedFailuresUntilItExpires) {
  auth::LimiterConfig config;
  config.lockout_failures = 3;
  config.lockout_s = 600;
  auth::LoginLimiter limiter(config);
  using V = auth::LoginLimiter::Verdict;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.attempt("10.0.0.1", "ada", 1000).verdict, V::allowed);
    limiter.failed("ada", 1000);
  }
  auto d = limiter.attempt("10.0.0.1", "ada", 1001);
  EXPECT_EQ(d.verdict, V::locked);
  EXPECT_EQ(d.retry_after_s, 599);
  EXPECT_EQ(limiter.attempt("10.0.0.2", "bob", 1001).verdict, V::allowed);  // others are not locked
  EXPECT_EQ(limiter.attempt("10.0.0.1", "ada", 1600).verdict, V::allowed);  // served
  limiter.failed("ada", 1600);
  EXPECT_EQ(limiter.attempt("10.0.0.1", "ada", 1600).verdict, V::allowed);  // the count started again
  // A success resets the count.
  limiter.failed("ada", 1600);
  limiter.succeeded("ada");
  limiter.failed("ada", 1600);
  limiter.failed("ada", 1600);
  EXPECT_EQ(limiter.attempt("10.0.0.3", "ada", 1600).verdict, V::allowed);
}

TEST(LoginLimiter, LimitsAttemptsPerAddressAndPerAccountPerMinute) {
  auth::LimiterConfig config;
  config.per_address_per_minute = 3;
  config.per_account_per_minute = 2;
  auth::LoginLimiter limiter(config);
  using V = auth::LoginLimiter::Verdict;
  EXPECT_EQ(limiter.attempt("a1", "x", 0).verdict, V::allowed);
  EXPECT_EQ(limiter.attempt("a1", "y", 1).verdict, V::allowed);
  EXPECT_EQ(limiter.attempt("a1", "z", 2).verdict, V::allowed);
  auto d = limiter.attempt("a1", "w", 3);
  EXPECT_EQ(d.verdict, V::rate_limited);
  EXPECT_EQ(d.retry_after_s, 57);
  EXPECT_EQ(limiter.attempt("a2", "x", 3).verdict, V::allowed);   // x: 2nd attempt
  EXPECT_EQ(limiter.attempt("a3", "x", 4).verdict, V::rate_limited);  // x: 3rd, from anywhere
  EXPECT_EQ(limiter.attempt("a1", "v", 60).verdict, V::allowed);  // a new window
}

TEST(PersonalData, SealedWithTheCustomersKeyAndGoneWithIt) {
  testing::TempDir dir;
  const std::string sealed_text = "ada@example.com|Ada Lovelace";
  std::string sealed;
  {
    auth::CustomerKeys keys(dir.path() + "/keys");
    auto key = keys.get_or_create("c1");
    ASSERT_TRUE(key);
    EXPECT_EQ(keys.get_or_create("c1"), key);  // one key per customer
    EXPECT_NE(keys.get_or_create("c2"), key);
    sealed = auth::seal(*key, sealed_text);
    EXPECT_EQ(sealed.find("ada@example.com"), std::string::npos);
    EXPECT_EQ(auth::open_sealed(*key, sealed), sealed_text);
    EXPECT_FALSE(auth::open_sealed(*keys.get("c2"), sealed));  // another customer's key
    auto tampered = sealed;
    tampered.back() ^= 1;
    EXPECT_FALSE(auth::open_sealed(*key, tampered));
    EXPECT_TRUE(keys.destroy("c1"));
    EXPECT_FALSE(keys.get("c1"));
  }
  // Still gone after a reopen; the other customer's key stays.
  auth::CustomerKeys keys(dir.path() + "/keys");
  EXPECT_FALSE(keys.get("c1"));
  EXPECT_TRUE(keys.get("c2"));
}

}  // namespace
}  // namespace orderline
